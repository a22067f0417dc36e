package lifecycle

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Each hands fn the violations List(f) returns, one at a time, in the
// exports' reading order (most severe first, then rule, department,
// subject), with one row in memory: an export of 200,000 violations must
// not hold them all (issue #10). fn's error stops the walk and is returned.
//
// It reads without writing, as List does: an exemption past its expiry
// whose expiry ExpireDue has not recorded yet is shown open.
//
// f.Offset and f.Limit (non-zero) page the walk: in SQL when the stored
// rows are exactly the answer (the current state, filtered by any status
// but open or exempted, whose lapsed exemptions move between them), else by
// skipping rows as they stream.
func (s *Store) Each(ctx context.Context, f Filter, fn func(wire.Violation) error) error {
	now := s.now()
	var asOf map[string]Event
	if !f.AsOf.IsZero() {
		var err error
		if asOf, err = s.statesAt(ctx, f.AsOf); err != nil {
			return err
		}
	}
	where, args := eachWhere(f, asOf == nil)
	order := readingOrder
	if s.db.Dialect == store.Postgres {
		// byte order, as Go compares strings, not the database's locale
		order = strings.ReplaceAll(order, "department, subject", `department COLLATE "C", subject COLLATE "C"`)
	}
	q := `SELECT ` + rowCols + ` FROM rules_violations WHERE ` + where + ` ORDER BY ` + order + `, id`
	skip, left := f.Offset, f.Limit
	if asOf == nil && f.Status != wire.StatusOpen && f.Status != wire.StatusExempted {
		switch {
		case f.Limit > 0:
			q += ` LIMIT ?`
			args = append(args, f.Limit)
		case f.Offset > 0 && s.db.Dialect == store.SQLite:
			q += ` LIMIT -1` // SQLite takes no OFFSET without a LIMIT
		}
		if f.Offset > 0 {
			q += ` OFFSET ?`
			args = append(args, f.Offset)
		}
		skip = 0
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list violations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return err
		}
		if asOf == nil && r.status == wire.StatusExempted && expiredAt(r.exExpires, now) {
			r.status = wire.StatusOpen
			r.setExemption("", nil)
		}
		v, err := r.violation()
		if err != nil {
			return err
		}
		if asOf == nil && f.Status != "" && v.Status != f.Status {
			continue // an exemption that lapsed is open, no longer exempted
		}
		if asOf != nil {
			// as List does: the state and evidence of that moment
			ev, ok := asOf[r.id]
			if !ok {
				continue
			}
			asOfState(&v, ev, f.AsOf)
			if f.Status != "" && v.Status != f.Status {
				continue
			}
		}
		if skip > 0 {
			skip--
			continue
		}
		if err := fn(v); err != nil {
			return err
		}
		if left--; left == 0 {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list violations: %w", err)
	}
	return nil
}

// Count is how many violations List(f) returns, without reading them
// (with an as-of moment it walks them, one row in memory).
func (s *Store) Count(ctx context.Context, f Filter) (int, error) {
	if !f.AsOf.IsZero() {
		n := 0
		err := s.Each(ctx, f, func(wire.Violation) error { n++; return nil })
		return n, err
	}
	// Counted in SQL by stored status; exemptions that lapsed since
	// ExpireDue last ran are moved from exempted to open here, by reading
	// only the exempted rows' expiry, never by writing.
	where, args := streamWhere(f, true)
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM rules_violations WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count violations: %w", err)
	}
	if f.Status != wire.StatusOpen && f.Status != wire.StatusExempted {
		return n, nil
	}
	lapsed, err := s.lapsed(ctx, Filter{Department: f.Department, Rule: f.Rule, Q: f.Q})
	if err != nil {
		return 0, err
	}
	if f.Status == wire.StatusOpen {
		return n + lapsed, nil
	}
	return n - lapsed, nil
}

// lapsed counts the exempted violations matching f (status aside) whose
// exemption no longer holds now but whose expiry is not recorded yet.
func (s *Store) lapsed(ctx context.Context, f Filter) (int, error) {
	f.Status = wire.StatusExempted
	where, args := streamWhere(f, true)
	rows, err := s.db.Query(ctx, `SELECT exemption_expires FROM rules_violations WHERE `+where+` AND exemption_expires <> ''`, args...)
	if err != nil {
		return 0, fmt.Errorf("count lapsed exemptions: %w", err)
	}
	defer rows.Close()
	now, n := s.now(), 0
	for rows.Next() {
		var exp string
		if err := rows.Scan(&exp); err != nil {
			return 0, fmt.Errorf("count lapsed exemptions: %w", err)
		}
		if expiredAt(parseTS(exp), now) {
			n++
		}
	}
	return n, rows.Err()
}

// streamWhere is the filter as SQL; the status filter is SQL only for the
// current state (withStatus), not for a past one.
func streamWhere(f Filter, withStatus bool) (string, []any) {
	where := "1 = 1"
	var args []any
	if f.Department != "" {
		where += " AND department = ?"
		args = append(args, f.Department)
	}
	if f.Rule != "" {
		where += " AND rule = ?"
		args = append(args, f.Rule)
	}
	if withStatus && f.Status != "" {
		where += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.Q != "" {
		where += ` AND search_text LIKE ? ESCAPE '\'`
		args = append(args, likePattern(f.Q))
	}
	return where, args
}

// eachWhere is streamWhere for Each: "open" also selects exemptions that
// may have lapsed (Each settles the exact status row by row).
func eachWhere(f Filter, withStatus bool) (string, []any) {
	if withStatus && f.Status == wire.StatusOpen {
		where, args := streamWhere(Filter{Department: f.Department, Rule: f.Rule, Q: f.Q}, false)
		where += " AND (status = ? OR (status = ? AND exemption_expires <> ''))"
		return where, append(args, wire.StatusOpen, wire.StatusExempted)
	}
	return streamWhere(f, withStatus)
}

// readingOrder sorts in SQL as the exports sort in Go.
var readingOrder = func() string {
	var b strings.Builder
	b.WriteString("CASE severity")
	for i, s := range []string{wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium, wire.SeverityLow} {
		b.WriteString(" WHEN '" + s + "' THEN " + strconv.Itoa(i))
	}
	b.WriteString(" ELSE 9 END, CASE rule")
	for i, r := range wire.RuleIDs {
		b.WriteString(" WHEN '" + r + "' THEN " + strconv.Itoa(i))
	}
	b.WriteString(" ELSE 99 END, department, subject")
	return b.String()
}()
