package web

import (
	"net/http"
	"sort"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/collector/rules/packs"
)

// Deadline is one dated obligation of a policy pack the plan adopts: the
// progress page's burn-down draws open findings against it.
type Deadline struct {
	Pack     string `json:"pack"`
	Document string `json:"document"`
	Rule     string `json:"rule"`
	Kind     string `json:"kind"` // deadline or cutoff
	Date     string `json:"date"` // YYYY-MM-DD
}

// Deadlines lists the dated parameters of the given packs, by date.
func Deadlines(packIDs []string) []Deadline {
	out := []Deadline{}
	for _, id := range packIDs {
		p, ok := packs.Get(id)
		if !ok {
			continue
		}
		for rule := range p.Rules {
			for _, kind := range []string{"deadline", "cutoff"} {
				if d, ok := p.Date(rule, kind); ok {
					out = append(out, Deadline{Pack: id, Document: p.Document(), Rule: rule, Kind: kind, Date: d.Format("2006-01-02")})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Date < b.Date || a.Date == b.Date && (a.Pack < b.Pack || a.Pack == b.Pack && a.Rule < b.Rule)
	})
	return out
}

// MountDeadlines registers GET /api/v1/deadlines for every role: the dated
// obligations of the plan's packs.
func MountDeadlines(mount func(pattern string, roles []string, h http.Handler), packIDs []string) {
	ds := Deadlines(packIDs)
	mount("GET /api/v1/deadlines", auth.Roles, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond.JSON(w, http.StatusOK, ds)
	}))
}
