package terms

import "github.com/egovnet/egovnet/internal/wire"

// rules are the rule names every output uses.
var rules = map[string]Text{
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

// registered are the names of registered legacy states (a plan-known exit,
// an approved line awaiting consolidation) where the wording differs from
// "name (registered)".
var registered = map[string]Text{
	wire.RuleInternetEgress: {"已登记自建互联网出口(待归并)", "Own internet exit (registered, awaiting consolidation)"},
	wire.RulePrivateLink:    {"已批准存量专线(待归并)", "Business private network (registered, awaiting consolidation)"},
}

var statuses = map[string]Text{
	wire.StatusOpen:         {"未整改", "open"},
	wire.StatusAcknowledged: {"已确认", "acknowledged"},
	wire.StatusResolved:     {"已整改", "resolved"},
	wire.StatusExempted:     {"已豁免", "exempted"},
}

var severities = map[string]Text{
	wire.SeverityCritical: {"严重", "critical"}, wire.SeverityHigh: {"高", "high"},
	wire.SeverityMedium: {"中", "medium"}, wire.SeverityLow: {"低", "low"},
}

var roles = map[string]Text{
	wire.RoleServer: {"服务器", "server"}, wire.RoleWorkstation: {"终端", "workstation"}, wire.RoleNetwork: {"网络设备", "network"},
	wire.RolePrinter: {"打印机", "printer"}, wire.RoleUnknown: {"未知", "unknown"},
}

// userRoles are the collector's user roles (collector/auth; 三员分立).
var userRoles = map[string]Text{
	"sysadmin": {"系统管理员", "System administrator"}, "secadmin": {"安全管理员", "Security administrator"},
	"auditor": {"审计员", "Auditor"}, "dept-admin": {"部门管理员", "Department administrator"}, "viewer": {"只读用户", "Viewer"},
}

// filings are a licence's filing statuses (collector/ledger, 备案).
var filings = map[string]Text{
	"filed": {"已备案", "filed"}, "pending": {"备案中", "pending"}, "unfiled": {"未备案", "unfiled"},
}

// agentStatuses are the fleet's agent health words (CONTRACT).
var agentStatuses = map[string]Text{
	"ok": {"正常", "ok"}, "late": {"迟到", "late"}, "silent": {"失联", "silent"}, "revoked": {"已吊销", "revoked"},
}

// categories are the software catalog's categories (internal/catalog).
var categories = map[string]Text{
	"os": {"操作系统", "operating system"}, "database": {"数据库", "database"}, "middleware": {"中间件", "middleware"},
	"antivirus": {"杀毒软件", "antivirus"}, "office": {"办公软件", "office"}, "layout": {"版式软件", "layout"},
	"other": {"其他", "other"},
}

// licences are the software ledger's licence statuses (collector/ledger).
var licences = map[string]Text{
	"licensed": {"已授权", "licensed"}, "free": {"免费软件", "free software"}, "unlicensed": {"未授权", "unlicensed"},
	"over-deployed": {"超授权安装", "over-deployed"}, "expired": {"授权已过期", "licence expired"},
	"version-mismatch": {"版本不在授权范围", "version not licensed"}, "home-edition": {"家庭/个人版(非单位授权)", "home edition (not an organisational licence)"},
}

// Rule is the display name of a rule id (the id itself when unknown).
func Rule(id string, lang Lang) string { return lookup(rules, id, lang) }

// RuleTitle is a rule's name with the registered (legacy, awaiting
// consolidation) wording when registered.
func RuleTitle(id string, isRegistered bool, lang Lang) string {
	if !isRegistered {
		return Rule(id, lang)
	}
	if t, ok := registered[id]; ok {
		return t.In(lang)
	}
	if t, ok := rules[id]; ok {
		return t.In(lang) + Text{"(已登记)", " (registered, awaiting consolidation)"}.In(lang)
	}
	return id
}

// Status is the display name of a violation status.
func Status(s string, lang Lang) string { return lookup(statuses, s, lang) }

// Severity is the display name of a severity.
func Severity(s string, lang Lang) string { return lookup(severities, s, lang) }

// Role is the display name of an endpoint role.
func Role(r string, lang Lang) string { return lookup(roles, r, lang) }

// Category is the display name of a software category.
func Category(c string, lang Lang) string { return lookup(categories, c, lang) }

// Licence is the display name of a software ledger licence status.
func Licence(s string, lang Lang) string { return lookup(licences, s, lang) }
