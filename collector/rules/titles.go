package rules

import "github.com/egovnet/egovnet/internal/wire"

// ruleNames are the rule names every output uses (the web UI's terms, the
// single source for the audit, the export package and the UI).
var ruleNames = map[string][2]string{
	wire.RuleInternetEgress:        {"自建互联网出口", "Own internet exit"},
	wire.RulePrivateLink:           {"业务专网", "Business private network"},
	wire.RuleIsolationBreach:       {"涉密网络隔离破坏", "Isolation breach"},
	wire.RuleLocalServer:           {"自建机房/本地服务器", "Local server room"},
	wire.RuleDepartmentWebsite:     {"部门自建网站", "Department website"},
	wire.RuleUnlicensedSoftware:    {"未授权软件", "Unlicensed software"},
	wire.RuleLicenseOverDeployment: {"超授权部署", "Over-deployment"},
	wire.RuleUnfiledSoftware:       {"软件未备案", "Unfiled software"},
	wire.RuleAddressOutsidePlan:    {"地址超出规划", "Address outside plan"},
	wire.RuleNewInfrastructure:     {"截止日期后新建设施", "New infrastructure after cutoff"},
}

var statusNames = map[string][2]string{
	wire.StatusOpen:         {"未整改", "open"},
	wire.StatusAcknowledged: {"已确认", "acknowledged"},
	wire.StatusResolved:     {"已整改", "resolved"},
	wire.StatusExempted:     {"已豁免", "exempted"},
}

var severityNames = map[string][2]string{
	wire.SeverityCritical: {"严重", "critical"}, wire.SeverityHigh: {"高", "high"},
	wire.SeverityMedium: {"中", "medium"}, wire.SeverityLow: {"低", "low"},
}

// langIdx picks the column: English for "en" and "en-*", zh-CN otherwise
// (Chinese first).
func langIdx(lang string) int {
	if len(lang) >= 2 && (lang[:2] == "en" || lang[:2] == "EN") {
		return 1
	}
	return 0
}

func name(m map[string][2]string, key, lang string) string {
	if t, ok := m[key]; ok {
		return t[langIdx(lang)]
	}
	return key
}

// RuleName is the display name of a rule id in lang ("zh-CN" or "en"; any
// other value means zh-CN). Unknown ids are returned unchanged. Every output
// (audit, export, web UI) uses these terms.
func RuleName(rule, lang string) string { return name(ruleNames, rule, lang) }

// StatusName is the display name of a violation status in lang.
func StatusName(status, lang string) string { return name(statusNames, status, lang) }

// SeverityName is the display name of a severity in lang.
func SeverityName(severity, lang string) string { return name(severityNames, severity, lang) }

// RuleTitle is the zh-CN name of a rule, with the registered (legacy,
// awaiting consolidation) wording when registered.
func RuleTitle(rule string, registered bool) string {
	t := RuleName(rule, "zh-CN")
	if registered {
		switch rule {
		case wire.RuleInternetEgress:
			return "已登记自建互联网出口(待归并)"
		case wire.RulePrivateLink:
			return "已批准存量专线(待归并)"
		}
		if _, ok := ruleNames[rule]; ok {
			return t + "(已登记)"
		}
	}
	return t
}

// RuleTitleEN is the English name of a rule.
func RuleTitleEN(rule string, registered bool) string {
	t := RuleName(rule, "en")
	if _, ok := ruleNames[rule]; ok && registered {
		return t + " (registered, awaiting consolidation)"
	}
	return t
}

// StatusTitle is the zh-CN name of a status.
func StatusTitle(s string) string { return StatusName(s, "zh-CN") }

// SeverityTitle is the zh-CN name of a severity.
func SeverityTitle(s string) string { return SeverityName(s, "zh-CN") }
