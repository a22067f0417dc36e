package terms

import (
	"fmt"
	"slices"
	"strings"
)

// Reason is an evidence reason's code. A detector stores the code in the
// evidence detail ("reason_code") beside the values its template names;
// every output renders the template in its reader's language. Templates
// say "{key}" for detail[key] and "{vocab:key}" for detail[key] looked up
// in one of the vocabularies below.
type Reason string

// The network detectors' reasons (collector/rules).
const (
	EgressRoute           Reason = "egress.route"
	EgressConnectedPublic Reason = "egress.connected-public"
	EgressPublicAddress   Reason = "egress.public-address"
	EgressCarrier         Reason = "egress.carrier-neighbour"
	EgressCarrierUI       Reason = "egress.carrier-web"
	EgressPath            Reason = "egress.path"
	EgressMultihome       Reason = "egress.multihome"
	PrivateRouteKnown     Reason = "private.route-known"
	PrivateRouteUnplanned Reason = "private.route-unplanned"
	PrivateTunnelIfType   Reason = "private.tunnel-iftype"
	PrivateTunnelHost     Reason = "private.tunnel-host"
	PrivateLineName       Reason = "private.line-name"
	PrivateSentinel       Reason = "private.sentinel"
	PrivateEndpoint       Reason = "private.endpoint"
	PrivateVPN            Reason = "private.vpn-service"
	PrivateMultihome      Reason = "private.multihome"
	IsolationReaches      Reason = "isolation.reaches"
	IsolationAnswers      Reason = "isolation.answers"
	IsolationRoute        Reason = "isolation.route"
	IsolationMultihome    Reason = "isolation.multihome"
	LocalServer           Reason = "local-server"
	DepartmentWebsite     Reason = "department-website"
	OutsidePlanEndpoint   Reason = "outside-plan.endpoint"
	OutsidePlanNeighbour  Reason = "outside-plan.neighbour"
	NewInfrastructure     Reason = "new-infrastructure"
)

var reasons = map[Reason]Text{
	EgressRoute: {"默认路由或公网路由的下一跳不是经批准的政务外网上联",
		"default or public route whose next hop is not a sanctioned extranet uplink"},
	EgressConnectedPublic: {"部门设备接口直连公网网段", "public prefix directly connected to a department interface"},
	EgressPublicAddress: {"部门设备接口配置了政务外网及统一出口以外的公网地址",
		"public address on a department interface outside the extranet and sanctioned ranges"},
	EgressCarrier: {"发现运营商终端设备(光猫/CPE)为邻居设备", "carrier CPE seen as a neighbour"},
	EgressCarrierUI: {"部门网络内应答运营商终端设备(光猫/网关)的管理页面",
		"a carrier CPE's management page answers inside the department"},
	EgressPath: {"至互联网参考目标的路径未经统一出口即离开规划网段",
		"path to an internet reference target leaves the plan's prefixes at a hop that is not the sanctioned central exit"},
	EgressMultihome: {"同一设备同时拥有部门地址和互联网地址", "one machine with addresses in the department and on the internet"},
	PrivateRouteKnown: {"存在未经政务外网上联、通往已知业务专网的路由",
		"route to a known business private network not through the extranet uplink"},
	PrivateRouteUnplanned: {"存在未经政务外网上联、通往部门、政务外网和政务云以外网段的路由",
		"route to a prefix outside the department, extranet and cloud prefixes, not through the extranet uplink"},
	PrivateTunnelIfType: {"隧道或点对点接口(ifType)", "tunnel or point-to-point interface (ifType)"},
	PrivateTunnelHost:   {"代理主机上的隧道或点对点接口", "tunnel or point-to-point interface on the agent host"},
	PrivateLineName:     {"接口名称/描述标明为专线", "interface named as a line"},
	PrivateSentinel:     {"从部门内可访问已知业务专网的哨兵地址", "a known private network's sentinel answers from the department"},
	PrivateEndpoint:     {"从部门内可访问已知业务专网内的地址", "an address in a known private network answers from the department"},
	PrivateVPN:          {"发现应答的VPN服务(IKE、OpenVPN、L2TP、PPTP)", "VPN service answering (IKE, OpenVPN, L2TP, PPTP)"},
	PrivateMultihome: {"同一设备同时拥有部门地址和规划外网络的地址",
		"one machine with addresses in the department and in a network outside the plan"},
	IsolationReaches: {"涉密网段可访问{kind:kind}参考目标 {target}", "a classified segment reaches the {kind:kind} reference target {target}"},
	IsolationAnswers: {"涉密网段内的地址应答了来自网段外的扫描", "an address in a classified segment answers a scan from outside it"},
	IsolationRoute:   {"涉密网段内的主机或设备有{toward:toward}(非直连路由)", "a classified host or device has a {toward:toward} (not a connected route)"},
	IsolationMultihome: {"同一设备同时拥有涉密网段地址和{class:other_class}地址 {other_address}",
		"one machine with addresses in a classified segment and in {class:other_class} {other_address}"},
	LocalServer: {"服务器部署在部门网段内,而非政务云", "server inside the department's prefixes rather than on the e-gov cloud"},
	DepartmentWebsite: {"部门主机上运行带网页标题的网站,且不在经批准的集约化平台名单内",
		"an HTTP site with an HTML title on a department host that is not on the approved hosting list"},
	OutsidePlanEndpoint: {"在部门扫描范围或局域网内应答的地址不在本部门分配的地址段内",
		"address answering in the department's scan scope or on its LAN segment that lies outside its allocated prefixes"},
	OutsidePlanNeighbour: {"部门设备接口上的邻居地址不在本部门分配的地址段内",
		"neighbour on a department interface with an address outside the department's allocation"},
	NewInfrastructure: {"服务器或网络设备在部门基线和截止日期之后首次出现",
		"server or network device first seen after the department's baseline and the pack's cutoff"},
}

// vocabularies are the words a template's "{vocab:key}" looks up.
var vocabularies = map[string]map[string]Text{
	"kind": {"internet": {"互联网", "internet"}, "extranet": {"政务外网", "extranet"}, "private": {"业务专网", "private network"}},
	"toward": {"default": {"默认路由", "default route"}, "extranet": {"通往政务外网的路由", "route toward the extranet"},
		"internet": {"通往互联网的路由", "route toward the internet"}},
	// class: what an address means to a department under the plan
	// (collector/rules netClass names).
	"class": {"special": {"特殊", "special"}, "sanctioned-egress": {"统一互联网出口", "sanctioned-egress"},
		"extranet-uplink": {"政务外网上联", "extranet-uplink"}, "classified": {"涉密网段", "classified"},
		"department": {"本部门", "department"}, "cloud": {"政务云", "cloud"}, "private-network": {"业务专网", "private-network"},
		"other-department": {"其他部门", "other-department"}, "extranet": {"政务外网", "extranet"},
		"unplanned-private": {"规划外私网", "unplanned-private"}, "public": {"互联网", "public"}},
}

// Codes lists every reason code, sorted.
func Codes() []Reason {
	out := make([]Reason, 0, len(reasons))
	for c := range reasons {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Template is the code's {zh, en} template; ok is false for unknown codes.
func (r Reason) Template() (Text, bool) {
	t, ok := reasons[r]
	return t, ok
}

// Render fills the code's template in lang from detail; "" for an unknown
// code.
func (r Reason) Render(detail map[string]any, lang Lang) string {
	t, ok := reasons[r]
	if !ok {
		return ""
	}
	return fill(t.In(lang), detail, lang)
}

func fill(tpl string, detail map[string]any, lang Lang) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		j := strings.IndexByte(tpl[i:], '}')
		if j < 0 {
			b.WriteString(tpl)
			return b.String()
		}
		b.WriteString(tpl[:i])
		key := tpl[i+1 : i+j]
		vocab, k, ok := strings.Cut(key, ":")
		if !ok {
			vocab, k = "", key
		}
		val := ""
		if v, present := detail[k]; present && v != nil {
			val = fmt.Sprint(v)
		}
		if vocab != "" {
			val = lookup(vocabularies[vocab], val, lang)
		}
		b.WriteString(val)
		tpl = tpl[i+j+1:]
	}
}

// Evidence detail keys a detector's reason lives under.
const (
	KeyCode = "reason_code"
	KeyEN   = "reason"
	KeyZH   = "reason_zh"
)

// Annotate renders detail's reason code into the plain texts readers of
// the raw evidence see (detail["reason"], detail["reason_zh"]). A detail
// without a known code is left as it is.
func Annotate(detail map[string]any) {
	if detail == nil {
		return
	}
	c, _ := detail[KeyCode].(string)
	if _, ok := reasons[Reason(c)]; !ok {
		return
	}
	detail[KeyEN] = Reason(c).Render(detail, EN)
	detail[KeyZH] = Reason(c).Render(detail, ZH)
}

// EvidenceReason is an evidence row's reason in lang: its code's template
// when it has a known code, else the texts another detector wrote
// (reason_zh for Chinese when present, reason otherwise).
func EvidenceReason(detail map[string]any, lang Lang) string {
	if c, _ := detail[KeyCode].(string); c != "" {
		if s := Reason(c).Render(detail, lang); s != "" {
			return s
		}
	}
	en, _ := detail[KeyEN].(string)
	if lang == EN {
		return en
	}
	if zh, _ := detail[KeyZH].(string); zh != "" {
		return zh
	}
	return en
}
