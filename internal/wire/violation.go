package wire

import "time"

// Rule ids (CONTRACT). Detectors, packs and the API use exactly these.
const (
	RuleInternetEgress        = "internet-egress"
	RulePrivateLink           = "private-link"
	RuleIsolationBreach       = "isolation-breach"
	RuleLocalServer           = "local-server"
	RuleDepartmentWebsite     = "department-website"
	RuleUnlicensedSoftware    = "unlicensed-software"
	RuleLicenseOverDeployment = "license-over-deployment"
	RuleUnfiledSoftware       = "unfiled-software"
	RuleAddressOutsidePlan    = "address-outside-plan"
	RuleNewInfrastructure     = "new-infrastructure"
)

// RuleIDs lists every rule id in a stable order.
var RuleIDs = []string{
	RuleInternetEgress, RulePrivateLink, RuleIsolationBreach, RuleLocalServer,
	RuleDepartmentWebsite, RuleUnlicensedSoftware, RuleLicenseOverDeployment,
	RuleUnfiledSoftware, RuleAddressOutsidePlan, RuleNewInfrastructure,
}

// Violation statuses.
const (
	StatusOpen         = "open"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
	StatusExempted     = "exempted"
)

// Severities, most serious first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// Violation is one finding about one subject in one department.
type Violation struct {
	ID         string     `json:"id"`
	Rule       string     `json:"rule"`
	Department string     `json:"department"`
	Subject    string     `json:"subject"`
	Severity   string     `json:"severity"`
	Status     string     `json:"status"`
	Title      string     `json:"title,omitempty"`    // zh-CN one-liner
	TitleEN    string     `json:"title_en,omitempty"` // English one-liner
	Registered bool       `json:"registered,omitempty"`
	Citations  []Citation `json:"citations"`
	Evidence   []Evidence `json:"evidence"`
	Exemption  *Exemption `json:"exemption,omitempty"`
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
}

// Citation names the article a finding breaks, with the article's own words.
type Citation struct {
	Pack     string `json:"pack"`
	Document string `json:"document"`
	Article  string `json:"article"`
	Text     string `json:"text"`
	Summary  string `json:"summary,omitempty"` // English
}

// Evidence is one signal behind a finding.
type Evidence struct {
	Agent      string         `json:"agent"`
	Method     string         `json:"method"`
	ObservedAt time.Time      `json:"observed_at"`
	Detail     map[string]any `json:"detail"`
}

// Exemption records why a finding is tolerated (除国家、市另有规定外).
type Exemption struct {
	Basis    string    `json:"basis"`
	Approver string    `json:"approver"`
	Expires  time.Time `json:"expires"`
}
