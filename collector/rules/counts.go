package rules

import (
	"context"

	"github.com/egovnet/egovnet/internal/wire"
)

// OpenByRule counts the department's findings that are still present (open
// or acknowledged), keyed by rule id: the figures progress tracks down to
// zero. Exempted and resolved findings no longer count.
func (s *Store) OpenByRule(ctx context.Context, department string) (map[string]int, error) {
	vs, err := s.List(ctx, Filter{Department: department})
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, v := range vs {
		if v.Status == wire.StatusOpen || v.Status == wire.StatusAcknowledged {
			out[v.Rule]++
		}
	}
	return out, nil
}
