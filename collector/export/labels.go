package export

import (
	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/wire"
)

type label struct{ zh, en string }

func (l label) in(lang Lang) string {
	if lang == EN {
		return l.en
	}
	return l.zh
}

// The names of rules, severities and statuses come from the terms package,
// so an export, the audit table and the web UI use the same words.
var (
	ruleNames     = fromTerms(wire.RuleIDs, terms.Rule)
	severityNames = fromTerms([]string{wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium, wire.SeverityLow}, terms.Severity)
	statusNames   = fromTerms([]string{wire.StatusOpen, wire.StatusAcknowledged, wire.StatusResolved, wire.StatusExempted}, terms.Status)
)

func fromTerms(ids []string, name func(id string, lang terms.Lang) string) map[string]label {
	m := make(map[string]label, len(ids))
	for _, id := range ids {
		m[id] = label{zh: name(id, terms.ZH), en: name(id, terms.EN)}
	}
	return m
}

// RuleName is the display name of a rule id in lang (the id itself when
// unknown).
func RuleName(id string, lang Lang) string {
	if l, ok := ruleNames[id]; ok {
		return l.in(lang)
	}
	return id
}

var severityRank = map[string]int{wire.SeverityCritical: 0, wire.SeverityHigh: 1, wire.SeverityMedium: 2, wire.SeverityLow: 3}

var categoryNames = fromTerms([]string{"os", "database", "middleware", "antivirus", "office", "layout", "other"}, terms.Category)

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
