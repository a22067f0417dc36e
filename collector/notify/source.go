package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// lookback is how far before the cursor each pass re-reads lifecycle
// events. Transactions on PostgreSQL may commit in another order than their
// recorded_at; re-reading a window and deduplicating in the outbox (unique
// sink + event key) means a late commit is still announced, once.
const lookback = 2 * time.Minute

type transition struct {
	key   string
	event Event
}

// transitionsSince reads lifecycle events recorded at or after since that
// people are told about: a finding opening, reopening or being resolved.
func transitionsSince(ctx context.Context, db *store.DB, since string, limit int) ([]transition, string, error) {
	rows, err := db.Query(ctx, `SELECT e.id, e.at, e.from_status, e.to_status, e.actor, e.note, e.recorded_at, v.department, v.body
FROM rules_violation_events e JOIN rules_violations v ON v.id = e.violation_id
WHERE e.recorded_at >= ? AND e.to_status IN ('open', 'resolved')
ORDER BY e.recorded_at, e.id LIMIT ?`, since, limit)
	if err != nil {
		return nil, since, fmt.Errorf("read lifecycle events: %w", err)
	}
	defer rows.Close()
	var out []transition
	last := since
	for rows.Next() {
		var id, at, from, to, actor, note, recorded, dept, body string
		if err := rows.Scan(&id, &at, &from, &to, &actor, &note, &recorded, &dept, &body); err != nil {
			return nil, since, fmt.Errorf("scan lifecycle event: %w", err)
		}
		last = recorded
		name := ""
		switch {
		case to == wire.StatusResolved:
			name = EventResolved
		case from == "":
			name = EventOpened
		case from == wire.StatusResolved || from == wire.StatusExempted:
			name = EventReopened
		default:
			continue
		}
		var v wire.Violation
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			return nil, since, fmt.Errorf("decode violation of event %s: %w", id, err)
		}
		v.Status = to
		when, _ := time.Parse(store.TimeLayout, at)
		out = append(out, transition{key: "event:" + id, event: Event{
			Name: name, At: when, Department: dept, Violation: &v,
			Transition: &Transition{From: from, To: to, Actor: actor, Note: note},
		}})
	}
	if err := rows.Err(); err != nil {
		return nil, since, fmt.Errorf("read lifecycle events: %w", err)
	}
	return out, last, nil
}

type agentRow struct {
	id, dept, hostname string
	last               time.Time
}

// agents returns every enrolled, unrevoked agent with the time of its last
// report (its enrolment when it never reported).
func agents(ctx context.Context, db *store.DB) ([]agentRow, error) {
	rows, err := db.Query(ctx, `SELECT a.id, a.department, a.hostname, a.enrolled_at,
 COALESCE((SELECT MAX(r.received_at) FROM reports r WHERE r.agent_id = a.id), '')
FROM agents a WHERE a.revoked = 0 ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("read agents: %w", err)
	}
	defer rows.Close()
	var out []agentRow
	for rows.Next() {
		var a agentRow
		var enrolled, reported string
		if err := rows.Scan(&a.id, &a.dept, &a.hostname, &enrolled, &reported); err != nil {
			return nil, fmt.Errorf("scan agent: %w", err)
		}
		a.last = parseTime(enrolled)
		if r := parseTime(reported); r.After(a.last) {
			a.last = r
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// parseTime reads the store's time columns; several packages write
// RFC3339Nano variants, so accept both layouts.
func parseTime(s string) time.Time {
	if t, err := time.Parse(store.TimeLayout, s); err == nil {
		return t
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
