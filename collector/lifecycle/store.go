package lifecycle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/chinatime"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

// Errors of the lifecycle store.
var (
	ErrNotFound   = errors.New("violation not found")
	ErrTransition = errors.New("transition not allowed")
)

// Actor kinds of lifecycle events.
const (
	ActorScan   = "scan"   // a scan's evaluation; the event carries the scan's finished_at
	ActorUser   = "user"   // a person; the event carries the moment it was made
	ActorSystem = "system" // an exemption reaching its expiry
)

// Event is one lifecycle transition.
type Event struct {
	ViolationID string          `json:"violation_id"`
	Seq         int64           `json:"seq"`
	At          time.Time       `json:"at"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	ActorKind   string          `json:"actor_kind"`
	Actor       string          `json:"actor"`
	Note        string          `json:"note,omitempty"`
	Exemption   *wire.Exemption `json:"exemption,omitempty"`
	RecordedAt  time.Time       `json:"recorded_at"`
}

// Scan identifies the scan an evaluation came from.
type Scan struct {
	ReportID   string
	Agent      string
	FinishedAt time.Time
	// Backfill marks an older scan arriving late (an offline import): it
	// adds what it saw first, changes no status and resolves nothing.
	Backfill bool
	// Revision marks a judgement of the current facts again after a
	// backfill moved the history back: like a backfill it counts as no
	// scan (nothing is missed), but Retract applies.
	Revision bool
	// Retract, when set, names the findings this evaluation refutes
	// rather than misses (a non-empty note): they resolve at once instead
	// of after resolveAfter scans.
	Retract func(rule, subject string) string
	// Queued marks the judgement of queued scans (a batch of a large
	// department, batch.go): ReportID and Covers leave the queue with it.
	Queued bool
	// Covers are the other scans of the department this judgement stands
	// for: they are recorded as applied, and a finding one of them saw
	// first is dated and attributed to it.
	Covers []Covered
}

// Covered is one scan a batched judgement stands for.
type Covered struct {
	ReportID, Agent string
	FinishedAt      time.Time
}

// ids are the report ids the judgement applies: its own and those it covers.
func (s Scan) ids() []string {
	out := []string{s.ReportID}
	for _, c := range s.Covers {
		out = append(out, c.ReportID)
	}
	return out
}

// attribution is the moment and actor of a transition that v's evidence
// causes: the scan that saw it first among those this judgement covers
// (a batch judges many scans at once; the finding's history still starts
// with the scan that showed it), else the judgement's own scan.
func (s Scan) attribution(v wire.Violation, at time.Time, actor string) (time.Time, string) {
	if len(s.Covers) == 0 {
		return at, actor
	}
	var best *Covered
	for _, e := range v.Evidence {
		for i := range s.Covers {
			c := &s.Covers[i]
			if c.Agent == e.Agent && c.FinishedAt.Equal(e.ObservedAt) && (best == nil || c.FinishedAt.Before(best.FinishedAt)) {
				best = c
			}
		}
	}
	if best == nil || !best.FinishedAt.Before(at) {
		return at, actor
	}
	return best.FinishedAt.UTC(), best.Agent + " " + best.ReportID
}

// Filter selects violations; AsOf (non-zero) reconstructs the state at that
// moment from the events.
type Filter struct {
	Department string
	Status     string
	Rule       string
	AsOf       time.Time
	// Q matches case-insensitively the subject, the id and the evidence's
	// addresses, MACs and names (CONTRACT lists; searchText).
	Q string
	// Limit (0 = all) and Offset page the sorted result; ListPage also
	// returns the number of matches before paging, Each pages its walk.
	Limit, Offset int
}

// Store keeps every finding's lifecycle in the collector database.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns the lifecycle store on db (migrated by store.Migrate).
func NewStore(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

// SetClock replaces the clock of person-made transitions (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// ts formats instants fixed-width so that they sort as text on both backends.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

type row struct {
	id, dept, rule, subject, status, severity string
	registered                                bool
	body, search                              string
	firstSeen, lastSeen                       time.Time
	missed                                    int
	exSource, exBasis, exApprover             string
	exExpires                                 time.Time
	seq                                       int64
}

const rowCols = `id, department, rule, subject, status, severity, registered, body, first_seen, last_seen, missed,
 exemption_source, exemption_basis, exemption_approver, exemption_expires, seq, search_text`

type scanner interface{ Scan(...any) error }

func scanRow(sc scanner) (*row, error) {
	var r row
	var reg, missed int
	var seq int64
	var fs, ls, exp string
	if err := sc.Scan(&r.id, &r.dept, &r.rule, &r.subject, &r.status, &r.severity, &reg, &r.body, &fs, &ls, &missed,
		&r.exSource, &r.exBasis, &r.exApprover, &exp, &seq, &r.search); err != nil {
		return nil, err
	}
	r.registered, r.missed, r.seq = reg != 0, missed, seq
	r.firstSeen, r.lastSeen, r.exExpires = parseTS(fs), parseTS(ls), parseTS(exp)
	return &r, nil
}

func (r *row) violation() (wire.Violation, error) {
	var v wire.Violation
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		return v, fmt.Errorf("decode violation %s: %w", r.id, err)
	}
	v.ID, v.Department, v.Rule, v.Subject = r.id, r.dept, r.rule, r.subject
	v.Status, v.Severity, v.Registered = r.status, r.severity, r.registered
	v.FirstSeen, v.LastSeen = r.firstSeen, r.lastSeen
	v.Exemption = nil
	if r.status == wire.StatusExempted {
		v.Exemption = &wire.Exemption{Basis: r.exBasis, Approver: r.exApprover, Expires: r.exExpires}
	}
	return v, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// event appends one transition and moves the row's status.
func (s *Store) event(ctx context.Context, tx *store.Tx, r *row, to string, at time.Time, kind, actor, note string, ex *wire.Exemption) error {
	r.seq++
	data := "{}"
	if ex != nil {
		b, _ := json.Marshal(map[string]any{"exemption": ex})
		data = string(b)
	}
	_, err := tx.Exec(ctx, `INSERT INTO rules_violation_events (id, violation_id, seq, at, from_status, to_status, actor_kind, actor, note, data, recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, uuid.NewString(), r.id, r.seq, ts(at), r.status, to, kind, actor, note, data, ts(s.now()))
	if err != nil {
		return fmt.Errorf("record event %s %s->%s: %w", r.id, r.status, to, err)
	}
	// Keep the department's count of present findings per rule as the
	// status moves (OpenByRule reads it instead of counting rows).
	if was, is := r.status != "" && r.status != wire.StatusResolved, to != wire.StatusResolved; was != is {
		d := 1
		if was {
			d = -1
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rules_open_counts (department, rule, n) VALUES (?, ?, ?)
ON CONFLICT (department, rule) DO UPDATE SET n = rules_open_counts.n + excluded.n`, r.dept, r.rule, d); err != nil {
			return fmt.Errorf("count %s of %s: %w", r.rule, r.dept, err)
		}
	}
	r.status = to
	return nil
}

const saveSQL = `UPDATE rules_violations SET status = ?, severity = ?, registered = ?, body = ?, first_seen = ?, last_seen = ?,
 missed = ?, exemption_source = ?, exemption_basis = ?, exemption_approver = ?, exemption_expires = ?, seq = ?, search_text = ?, updated_at = ? WHERE id = ?`

func (s *Store) saveArgs(r *row) []any {
	return []any{r.status, r.severity, boolInt(r.registered), r.body, ts(r.firstSeen), ts(r.lastSeen), r.missed, r.exSource, r.exBasis, r.exApprover,
		tsOrEmpty(r.exExpires), r.seq, r.search, ts(s.now()), r.id}
}

func (s *Store) save(ctx context.Context, tx *store.Tx, r *row) error {
	_, err := tx.Exec(ctx, saveSQL, s.saveArgs(r)...)
	if err != nil {
		return fmt.Errorf("update violation %s: %w", r.id, err)
	}
	return nil
}

func tsOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

func (r *row) setExemption(source string, ex *wire.Exemption) {
	if ex == nil {
		r.exSource, r.exBasis, r.exApprover, r.exExpires = "", "", "", time.Time{}
		return
	}
	r.exSource, r.exBasis, r.exApprover, r.exExpires = source, ex.Basis, ex.Approver, ex.Expires
}

// exemptionUntil is when an exemption stops holding: a date-only expiry
// holds through that day (China Standard Time).
func exemptionUntil(t time.Time) time.Time {
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, chinatime.Location)
	}
	return t
}

// expire reopens exemptions whose expiry has passed by at; the event is
// stamped with the expiry itself so "as of" history is exact.
func (s *Store) expire(ctx context.Context, tx *store.Tx, where string, args []any, at time.Time) error {
	rows, err := tx.Query(ctx, `SELECT `+rowCols+` FROM rules_violations WHERE status = ? AND exemption_expires <> '' AND `+where,
		append([]any{wire.StatusExempted}, args...)...)
	if err != nil {
		return fmt.Errorf("find expired exemptions: %w", err)
	}
	var due []*row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return err
		}
		if until := exemptionUntil(r.exExpires); !until.After(at) {
			due = append(due, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range due {
		if err := s.event(ctx, tx, r, wire.StatusOpen, exemptionUntil(r.exExpires), ActorSystem, "egovnet", "exemption expired", nil); err != nil {
			return err
		}
		r.setExemption("", nil)
		if err := s.save(ctx, tx, r); err != nil {
			return err
		}
	}
	return nil
}

func bodyOf(v wire.Violation) string {
	v.Status, v.Exemption = "", nil
	b, _ := json.Marshal(v)
	return string(b)
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// transition applies a person's change to one violation.
func (s *Store) transition(ctx context.Context, id, by, note string, to string, ex *wire.Exemption, allowed ...string) (wire.Violation, error) {
	var out wire.Violation
	now := s.now().UTC()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.expire(ctx, tx, "id = ?", []any{id}, now); err != nil {
			return err
		}
		r, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+` FROM rules_violations WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("load violation %s: %w", id, err)
		}
		ok := false
		for _, a := range allowed {
			ok = ok || r.status == a
		}
		if !ok {
			return fmt.Errorf("%w: %s -> %s (allowed from %s)", ErrTransition, r.status, to, strings.Join(allowed, ", "))
		}
		if to == wire.StatusExempted {
			r.setExemption("user", ex)
		} else {
			r.setExemption("", nil)
		}
		if err := s.event(ctx, tx, r, to, now, ActorUser, by, note, ex); err != nil {
			return err
		}
		r.missed = 0
		if err := s.save(ctx, tx, r); err != nil {
			return err
		}
		out, err = r.violation()
		return err
	})
	return out, err
}

// Acknowledge marks an open finding as seen by a person.
func (s *Store) Acknowledge(ctx context.Context, id, by, note string) (wire.Violation, error) {
	return s.transition(ctx, id, by, note, wire.StatusAcknowledged, nil, wire.StatusOpen)
}

// Exempt tolerates a finding until ex.Expires, with its legal basis and
// approver (除国家、市另有规定外); it reopens at the expiry.
func (s *Store) Exempt(ctx context.Context, id, by string, ex wire.Exemption) (wire.Violation, error) {
	if strings.TrimSpace(ex.Basis) == "" || strings.TrimSpace(ex.Approver) == "" || ex.Expires.IsZero() {
		return wire.Violation{}, fmt.Errorf("%w: an exemption needs basis, approver and expires", ErrTransition)
	}
	if !exemptionUntil(ex.Expires).After(s.now()) {
		return wire.Violation{}, fmt.Errorf("%w: expires %s is already past", ErrTransition, ex.Expires.Format("2006-01-02"))
	}
	return s.transition(ctx, id, by, ex.Basis, wire.StatusExempted, &ex, wire.StatusOpen, wire.StatusAcknowledged)
}

// Resolve closes a finding by hand; it reopens if a later scan sees it.
func (s *Store) Resolve(ctx context.Context, id, by, note string) (wire.Violation, error) {
	return s.transition(ctx, id, by, note, wire.StatusResolved, nil, wire.StatusOpen, wire.StatusAcknowledged, wire.StatusExempted)
}

// Get returns one violation's current state.
func (s *Store) Get(ctx context.Context, id string) (wire.Violation, error) {
	vs, err := s.list(ctx, Filter{}, id)
	if err != nil {
		return wire.Violation{}, err
	}
	if len(vs) == 0 {
		return wire.Violation{}, ErrNotFound
	}
	return vs[0], nil
}

// List returns violations matching f, now or as of f.AsOf.
func (s *Store) List(ctx context.Context, f Filter) ([]wire.Violation, error) {
	vs, _, err := s.ListPage(ctx, f)
	return vs, err
}

// ListPage is List that also returns how many violations match f before
// f.Limit and f.Offset apply (the X-Total-Count of the API).
func (s *Store) ListPage(ctx context.Context, f Filter) ([]wire.Violation, int, error) {
	vs, err := s.list(ctx, f, "")
	if err != nil {
		return nil, 0, err
	}
	total := len(vs)
	if f.Offset > 0 {
		if f.Offset >= len(vs) {
			vs = vs[:0]
		} else {
			vs = vs[f.Offset:]
		}
	}
	if f.Limit > 0 && f.Limit < len(vs) {
		vs = vs[:f.Limit]
	}
	return vs, total, nil
}

// ExpireDue records the expiry of every exemption whose end has passed by
// now. Reads already show such findings open (see list); this writes the
// transition into history. The collector calls it from its write path and
// on a timer, never from a read.
func (s *Store) ExpireDue(ctx context.Context) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		return s.expire(ctx, tx, "1 = 1", nil, s.now())
	})
}

// expiredAt reports whether an exemption with this expiry no longer holds at t.
func expiredAt(expires, t time.Time) bool {
	return !expires.IsZero() && !exemptionUntil(expires).After(t)
}

// list reads without writing: an exemption past its expiry whose expiry
// event is not recorded yet (ExpireDue) is shown as what it already is,
// open, both now and as of any moment after the expiry.
func (s *Store) list(ctx context.Context, f Filter, id string) ([]wire.Violation, error) {
	now := s.now()
	q := `SELECT ` + rowCols + ` FROM rules_violations WHERE 1 = 1`
	var args []any
	if f.Department != "" {
		q += ` AND department = ?`
		args = append(args, f.Department)
	}
	if f.Rule != "" {
		q += ` AND rule = ?`
		args = append(args, f.Rule)
	}
	if id != "" {
		q += ` AND id = ?`
		args = append(args, id)
	}
	if f.Q != "" {
		q += ` AND search_text LIKE ? ESCAPE '\'`
		args = append(args, likePattern(f.Q))
	}
	if f.AsOf.IsZero() && f.Status != "" {
		// the stored status, widened by exemptions that may have lapsed;
		// the exact status is settled below
		if f.Status == wire.StatusOpen {
			q += ` AND (status = ? OR (status = ? AND exemption_expires <> ''))`
			args = append(args, wire.StatusOpen, wire.StatusExempted)
		} else {
			q += ` AND status = ?`
			args = append(args, f.Status)
		}
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list violations: %w", err)
	}
	var rs []*row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var asOf map[string]Event
	if !f.AsOf.IsZero() {
		if asOf, err = s.statesAt(ctx, f.AsOf); err != nil {
			return nil, err
		}
	}
	out := []wire.Violation{}
	for _, r := range rs {
		if asOf == nil && r.status == wire.StatusExempted && expiredAt(r.exExpires, now) {
			r.status = wire.StatusOpen
			r.setExemption("", nil)
		}
		v, err := r.violation()
		if err != nil {
			return nil, err
		}
		if asOf != nil {
			ev, ok := asOf[r.id]
			if !ok {
				continue // did not exist yet
			}
			asOfState(&v, ev, f.AsOf)
		}
		if f.Status != "" && v.Status != f.Status {
			continue
		}
		out = append(out, v)
	}
	rules.SortViolations(out)
	return out, nil
}

// statesAt returns each violation's last event at or before t.
// asOfState turns v (as stored now) into what it was at t, given its last
// lifecycle event by then: status and exemption (an exemption that had run
// out by t counts as open), last seen, and the evidence observed by t.
func asOfState(v *wire.Violation, ev Event, t time.Time) {
	v.Status, v.Exemption = ev.To, ev.Exemption
	if v.Status == wire.StatusExempted && v.Exemption != nil && expiredAt(v.Exemption.Expires, t) {
		v.Status, v.Exemption = wire.StatusOpen, nil
	}
	if v.LastSeen.After(t) {
		v.LastSeen = t.UTC()
	}
	var kept []wire.Evidence
	for _, e := range v.Evidence {
		if !e.ObservedAt.After(t) {
			kept = append(kept, e)
		}
	}
	if len(kept) > 0 {
		v.Evidence = kept
	}
}

func (s *Store) statesAt(ctx context.Context, t time.Time) (map[string]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT violation_id, seq, at, from_status, to_status, actor_kind, actor, note, data, recorded_at
 FROM rules_violation_events WHERE at <= ? ORDER BY violation_id, at, seq`, ts(t))
	if err != nil {
		return nil, fmt.Errorf("reconstruct state as of %s: %w", t.Format(time.RFC3339), err)
	}
	defer rows.Close()
	out := map[string]Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out[e.ViolationID] = e
	}
	return out, rows.Err()
}

func scanEvent(sc scanner) (Event, error) {
	var e Event
	var at, rec, data string
	if err := sc.Scan(&e.ViolationID, &e.Seq, &at, &e.From, &e.To, &e.ActorKind, &e.Actor, &e.Note, &data, &rec); err != nil {
		return e, fmt.Errorf("read event: %w", err)
	}
	e.At, e.RecordedAt = parseTS(at), parseTS(rec)
	var d struct {
		Exemption *wire.Exemption `json:"exemption"`
	}
	if json.Unmarshal([]byte(data), &d) == nil {
		e.Exemption = d.Exemption
	}
	return e, nil
}

// Events returns one violation's history, oldest first, including the
// expiry of a lapsed exemption that ExpireDue has not recorded yet (a read
// shows it, only the write path records it).
func (s *Store) Events(ctx context.Context, id string) ([]Event, error) {
	evs, err := s.events(ctx, id)
	if err != nil || len(evs) == 0 {
		return evs, err
	}
	r, err := scanRow(s.db.QueryRow(ctx, `SELECT `+rowCols+` FROM rules_violations WHERE id = ?`, id))
	if err != nil {
		return evs, nil // the history stands on its own
	}
	if now := s.now(); r.status == wire.StatusExempted && expiredAt(r.exExpires, now) {
		evs = append(evs, Event{ViolationID: id, Seq: r.seq + 1, At: exemptionUntil(r.exExpires).UTC(), From: wire.StatusExempted,
			To: wire.StatusOpen, ActorKind: ActorSystem, Actor: "egovnet", Note: "exemption expired", RecordedAt: now.UTC()})
	}
	return evs, nil
}

func (s *Store) events(ctx context.Context, id string) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT violation_id, seq, at, from_status, to_status, actor_kind, actor, note, data, recorded_at
 FROM rules_violation_events WHERE violation_id = ? ORDER BY at, seq`, id)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// deptLockKey is the advisory lock key of a department's lifecycle.
func deptLockKey(dept string) int64 { return store.LockKey("egovnet/rules/" + dept) }
