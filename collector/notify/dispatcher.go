package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/google/uuid"
)

// Options tune the dispatcher; zero values take the defaults.
type Options struct {
	Interval    time.Duration // how often a pass runs (default 5s)
	MaxAttempts int           // deliveries tried before a row is dead (default 20)
	SilentAfter time.Duration // no report for this long: agent.silent (default 2h; 0 disables)
	SendTimeout time.Duration // one delivery (default 10s)
	Batch       int           // rows per pass (default 200)
	Logger      *slog.Logger
	Now         func() time.Time
}

// Dispatcher moves events from the store to the sinks.
type Dispatcher struct {
	seq   int64 // orders rows queued in the same instant
	db    *store.DB
	sinks map[string]Sink
	order []Sink
	o     Options
}

// New returns a dispatcher over sinks (names must be unique).
func New(db *store.DB, sinks []Sink, o Options) (*Dispatcher, error) {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 10 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 200
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Dispatcher{db: db, sinks: map[string]Sink{}, o: o}
	for _, s := range sinks {
		if _, dup := d.sinks[s.Name()]; dup {
			return nil, fmt.Errorf("notify: two sinks named %q", s.Name())
		}
		d.sinks[s.Name()] = s
		d.order = append(d.order, s)
	}
	return d, nil
}

// Run passes until ctx ends. Errors are logged; the next pass retries.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.o.Interval)
	defer t.Stop()
	for {
		if err := d.Pass(ctx); err != nil && ctx.Err() == nil {
			d.o.Logger.Error("notify pass", "err", err)
		}
		select {
		case <-ctx.Done():
			for _, s := range d.order {
				if c, ok := s.(interface{ Close() error }); ok {
					_ = c.Close()
				}
			}
			return
		case <-t.C:
		}
	}
}

// Pass enqueues what happened since the last pass and delivers what is due.
// With several collectors on one PostgreSQL only one passes at a time.
func (d *Dispatcher) Pass(ctx context.Context) error {
	return d.exclusive(ctx, func() error {
		return errors.Join(d.enqueueTransitions(ctx), d.enqueueSilent(ctx), d.deliver(ctx))
	})
}

const passLockKey = 0x65676f766e6f7466 // "egovnotf"

func (d *Dispatcher) exclusive(ctx context.Context, fn func() error) error {
	if d.db.Dialect != store.Postgres {
		return fn()
	}
	conn, err := d.db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("notify lock connection: %w", err)
	}
	defer conn.Close()
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, int64(passLockKey)).Scan(&ok); err != nil {
		return fmt.Errorf("notify lock: %w", err)
	}
	if !ok {
		return nil // another collector is passing
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(passLockKey))
	return fn()
}

func (d *Dispatcher) state(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := d.db.QueryRow(ctx, `SELECT value FROM notify_state WHERE name = ?`, name).Scan(&v)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("read notify state %s: %w", name, err)
	}
	return v, true, nil
}

func (d *Dispatcher) setState(ctx context.Context, tx *store.Tx, name, value string) error {
	_, err := tx.Exec(ctx, `INSERT INTO notify_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("save notify state %s: %w", name, err)
	}
	return nil
}

// enqueue inserts one outbox row per matching sink, idempotently.
func (d *Dispatcher) enqueue(ctx context.Context, tx *store.Tx, key string, e *Event) error {
	payload, err := e.marshal()
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	// created_at orders delivery; rows queued in one instant keep the order
	// in which they happened.
	d.seq++
	due := store.Time(d.o.Now())
	created := store.Time(d.o.Now().Add(time.Duration(d.seq % 1000)))
	for _, s := range d.order {
		if !s.Route().Match(e) {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notify_outbox (id, sink, event_key, event, department, payload, next_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sink, event_key) DO NOTHING`,
			uuid.NewString(), s.Name(), key, e.Name, e.Department, string(payload), due, created); err != nil {
			return fmt.Errorf("queue %s for %s: %w", e.Name, s.Name(), err)
		}
	}
	return nil
}

func (d *Dispatcher) enqueueTransitions(ctx context.Context) error {
	cursor, ok, err := d.state(ctx, "cursor")
	if err != nil {
		return err
	}
	if !ok {
		// First start: announce what happens from now on, not the history.
		return d.db.InTx(ctx, func(tx *store.Tx) error { return d.setState(ctx, tx, "cursor", store.Time(d.o.Now())) })
	}
	for {
		since := store.Time(parseTime(cursor).Add(-lookback))
		ts, last, err := transitionsSince(ctx, d.db, since, d.o.Batch)
		if err != nil {
			return err
		}
		err = d.db.InTx(ctx, func(tx *store.Tx) error {
			for i := range ts {
				if err := d.enqueue(ctx, tx, ts[i].key, &ts[i].event); err != nil {
					return err
				}
			}
			if last > cursor {
				return d.setState(ctx, tx, "cursor", last)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(ts) < d.o.Batch || last <= cursor {
			return nil
		}
		cursor = last
	}
}

func (d *Dispatcher) enqueueSilent(ctx context.Context) error {
	if d.o.SilentAfter <= 0 {
		return nil
	}
	list, err := agents(ctx, d.db)
	if err != nil {
		return err
	}
	announced := map[string]bool{}
	rows, err := d.db.Query(ctx, `SELECT agent_id FROM notify_agents`)
	if err != nil {
		return fmt.Errorf("read silent agents: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("scan silent agent: %w", err)
		}
		announced[id] = true
	}
	rows.Close()
	now := d.o.Now()
	return d.db.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range list {
			silent := now.Sub(a.last) > d.o.SilentAfter
			switch {
			case silent && !announced[a.id]:
				e := &Event{Name: EventSilent, At: now.UTC(), Department: a.dept,
					Agent: &Agent{ID: a.id, Department: a.dept, Hostname: a.hostname, LastReport: a.last.UTC()}}
				if err := d.enqueue(ctx, tx, "agent.silent:"+a.id+":"+store.Time(a.last), e); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO notify_agents (agent_id, silent_since) VALUES (?, ?) ON CONFLICT (agent_id) DO NOTHING`, a.id, store.Time(a.last)); err != nil {
					return fmt.Errorf("mark agent silent: %w", err)
				}
			case !silent && announced[a.id]:
				if _, err := tx.Exec(ctx, `DELETE FROM notify_agents WHERE agent_id = ?`, a.id); err != nil {
					return fmt.Errorf("clear agent silence: %w", err)
				}
			}
		}
		return nil
	})
}

type due struct {
	id, sink, payload string
	attempts          int
}

func (d *Dispatcher) deliver(ctx context.Context) error {
	now := d.o.Now()
	rows, err := d.db.Query(ctx, `SELECT id, sink, payload, attempts FROM notify_outbox
WHERE delivered_at = '' AND dead = 0 AND next_at <= ? ORDER BY created_at, id LIMIT ?`, store.Time(now), d.o.Batch)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	var list []due
	for rows.Next() {
		var r due
		if err := rows.Scan(&r.id, &r.sink, &r.payload, &r.attempts); err != nil {
			rows.Close()
			return fmt.Errorf("scan outbox: %w", err)
		}
		list = append(list, r)
	}
	rows.Close()
	failed := map[string]bool{} // keep a sink's order: after one failure, wait
	var errs []error
	for _, r := range list {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if failed[r.sink] {
			continue
		}
		s, ok := d.sinks[r.sink]
		if !ok {
			errs = append(errs, d.fail(ctx, r, fmt.Errorf("sink %s is no longer configured", r.sink), true))
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(r.payload), &e); err != nil {
			errs = append(errs, d.fail(ctx, r, fmt.Errorf("decode queued event: %w", err), true))
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
		err := s.Send(sctx, &e, []byte(r.payload))
		cancel()
		if err != nil {
			failed[r.sink] = true
			d.o.Logger.Warn("notify delivery failed", "sink", r.sink, "event", e.Name, "attempt", r.attempts+1, "err", err)
			errs = append(errs, d.fail(ctx, r, err, r.attempts+1 >= d.o.MaxAttempts))
			continue
		}
		if _, err := d.db.Exec(ctx, `UPDATE notify_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`,
			store.Time(d.o.Now()), r.id); err != nil {
			errs = append(errs, fmt.Errorf("mark delivered: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Backoff is the wait before attempt n+1 (n >= 1): 5 s doubling to an hour,
// with up to 20% jitter so many collectors do not retry in step.
func Backoff(n int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	if d > time.Hour {
		d = time.Hour
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

func (d *Dispatcher) fail(ctx context.Context, r due, cause error, dead bool) error {
	next := d.o.Now().Add(Backoff(r.attempts + 1))
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	if dead {
		d.o.Logger.Error("notify gave up", "sink", r.sink, "id", r.id, "attempts", r.attempts+1, "err", msg)
	}
	_, err := d.db.Exec(ctx, `UPDATE notify_outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, dead = ? WHERE id = ?`,
		store.Time(next), msg, boolInt(dead), r.id)
	if err != nil {
		return fmt.Errorf("record delivery failure: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Depth counts rows not yet delivered (dead ones excluded), for metrics.
func Depth(ctx context.Context, db *store.DB) (pending, dead int64, err error) {
	err = db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN dead = 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(dead), 0)
FROM notify_outbox WHERE delivered_at = ''`).Scan(&pending, &dead)
	if err != nil {
		return 0, 0, fmt.Errorf("count notify outbox: %w", err)
	}
	return pending, dead, nil
}
