package rules

import (
	"testing"

	"github.com/egovnet/egovnet/collector/rules/packs"
	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestEveryRuleIsComplete keeps "where to add a rule" true: a rule id in
// wire.RuleIDs has its terms (zh and en names) and at least one shipped
// pack citing it, so a new rule cannot ship half-added.
func TestEveryRuleIsComplete(t *testing.T) {
	for _, id := range wire.RuleIDs {
		if terms.Rule(id, terms.ZH) == id || terms.Rule(id, terms.EN) == id {
			t.Errorf("rule %s has no name in the terms package", id)
		}
		cited := false
		for _, p := range packs.All() {
			if len(p.Citations(id)) > 0 {
				cited = true
			}
		}
		if !cited {
			t.Errorf("rule %s: no shipped pack cites it", id)
		}
	}
}
