package export

import "github.com/egovnet/egovnet/internal/wire"

type label struct{ zh, en string }

func (l label) in(lang Lang) string {
	if lang == EN {
		return l.en
	}
	return l.zh
}

// ruleNames are the display names of the CONTRACT rule ids.
var ruleNames = map[string]label{
	wire.RuleInternetEgress:        {"互联网出口", "Internet egress"},
	wire.RulePrivateLink:           {"业务专网专线", "Private link"},
	wire.RuleIsolationBreach:       {"网络隔离破坏", "Isolation breach"},
	wire.RuleLocalServer:           {"本地服务器未上云", "Local server"},
	wire.RuleDepartmentWebsite:     {"部门自建网站", "Department website"},
	wire.RuleUnlicensedSoftware:    {"未授权软件", "Unlicensed software"},
	wire.RuleLicenseOverDeployment: {"超授权部署", "Licence over-deployment"},
	wire.RuleUnfiledSoftware:       {"未登记软件", "Unfiled software"},
	wire.RuleAddressOutsidePlan:    {"规划外地址", "Address outside plan"},
	wire.RuleNewInfrastructure:     {"新建基础设施", "New infrastructure"},
}

// RuleName is the display name of a rule id in lang (the id itself when
// unknown).
func RuleName(id string, lang Lang) string {
	if l, ok := ruleNames[id]; ok {
		return l.in(lang)
	}
	return id
}

var severityNames = map[string]label{
	wire.SeverityCritical: {"严重", "critical"},
	wire.SeverityHigh:     {"高", "high"},
	wire.SeverityMedium:   {"中", "medium"},
	wire.SeverityLow:      {"低", "low"},
}

var severityRank = map[string]int{wire.SeverityCritical: 0, wire.SeverityHigh: 1, wire.SeverityMedium: 2, wire.SeverityLow: 3}

var statusNames = map[string]label{
	wire.StatusOpen:         {"未整改", "open"},
	wire.StatusAcknowledged: {"已确认", "acknowledged"},
	wire.StatusResolved:     {"已整改", "resolved"},
	wire.StatusExempted:     {"已豁免", "exempted"},
}

var categoryNames = map[string]label{
	"os":         {"操作系统", "operating system"},
	"database":   {"数据库", "database"},
	"middleware": {"中间件", "middleware"},
	"antivirus":  {"杀毒软件", "antivirus"},
	"office":     {"办公软件", "office"},
	"layout":     {"版式软件", "layout"},
	"other":      {"其他", "other"},
}

func lookup(m map[string]label, key string, lang Lang) string {
	if l, ok := m[key]; ok {
		return l.in(lang)
	}
	return key
}

func yesNo(b bool, lang Lang) string {
	if lang == EN {
		if b {
			return "yes"
		}
		return "no"
	}
	if b {
		return "是"
	}
	return "否"
}

// Document titles.
var (
	titleViolations = label{"电子政务外网违规情况报告", "E-government extranet violation report"}
	titleSummary    = label{"软件使用情况汇总表", "Software usage summary"}
	titleDetail     = label{"软件使用情况明细表", "Software usage detail"}
	titleProgress   = label{"电子政务外网整合进度", "Consolidation progress"}
	titleViolList   = label{"违规清单", "Violations"}
	titleByRule     = label{"按规则统计", "By rule"}
	titleDetails    = label{"违规详情、依据与证据", "Details, legal basis and evidence"}
)
