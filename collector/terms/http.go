package terms

import (
	"encoding/json"
	"net/http"
)

// Dictionary is every term in one language, keyed as the web UI keys its
// strings: "rule.<id>", "rule.<id>.registered", "st.<status>",
// "sev.<severity>", "role.<role>", "cat.<category>", "lic.<licence status>",
// "ur.<user role>", "filing.<filing status>", "as.<agent status>", "reason.<code>" (a
// template), "col.<column>" (column headers, ColumnName; the 明细表's
// licence "status" as "col.licence_status"), "act.<activation>",
// "devsrc.<device source>" and "<vocab>.<word>".
func Dictionary(lang Lang) map[string]string {
	m := map[string]string{}
	add := func(prefix string, src map[string]Text) {
		for k, t := range src {
			m[prefix+k] = t.In(lang)
		}
	}
	add("rule.", rules)
	for id := range rules {
		m["rule."+id+".registered"] = RuleTitle(id, true, lang)
	}
	add("st.", statuses)
	add("sev.", severities)
	add("role.", roles)
	add("cat.", categories)
	add("lic.", licences)
	add("ur.", userRoles)
	add("filing.", filings)
	add("as.", agentStatuses)
	for _, k := range ColumnKeys() {
		m["col."+k] = ColumnName(k, lang)
	}
	m["col.licence_status"] = ledgerFields["status"].In(lang)
	add("act.", activation)
	add("devsrc.", deviceSources)
	for c, t := range reasons {
		m["reason."+string(c)] = t.In(lang)
	}
	for v, words := range vocabularies {
		add(v+".", words)
	}
	return m
}

// Handler serves {"zh": Dictionary(ZH), "en": Dictionary(EN)} as JSON: the
// web UI's rule, status and reason words come from here.
func Handler() http.Handler {
	body, err := json.Marshal(map[Lang]map[string]string{ZH: Dictionary(ZH), EN: Dictionary(EN)})
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "private, max-age=300")
		_, _ = w.Write(body)
	})
}

// Route is where Handler is mounted.
const Route = "GET /api/v1/terms"
