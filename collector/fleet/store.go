// Package fleet manages agents from the centre (CONTRACT "Agents managed
// from the collector"): each department's agent configuration with SNMP
// credentials sealed at rest, the poll every agent makes for it (which is
// also its heartbeat: version, platform, spool), scan-now requests, agent
// health (ok, late, silent, revoked) and signed agent releases.
package fleet

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Options tune a Store.
type Options struct {
	// Prefixes gives a department's planned prefixes: the scope when the
	// department's configuration names no targets.
	Prefixes func(dept string) []string
	// PollInterval is how often agents poll (late after 3 missed polls);
	// DefaultInterval is the scan interval when a department sets none
	// (silent after 2 missed scans).
	PollInterval    time.Duration
	DefaultInterval time.Duration
	Now             func() time.Time
}

// Store is the fleet's state.
type Store struct {
	db   *store.DB
	keys *Keys
	o    Options
}

// ErrUnknownAgent is returned for an agent id that is not enrolled.
var ErrUnknownAgent = errors.New("no such agent")

// New returns a Store.
func New(db *store.DB, keys *Keys, o Options) *Store {
	if o.Prefixes == nil {
		o.Prefixes = func(string) []string { return nil }
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 30 * time.Second
	}
	if o.DefaultInterval <= 0 {
		o.DefaultInterval = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{db: db, keys: keys, o: o}
}

// Keys returns the fleet keys (the release key agents pin).
func (s *Store) Keys() *Keys { return s.keys }

// config loads a department's configuration with its secrets opened.
func (s *Store) config(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) *sql.Row
}, dept string) (wire.AgentConfig, secrets, bool, error) {
	var c wire.AgentConfig
	var sec secrets
	var body, sealed string
	var version int64
	err := q.QueryRow(ctx, `SELECT version, body, sealed FROM fleet_configs WHERE department = ?`, dept).Scan(&version, &body, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		c.Department = dept
		normalise(&c)
		return c, sec, false, nil
	}
	if err != nil {
		return c, sec, false, fmt.Errorf("read agent config of %s: %w", dept, err)
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, sec, false, fmt.Errorf("decode agent config of %s: %w", dept, err)
	}
	if sealed != "" {
		plain, err := s.keys.Open(dept, sealed)
		if err != nil {
			return c, sec, false, err
		}
		if err := json.Unmarshal(plain, &sec); err != nil {
			return c, sec, false, fmt.Errorf("decode sealed secrets of %s: %w", dept, err)
		}
	}
	c.Version, c.Department = version, dept
	c.SNMP = wire.AgentConfigSNMP{Communities: sec.Communities, V3: sec.V3}
	normalise(&c)
	return c, sec, true, nil
}

// Config returns a department's configuration with secrets redacted, as a
// person sees it.
func (s *Store) Config(ctx context.Context, dept string) (wire.AgentConfig, error) {
	c, _, _, err := s.config(ctx, s.db, dept)
	if err != nil {
		return c, err
	}
	return redact(c), nil
}

// SetConfig validates and stores a department's configuration (secrets
// sealed), bumping its version, and returns it redacted. Placeholders
// (Redacted) keep the stored secrets. in.Version, when not 0, is the
// version the change was made from: if another change was saved since, it
// is refused (*ConflictError), because its secret placeholders
// (<secret:N>) and every field it left alone describe a configuration that
// is no longer there. 0 saves over whatever is stored.
func (s *Store) SetConfig(ctx context.Context, dept string, in wire.AgentConfig, by string) (wire.AgentConfig, error) {
	// Secrets are resolved in place below: on copies, not on the slices
	// the caller (and any other copy of its configuration) still holds.
	in.SNMP.Communities = slices.Clone(in.SNMP.Communities)
	in.SNMP.V3 = slices.Clone(in.SNMP.V3)
	normalise(&in)
	if err := validate(&in); err != nil {
		return wire.AgentConfig{}, &InvalidError{Err: err}
	}
	var out wire.AgentConfig
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			// Concurrent changes of one department take turns from here
			// (SQLite's writer lock does this there): the version checked
			// and the secrets the placeholders name are the ones this
			// change replaces, not ones another change is replacing too.
			if _, err := tx.Exec(ctx, `SELECT 1 FROM fleet_configs WHERE department = ? FOR UPDATE`, dept); err != nil {
				return fmt.Errorf("lock agent config of %s: %w", dept, err)
			}
		}
		cur, old, _, err := s.config(ctx, tx, dept)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != cur.Version {
			return &ConflictError{Department: dept, Have: cur.Version, Sent: in.Version}
		}
		sec, err := mergeSecrets(secrets{Communities: in.SNMP.Communities, V3: in.SNMP.V3}, old)
		if err != nil {
			return &InvalidError{Err: err}
		}
		plain := in
		plain.SNMP = wire.AgentConfigSNMP{}
		plain.Version, plain.Department, plain.ScanNow = 0, "", false
		body, _ := json.Marshal(plain)
		secJSON, _ := json.Marshal(sec)
		sealed := s.keys.Seal(dept, secJSON)
		now := store.Time(s.o.Now())
		if _, err := tx.Exec(ctx, `INSERT INTO fleet_configs (department, version, body, sealed, updated_at, updated_by) VALUES (?, 1, ?, ?, ?, ?)
ON CONFLICT (department) DO UPDATE SET version = fleet_configs.version + 1, body = excluded.body, sealed = excluded.sealed,
 updated_at = excluded.updated_at, updated_by = excluded.updated_by`, dept, string(body), sealed, now, by); err != nil {
			return fmt.Errorf("save agent config of %s: %w", dept, err)
		}
		c, _, _, err := s.config(ctx, tx, dept)
		out = redact(c)
		return err
	})
	return out, err
}

// ConflictError refuses a change made from a version that is no longer the
// stored one (HTTP 409): the person reloads and makes it again.
type ConflictError struct {
	Department string
	Have, Sent int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("agent config of %s changed since it was read: version %d is stored, the change was made from version %d; reload and make it again",
		e.Department, e.Have, e.Sent)
}

// InvalidError marks a configuration a person must fix (HTTP 400, exit 2).
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return "invalid agent config: " + e.Err.Error() }

// Unwrap returns the problems.
func (e *InvalidError) Unwrap() error { return e.Err }

// Poll is what an agent says about itself when it polls.
type Poll struct {
	Version, Profile, OS, Arch string
	SpoolDepth, Dropped        int64
}

// ForAgent records an agent's poll (its heartbeat) and returns the
// configuration it must run, with scan_now set once per request. A network
// agent gets the secrets; an endpoint agent (by its poll, else as recorded)
// gets none of them, nor anything to probe. The ETag is a digest of exactly what is returned.
func (s *Store) ForAgent(ctx context.Context, agentID, dept string, p Poll) (wire.AgentConfig, string, error) {
	var c wire.AgentConfig
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if c, _, _, err = s.config(ctx, tx, dept); err != nil {
			return err
		}
		now := store.Time(s.o.Now())
		var requested, sent, recorded string
		err = tx.QueryRow(ctx, `SELECT scan_requested, scan_sent, profile FROM fleet_agents WHERE agent_id = ?`, agentID).Scan(&requested, &sent, &recorded)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read agent %s: %w", agentID, err)
		}
		// The profile the agent says it runs (this poll, else what its
		// last poll or report recorded) decides what it may learn: an
		// endpoint agent probes nothing, so it gets neither the
		// department's SNMP secrets nor targets to probe.
		agentProfile := p.Profile
		if agentProfile == "" {
			agentProfile = recorded
		}
		if agentProfile == "endpoint" || c.Profile == "endpoint" {
			c = forEndpoint(c)
		} else {
			c.Profile = "network"
			if len(c.Scope.Targets) == 0 {
				c.Scope.Targets = append([]string{}, s.o.Prefixes(dept)...)
			}
		}
		if c.Schedule.Interval == "" {
			c.Schedule.Interval = s.o.DefaultInterval.String()
		}
		if requested != "" && requested > sent {
			c.ScanNow = true
			sent = now
		}
		return recordPoll(ctx, tx, agentID, now, p, sent, false)
	})
	if err != nil {
		return c, "", err
	}
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return c, `"` + hex.EncodeToString(sum[:16]) + `"`, nil
}

// RecordPoll records an agent's poll (its heartbeat and figures) without
// answering it: for a poll refused, which must not count a requested
// scan as sent.
func (s *Store) RecordPoll(ctx context.Context, agentID string, p Poll) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		return recordPoll(ctx, tx, agentID, store.Time(s.o.Now()), p, "", true)
	})
}

// recordPoll upserts the agent's poll with scan_sent = sent, or, when
// keepSent, leaving an existing row's scan_sent as it is.
func recordPoll(ctx context.Context, tx *store.Tx, agentID, now string, p Poll, sent string, keepSent bool) error {
	scanSent := `excluded.scan_sent`
	if keepSent {
		scanSent = `fleet_agents.scan_sent`
	}
	_, err := tx.Exec(ctx, `INSERT INTO fleet_agents (agent_id, last_poll, version, profile, os, arch, spool_depth, dropped_reports, scan_sent)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agent_id) DO UPDATE SET last_poll = excluded.last_poll,
 version = CASE WHEN excluded.version <> '' THEN excluded.version ELSE fleet_agents.version END,
 profile = CASE WHEN excluded.profile <> '' THEN excluded.profile ELSE fleet_agents.profile END,
 os = CASE WHEN excluded.os <> '' THEN excluded.os ELSE fleet_agents.os END,
 arch = CASE WHEN excluded.arch <> '' THEN excluded.arch ELSE fleet_agents.arch END,
 spool_depth = excluded.spool_depth, dropped_reports = excluded.dropped_reports, scan_sent = `+scanSent, agentID, now, p.Version, p.Profile, p.OS, p.Arch, p.SpoolDepth, p.Dropped, sent)
	if err != nil {
		return fmt.Errorf("record poll of %s: %w", agentID, err)
	}
	return nil
}

// forEndpoint trims a department configuration to what an endpoint agent
// needs: its profile and schedule, with no SNMP credentials, scope or path
// targets (empty lists, so an agent keeps nothing of a network profile).
func forEndpoint(c wire.AgentConfig) wire.AgentConfig {
	c.Profile = "endpoint"
	c.Scope = wire.AgentConfigScope{Targets: []string{}, Ports: []int{}}
	c.SNMP = wire.AgentConfigSNMP{Communities: []string{}, V3: []wire.SNMPv3User{}}
	c.Paths = wire.AgentConfigPaths{Targets: []string{}}
	return c
}

// RequestScan asks an agent to scan at its next poll and returns the
// agent's department (for scoping by the caller) and the request time.
func (s *Store) RequestScan(ctx context.Context, agentID string) (string, time.Time, error) {
	var dept string
	var revoked int
	err := s.db.QueryRow(ctx, `SELECT department, revoked FROM agents WHERE id = ?`, agentID).Scan(&dept, &revoked)
	if errors.Is(err, sql.ErrNoRows) || err == nil && revoked != 0 {
		return "", time.Time{}, ErrUnknownAgent
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read agent %s: %w", agentID, err)
	}
	now := s.o.Now().UTC()
	_, err = s.db.Exec(ctx, `INSERT INTO fleet_agents (agent_id, last_poll, scan_requested) VALUES (?, '', ?)
ON CONFLICT (agent_id) DO UPDATE SET scan_requested = excluded.scan_requested`, agentID, store.Time(now))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("request scan of %s: %w", agentID, err)
	}
	return dept, now, nil
}

// AgentDepartment returns an agent's department ("" when unknown).
func (s *Store) AgentDepartment(ctx context.Context, agentID string) (string, error) {
	var dept string
	err := s.db.QueryRow(ctx, `SELECT department FROM agents WHERE id = ?`, agentID).Scan(&dept)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return dept, err
}
