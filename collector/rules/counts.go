package rules

import (
	"context"

	"github.com/egovnet/egovnet/internal/wire"
)

// OpenByRule counts the department's findings that are still present,
// keyed by rule id: the figures progress tracks down to zero. Only resolved
// findings are gone; an exempted one (a registered exit or an approved
// legacy line awaiting migration) still counts until it disappears from the
// network, as ARCHITECTURE's "registered legacy states" requires.
func (s *Store) OpenByRule(ctx context.Context, department string) (map[string]int, error) {
	vs, err := s.List(ctx, Filter{Department: department})
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, v := range vs {
		if v.Status != wire.StatusResolved {
			out[v.Rule]++
		}
	}
	return out, nil
}
