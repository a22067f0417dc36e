package ledger

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// installsCache keeps each department's current installs with the
// ledger_versions value they were read at. Every collector sharing the
// database bumps the version in the transaction that changes a department's
// installs, so a stale entry is always noticed and reloaded.
type installsCache struct {
	mu     sync.Mutex
	byDept map[string]cachedInstalls
}

type cachedInstalls struct {
	version int64
	ins     []Install
}

// current returns the current installs of department ("" = all, in
// department order) as a fresh slice the caller may change.
func (c *installsCache) current(ctx context.Context, s *Store, department string) ([]Install, error) {
	q, args := `SELECT department, version FROM ledger_versions ORDER BY department`, []any{}
	if department != "" {
		q, args = `SELECT department, version FROM ledger_versions WHERE department = ?`, []any{department}
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read installs versions: %w", err)
	}
	type dv struct {
		dept    string
		version int64
	}
	var want []dv
	for rows.Next() {
		var d dv
		if err := rows.Scan(&d.dept, &d.version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read installs versions: %w", err)
		}
		want = append(want, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Install{}
	for _, d := range want {
		c.mu.Lock()
		e, ok := c.byDept[d.dept]
		c.mu.Unlock()
		if !ok || e.version != d.version {
			// read after the version: the rows are at least that new, and a
			// later change bumps the version past the cached one
			ins, err := s.installs(ctx, d.dept, time.Time{})
			if err != nil {
				return nil, err
			}
			e = cachedInstalls{version: d.version, ins: ins}
			c.mu.Lock()
			if c.byDept == nil {
				c.byDept = map[string]cachedInstalls{}
			}
			c.byDept[d.dept] = e
			c.mu.Unlock()
		}
		out = append(out, e.ins...)
	}
	return out, nil
}
