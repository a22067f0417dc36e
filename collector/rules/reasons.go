package rules

import "strings"

// reasonZH are the zh-CN twins of the detectors' evidence reasons: every
// evidence row carries detail["reason"] (English) and detail["reason_zh"],
// so Chinese outputs never show an English sentence.
var reasonZH = map[string]string{
	"default or public route whose next hop is not a sanctioned extranet uplink":                                       "默认路由或公网路由的下一跳不是经批准的政务外网上联",
	"public prefix directly connected to a department interface":                                                       "部门设备接口直连公网网段",
	"public address on a department interface outside the extranet and sanctioned ranges":                              "部门设备接口配置了政务外网及统一出口以外的公网地址",
	"carrier CPE seen as a neighbour":                                                                                  "发现运营商终端设备(光猫/CPE)为邻居设备",
	"path to an internet reference target leaves the plan's prefixes at a hop that is not the sanctioned central exit": "至互联网参考目标的路径未经统一出口即离开规划网段",
	"an address in a classified segment answers a scan from outside it":                                                "涉密网段内的地址应答了来自网段外的扫描",
	"server inside the department's prefixes rather than on the e-gov cloud":                                           "服务器部署在部门网段内,而非政务云",
	"an HTTP site with an HTML title on a department host that is not on the approved hosting list":                    "部门主机上运行带网页标题的网站,且不在经批准的集约化平台名单内",
	"neighbour on a department interface with an address outside the department's allocation":                          "部门设备接口上的邻居地址不在本部门分配的地址段内",
	"route to a known business private network not through the extranet uplink":                                        "存在未经政务外网上联、通往已知业务专网的路由",
	"route to a prefix outside the department, extranet and cloud prefixes, not through the extranet uplink":           "存在未经政务外网上联、通往部门、政务外网和政务云以外网段的路由",
	"tunnel or point-to-point interface (ifType)":                                                                      "隧道或点对点接口(ifType)",
	"tunnel or point-to-point interface on the agent host":                                                             "代理主机上的隧道或点对点接口",
	"interface named as a line":                                                                                       "接口名称/描述标明为专线",
	"a known private network's sentinel answers from the department":                                                  "从部门内可访问已知业务专网的哨兵地址",
	"an address in a known private network answers from the department":                                               "从部门内可访问已知业务专网内的地址",
	"VPN service answering (IKE, OpenVPN, L2TP, PPTP)":                                                                "发现应答的VPN服务(IKE、OpenVPN、L2TP、PPTP)",
	"one machine with addresses in the department and in a network outside the plan":                                  "同一设备同时拥有部门地址和规划外网络的地址",
	"one machine with addresses in the department and on the internet":                                                "同一设备同时拥有部门地址和互联网地址",
	"address answering in the department's scan scope or on its LAN segment that lies outside its allocated prefixes": "在部门扫描范围或局域网内应答的地址不在本部门分配的地址段内",
	"server or network device first seen after the department's baseline and the pack's cutoff":                       "服务器或网络设备在部门基线和截止日期之后首次出现",
}

var kindZH = map[string]string{"internet": "互联网", "extranet": "政务外网"}

// withReasonZH fills detail["reason_zh"] from detail["reason"] when the
// detector did not set it.
func withReasonZH(d map[string]any) {
	if d == nil {
		return
	}
	if _, ok := d["reason_zh"]; ok {
		return
	}
	en, _ := d["reason"].(string)
	if en == "" {
		return
	}
	if zh := ReasonZH(en); zh != "" {
		d["reason_zh"] = zh
	}
}

// ReasonZH translates one of the detectors' English evidence reasons; ""
// when unknown (another detector's reason).
func ReasonZH(en string) string {
	if zh, ok := reasonZH[en]; ok {
		return zh
	}
	const reaches = "a classified segment reaches the "
	if rest, ok := strings.CutPrefix(en, reaches); ok {
		if k, target, ok := strings.Cut(rest, " reference target "); ok {
			return "涉密网段可访问" + kindZH[k] + "参考目标 " + target
		}
	}
	const both = "one machine with addresses in a classified segment and in "
	if rest, ok := strings.CutPrefix(en, both); ok {
		class, addr, _ := strings.Cut(rest, " ")
		return "同一设备同时拥有涉密网段地址和" + classZH[class] + "地址 " + addr
	}
	return ""
}

var classZH = map[string]string{
	"special": "特殊", "sanctioned-egress": "统一互联网出口", "extranet-uplink": "政务外网上联", "classified": "涉密网段",
	"department": "本部门", "cloud": "政务云", "private-network": "业务专网", "other-department": "其他部门",
	"extranet": "政务外网", "unplanned-private": "规划外私网", "public": "互联网",
}

// evidenceReason is an evidence row's reason in lang: reason_zh for zh-CN
// (translated when only the English one is set), reason otherwise.
func evidenceReason(d map[string]any, lang string) string {
	en, _ := d["reason"].(string)
	if langIdx(lang) == 1 {
		return en
	}
	if zh, _ := d["reason_zh"].(string); zh != "" {
		return zh
	}
	if zh := ReasonZH(en); zh != "" {
		return zh
	}
	return en
}
