package rules

import (
	"encoding/json"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/wire"
)

// signal is one observation pointing at one rule. Signals sharing a key, or
// whose prefixes contain one another, are the same subject and become one
// Finding carrying all of them as evidence.
type signal struct {
	rule       string
	subject    string
	prio       int          // lower wins when choosing the merged subject
	keys       []string     // identities: "dev:10.1.0.1", "pn:公安网", "addr:203.0.113.1"
	pfx        netip.Prefix // optional: merged with signals it contains or is contained by
	registered bool
	packs      []string // cite only these packs (new-infrastructure)
	ev         wire.Evidence
}

func evidence(rep *wire.ScanReport, method string, detail map[string]any) wire.Evidence {
	agent := rep.Agent.ID
	if agent == "" {
		agent = rep.Agent.Hostname
	}
	terms.Annotate(detail)
	return wire.Evidence{Agent: agent, Method: method, ObservedAt: rep.FinishedAt.UTC(), Detail: detail}
}

// merge groups signals per rule into findings.
func merge(dept string, sigs []signal) []Finding {
	n := len(sigs)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	owner := map[string]int{}
	for i, s := range sigs {
		for _, k := range append([]string{"subject:" + s.subject}, s.keys...) {
			k = s.rule + "|" + k
			if j, ok := owner[k]; ok {
				union(i, j)
			} else {
				owner[k] = i
			}
		}
	}
	for i := 0; i < n; i++ {
		if !sigs[i].pfx.IsValid() {
			continue
		}
		for j := i + 1; j < n; j++ {
			if sigs[j].rule != sigs[i].rule || !sigs[j].pfx.IsValid() {
				continue
			}
			if sigs[i].pfx.Overlaps(sigs[j].pfx) {
				union(i, j)
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i := range sigs {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	var out []Finding
	for _, r := range roots {
		idx := groups[r]
		best := sigs[idx[0]]
		f := Finding{Rule: best.rule, Department: dept}
		for _, i := range idx {
			s := sigs[i]
			if s.prio < best.prio || (s.prio == best.prio && s.subject < best.subject) {
				best = s
			}
			f.Registered = f.Registered || s.registered
			for _, p := range s.packs {
				if !slices.Contains(f.Packs, p) {
					f.Packs = append(f.Packs, p)
				}
			}
			f.Evidence = append(f.Evidence, s.ev)
		}
		f.Subject = best.subject
		f.Evidence = dedupeEvidence(f.Evidence)
		out = append(out, f)
	}
	return out
}

// dedupeEvidence sorts evidence and drops exact repeats.
func dedupeEvidence(evs []wire.Evidence) []wire.Evidence {
	if len(evs) < 2 {
		// Most findings rest on one observation: nothing to sort or drop,
		// and no detail to encode for a key (a large department has
		// thousands of such findings per judgement).
		return append(make([]wire.Evidence, 0, len(evs)), evs...)
	}
	type keyed struct {
		k  string
		ev wire.Evidence
	}
	seen := map[string]bool{}
	var ks []keyed
	for _, e := range evs {
		d, _ := json.Marshal(e.Detail)
		k := e.ObservedAt.UTC().Format(time.RFC3339Nano) + "|" + e.Agent + "|" + e.Method + "|" + string(d)
		if seen[k] {
			continue
		}
		seen[k] = true
		ks = append(ks, keyed{k, e})
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].k < ks[j].k })
	out := make([]wire.Evidence, len(ks))
	for i, k := range ks {
		out[i] = k.ev
	}
	return out
}
