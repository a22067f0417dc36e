package rules

import "github.com/egovnet/egovnet/internal/wire"

var titles = map[string][2]string{
	wire.RuleInternetEgress:        {"自建互联网出口", "Self-built internet exit"},
	wire.RulePrivateLink:           {"业务专网", "Business private network"},
	wire.RuleIsolationBreach:       {"公务网隔离失效", "Classified network isolation breach"},
	wire.RuleLocalServer:           {"本地服务器(未上政务云)", "Local server (not on the e-gov cloud)"},
	wire.RuleDepartmentWebsite:     {"部门自建网站", "Department website"},
	wire.RuleUnlicensedSoftware:    {"未正版化软件", "Unlicensed software"},
	wire.RuleLicenseOverDeployment: {"超授权部署", "Licence over-deployment"},
	wire.RuleUnfiledSoftware:       {"未备案软件", "Unfiled software"},
	wire.RuleAddressOutsidePlan:    {"规划外地址", "Address outside the plan"},
	wire.RuleNewInfrastructure:     {"截止日期后新增设施", "Infrastructure added after the cutoff"},
}

// RuleTitle is the zh-CN name of a rule.
func RuleTitle(rule string, registered bool) string {
	t, ok := titles[rule]
	if !ok {
		return rule
	}
	if registered {
		switch rule {
		case wire.RuleInternetEgress:
			return "已登记自建互联网出口(待归并)"
		case wire.RulePrivateLink:
			return "已批准存量专线(待归并)"
		}
		return t[0] + "(已登记)"
	}
	return t[0]
}

// RuleTitleEN is the English name of a rule.
func RuleTitleEN(rule string, registered bool) string {
	t, ok := titles[rule]
	if !ok {
		return rule
	}
	if registered {
		return t[1] + " (registered, awaiting consolidation)"
	}
	return t[1]
}

var statusZH = map[string]string{
	wire.StatusOpen: "未处理", wire.StatusAcknowledged: "已确认", wire.StatusResolved: "已解决", wire.StatusExempted: "已豁免",
}

var severityZH = map[string]string{
	wire.SeverityCritical: "严重", wire.SeverityHigh: "高", wire.SeverityMedium: "中", wire.SeverityLow: "低",
}

// StatusTitle is the zh-CN name of a status.
func StatusTitle(s string) string {
	if t, ok := statusZH[s]; ok {
		return t
	}
	return s
}

// SeverityTitle is the zh-CN name of a severity.
func SeverityTitle(s string) string {
	if t, ok := severityZH[s]; ok {
		return t
	}
	return s
}
