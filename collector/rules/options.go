package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
)

// Patterns are the configurable heuristics of the network detectors. The
// defaults follow DOMAIN.md; districts add their carriers' circuit-id styles
// and their device vendors' UI titles.
type Patterns struct {
	// LineAliases match ifAlias/ifDescr/ifName text naming a line (专线).
	LineAliases []string `yaml:"line_aliases" json:"line_aliases"`
	// TunnelIfTypes are IANAifType values of tunnels and point-to-point lines.
	TunnelIfTypes []int `yaml:"tunnel_if_types" json:"tunnel_if_types"`
	// TunnelHostTypes are agent-host interface types (wire.HostInterface.Type)
	// and name patterns of tunnels.
	TunnelHostTypes []string `yaml:"tunnel_host_types" json:"tunnel_host_types"`
	TunnelHostNames []string `yaml:"tunnel_host_names" json:"tunnel_host_names"`
	// HostBridgeNames match agent-host interfaces that are internal to the
	// host (container and VM bridges, veths): their addresses are not a
	// second network the host is attached to.
	HostBridgeNames []string `yaml:"host_bridge_names" json:"host_bridge_names"`
	// ManagementUI match HTTP titles or Server headers of device management
	// pages, which are not department websites.
	ManagementUI []string `yaml:"management_ui" json:"management_ui"`
	// Carriers match LLDP/CDP neighbour names and platforms of carrier CPE.
	Carriers []string `yaml:"carriers" json:"carriers"`
	// CarrierUI match HTTP titles or Server headers of carrier CPE
	// management pages (光猫, 天翼网关): such a box answering inside the
	// department is an internet exit, not a department website.
	CarrierUI []string `yaml:"carrier_ui" json:"carrier_ui"`
	// VPN ports: IKE, NAT-T, OpenVPN, L2TP on UDP; PPTP (and OpenVPN) on TCP.
	VPNUDPPorts []int `yaml:"vpn_udp_ports" json:"vpn_udp_ports"`
	VPNTCPPorts []int `yaml:"vpn_tcp_ports" json:"vpn_tcp_ports"`
	// TrustForeignDevices uses devices whose own address table does not
	// contain the address they answered on (default: left out).
	TrustForeignDevices bool `yaml:"trust_foreign_devices" json:"trust_foreign_devices"`
}

// DefaultPatterns are the shipped heuristics.
func DefaultPatterns() Patterns {
	return Patterns{
		LineAliases: []string{`专线`, `专网`, `(?i)\bMPLS\b`, `(?i)\bVPN\b`, `(?i)\bMSTP\b`, `(?i)\bSDH\b`, `(?i)\bE1\b`, `(?i)\bIPSec\b`, `(?i)\bGRE\b`},
		// tunnel(131), ppp(23), pppMultilinkBundle(108), propPointToPointSerial(22),
		// frameRelay(32), hdlc(118), mpls(166), mplsTunnel(150), l2tp(193).
		TunnelIfTypes:   []int{131, 23, 108, 22, 32, 118, 166, 150, 193},
		TunnelHostTypes: []string{"tunnel", "ppp", "gre", "ipip", "sit", "wireguard", "vti"},
		TunnelHostNames: []string{`^(tun|tap|ppp|gre|gretap|ipip|sit|wg|vti|ipsec|l2tp)\d*`},
		HostBridgeNames: []string{`^(docker\d*|br-[0-9a-f]+|virbr\d+|lxcbr\d+|lxdbr\d+|incusbr\d+|cni\d*|podman\d+|veth|vnet\d+|flannel|cali|cilium|kube-bridge)`},
		ManagementUI: []string{`(?i)huawei`, `(?i)\bh3c\b`, `(?i)web\s*management`, `(?i)routeros`, `(?i)mikrotik`, `(?i)idrac`,
			`(?i)\bilo\b`, `(?i)integrated lights-out`, `(?i)\bbmc\b`, `(?i)ruijie`, `(?i)zte`, `(?i)cisco`, `(?i)juniper`, `(?i)fortigate`,
			`(?i)sangfor`, `(?i)hikvision`, `(?i)dahua`, `(?i)printer`, `(?i)laserjet`, `(?i)\bhp\s+(color\s+)?laser`, `(?i)epson`, `(?i)canon`,
			`(?i)brother`, `(?i)xerox`, `(?i)ricoh`, `(?i)kyocera`, `(?i)lexmark`, `(?i)konica`, `打印机`, `(?i)router`, `(?i)switch`,
			`(?i)firewall`, `(?i)\bups\b`, `(?i)ipmi`, `(?i)supermicro`, `(?i)vmware esxi`, `(?i)proxmox`, `设备管理`, `网管`},
		Carriers: []string{`(?i)telecom`, `电信`, `(?i)unicom`, `联通`, `(?i)china\s*mobile`, `(?i)\bcmcc\b`, `移动`, `(?i)\bcpe\b`, `(?i)\bont\b`, `(?i)\bonu\b`, `光猫`, `(?i)HG8\d{3}`, `(?i)ZXHN`, `(?i)\bF6\d\d\b`, `(?i)ChinaNet`},
		CarrierUI: []string{`天翼网关`, `光猫`, `(?i)\bZXHN\b`, `(?i)\bHG8\d{3}`, `(?i)EchoLife`, `(?i)China\s*Mobile.*gateway`,
			`中国移动.*网关`, `联通.*网关`, `电信.*网关`, `(?i)\bONT\b.*(login|登录)`},
		VPNUDPPorts: []int{500, 4500, 1194, 1701},
		VPNTCPPorts: []int{1723},
	}
}

// compiled holds the patterns ready to use.
type compiled struct {
	p            Patterns
	lineAliases  []*regexp.Regexp
	tunnelNames  []*regexp.Regexp
	hostBridges  []*regexp.Regexp
	managementUI []*regexp.Regexp
	carriers     []*regexp.Regexp
	carrierUI    []*regexp.Regexp
}

func compile(p Patterns) (*compiled, error) {
	c := &compiled{p: p}
	var err error
	if c.lineAliases, err = compileAll("line_aliases", p.LineAliases); err != nil {
		return nil, err
	}
	if c.tunnelNames, err = compileAll("tunnel_host_names", p.TunnelHostNames); err != nil {
		return nil, err
	}
	if c.hostBridges, err = compileAll("host_bridge_names", p.HostBridgeNames); err != nil {
		return nil, err
	}
	if c.managementUI, err = compileAll("management_ui", p.ManagementUI); err != nil {
		return nil, err
	}
	if c.carriers, err = compileAll("carriers", p.Carriers); err != nil {
		return nil, err
	}
	if c.carrierUI, err = compileAll("carrier_ui", p.CarrierUI); err != nil {
		return nil, err
	}
	return c, nil
}

func compileAll(key string, pats []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(pats))
	for i, s := range pats {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("compile %s[%d] %q: %w", key, i, s, err)
		}
		out = append(out, re)
	}
	return out, nil
}

func matchAny(res []*regexp.Regexp, texts ...string) string {
	for _, t := range texts {
		if t == "" {
			continue
		}
		for _, re := range res {
			if re.MatchString(t) {
				return re.String()
			}
		}
	}
	return ""
}

func (c *compiled) tunnelIfType(t int) bool { return slices.Contains(c.p.TunnelIfTypes, t) }
func (c *compiled) tunnelHostType(t string) bool {
	return t != "" && slices.Contains(c.p.TunnelHostTypes, t)
}

// ParsePatterns reads heuristics from YAML (keys as in Patterns); keys left
// out keep their defaults, unknown keys and bad expressions are errors.
func ParsePatterns(data []byte) (Patterns, error) {
	p := DefaultPatterns()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return Patterns{}, fmt.Errorf("parse rule patterns: %w", err)
	}
	if _, err := compile(p); err != nil {
		return Patterns{}, fmt.Errorf("parse rule patterns: %w", err)
	}
	return p, nil
}
