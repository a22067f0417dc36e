package lifecycle

import (
	"context"
	"fmt"
)

// OpenByRule counts the department's findings that are still present,
// keyed by rule id: the figures progress tracks down to zero. Only resolved
// findings are gone; an exempted one (a registered exit or an approved
// legacy line awaiting migration) still counts until it disappears from the
// network, as ARCHITECTURE's "registered legacy states" requires.
func (s *Store) OpenByRule(ctx context.Context, department string) (map[string]int, error) {
	// Kept up to date by every status change (Store.event), so a report's
	// progress figures cost a read of a few rows, not a count of the
	// department's findings. A lapsed exemption not yet recorded is open,
	// still not resolved: the count is the same.
	rows, err := s.db.Query(ctx, `SELECT rule, n FROM rules_open_counts WHERE department = ? AND n > 0`, department)
	if err != nil {
		return nil, fmt.Errorf("count open violations of %s: %w", department, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var rule string
		var n int
		if err := rows.Scan(&rule, &n); err != nil {
			return nil, fmt.Errorf("count open violations of %s: %w", department, err)
		}
		out[rule] = n
	}
	return out, rows.Err()
}
