package ledger

import (
	"context"
	"fmt"
	"sort"
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
	idx     deptInstalls // by product, for the pool walk
}

// current returns the current installs of department ("" = all, in
// department order) as a fresh slice the caller may change.
func (c *installsCache) current(ctx context.Context, s *Store, department string) ([]Install, error) {
	_, entries, err := c.load(ctx, s, department)
	if err != nil {
		return nil, err
	}
	out := []Install{}
	for _, e := range entries {
		out = append(out, e.ins...)
	}
	return out, nil
}

// snapshot returns the departments with installs (sorted) and their
// current cached installs, shared: callers must not change them.
func (c *installsCache) snapshot(ctx context.Context, s *Store) ([]string, map[string]cachedInstalls, error) {
	depts, entries, err := c.load(ctx, s, "")
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]cachedInstalls, len(depts))
	for i, d := range depts {
		m[d] = entries[i]
	}
	// code order as Evaluate compares (Go strings), not the database's collation
	sort.Strings(depts)
	return depts, m, nil
}

// load brings the entries of department ("" = all) up to date with
// ledger_versions, reloading only the departments that changed.
func (c *installsCache) load(ctx context.Context, s *Store, department string) ([]string, []cachedInstalls, error) {
	q, args := `SELECT department, version FROM ledger_versions ORDER BY department`, []any{}
	if department != "" {
		q, args = `SELECT department, version FROM ledger_versions WHERE department = ?`, []any{department}
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("read installs versions: %w", err)
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
			return nil, nil, fmt.Errorf("read installs versions: %w", err)
		}
		want = append(want, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	depts := make([]string, 0, len(want))
	out := make([]cachedInstalls, 0, len(want))
	for _, d := range want {
		c.mu.Lock()
		e, ok := c.byDept[d.dept]
		c.mu.Unlock()
		if !ok || e.version != d.version {
			// read after the version: the rows are at least that new, and a
			// later change bumps the version past the cached one
			ins, err := s.installs(ctx, d.dept, time.Time{})
			if err != nil {
				return nil, nil, err
			}
			e = cachedInstalls{version: d.version, ins: ins, idx: indexInstalls(d.version, ins)}
			c.mu.Lock()
			if c.byDept == nil {
				c.byDept = map[string]cachedInstalls{}
			}
			c.byDept[d.dept] = e
			c.mu.Unlock()
		}
		depts = append(depts, d.dept)
		out = append(out, e)
	}
	return depts, out, nil
}
