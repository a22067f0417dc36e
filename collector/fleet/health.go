package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Agent statuses (CONTRACT): late — no poll for 3 poll intervals; silent —
// no report for 2 scan intervals; revoked — its credential was revoked.
const (
	StatusOK      = "ok"
	StatusLate    = "late"
	StatusSilent  = "silent"
	StatusRevoked = "revoked"
)

// AgentHealth is one item of GET /api/v1/agents.
type AgentHealth struct {
	ID             string     `json:"id"`
	Department     string     `json:"department"`
	Hostname       string     `json:"hostname"`
	Version        string     `json:"version"`
	Profile        string     `json:"profile"`
	OS             string     `json:"os"`
	Arch           string     `json:"arch"`
	EnrolledAt     time.Time  `json:"enrolled_at"`
	LastSeen       *time.Time `json:"last_seen"`
	LastReportAt   *time.Time `json:"last_report_at"`
	SpoolDepth     int64      `json:"spool_depth"`
	DroppedReports int64      `json:"dropped_reports"`
	Status         string     `json:"status"`
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func parseTime(s string) time.Time {
	if t, err := time.Parse(store.TimeLayout, s); err == nil {
		return t
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func later(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// Agents lists agents with their health; dept "" means every department.
func (s *Store) Agents(ctx context.Context, dept string) ([]AgentHealth, error) {
	intervals, err := s.intervals(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT a.id, a.department, a.hostname, a.version, a.enrolled_at, a.last_seen, a.revoked,
 COALESCE(f.last_poll, ''), COALESCE(f.version, ''), COALESCE(f.profile, ''), COALESCE(f.os, ''), COALESCE(f.arch, ''),
 COALESCE(f.spool_depth, 0), COALESCE(f.dropped_reports, 0), COALESCE(f.last_report, '')
FROM agents a LEFT JOIN fleet_agents f ON f.agent_id = a.id`
	var args []any
	if dept != "" {
		q += ` WHERE a.department = ?`
		args = append(args, dept)
	}
	q += ` ORDER BY a.department, a.hostname, a.id`
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	now := s.o.Now()
	out := []AgentHealth{}
	for rows.Next() {
		var h AgentHealth
		var enrolled, seen, poll, polledVersion, report string
		var revoked int
		if err := rows.Scan(&h.ID, &h.Department, &h.Hostname, &h.Version, &enrolled, &seen, &revoked, &poll, &polledVersion,
			&h.Profile, &h.OS, &h.Arch, &h.SpoolDepth, &h.DroppedReports, &report); err != nil {
			return nil, fmt.Errorf("scan agent: %w", err)
		}
		if polledVersion != "" {
			h.Version = polledVersion // what runs now, after self-updates
		}
		if h.Profile == "" {
			h.Profile = "network"
		}
		h.EnrolledAt = parseTime(enrolled).UTC()
		lastPoll, lastReport := parseTime(poll), parseTime(report)
		h.LastSeen = tptr(later(lastPoll, lastReport, parseTime(seen)))
		h.LastReportAt = tptr(lastReport)
		interval := intervals[h.Department]
		if interval <= 0 {
			interval = s.o.DefaultInterval
		}
		switch {
		case revoked != 0:
			h.Status = StatusRevoked
		case now.Sub(later(lastReport, h.EnrolledAt)) > 2*interval:
			h.Status = StatusSilent
		case now.Sub(later(lastPoll, lastReport, h.EnrolledAt)) > 3*s.o.PollInterval:
			h.Status = StatusLate
		default:
			h.Status = StatusOK
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// intervals reads each department's configured scan interval.
func (s *Store) intervals(ctx context.Context) (map[string]time.Duration, error) {
	rows, err := s.db.Query(ctx, `SELECT department, body FROM fleet_configs`)
	if err != nil {
		return nil, fmt.Errorf("read agent configs: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Duration{}
	for rows.Next() {
		var dept, body string
		if err := rows.Scan(&dept, &body); err != nil {
			return nil, fmt.Errorf("scan agent config: %w", err)
		}
		var c wire.AgentConfig
		if json.Unmarshal([]byte(body), &c) == nil && c.Schedule.Interval != "" {
			if d, err := time.ParseDuration(c.Schedule.Interval); err == nil {
				out[dept] = d
			}
		}
	}
	return out, rows.Err()
}

// Processor records when each agent last reported and its spool figures,
// for health; it runs as an ingest processor after the report is stored.
type Processor struct {
	s *Store

	mu      sync.Mutex
	written map[string]reportFacts // agent -> what this process last wrote
}

// reportFacts is what a report tells of its agent's health.
type reportFacts struct {
	at                         time.Time
	spool, dropped             int64
	version, profile, os, arch string
}

// ReportResolution is how stale an agent's stored last_report may be: a
// report whose health figures (spool, dropped reports, version, profile,
// platform) are what this collector wrote for the agent less than this
// ago writes nothing. The row was a write in every report's transaction,
// for a time whose use (ok, late, silent) is measured in hours; figures
// that changed are always written.
const ReportResolution = time.Minute

// maxWritten bounds the agents Processor remembers (a city's fleet);
// beyond it it starts over, which only costs writes.
const maxWritten = 1 << 17

// Processor returns the ingest processor of the store.
func (s *Store) Processor() *Processor { return &Processor{s: s, written: map[string]reportFacts{}} }

// Name implements ingest.Processor.
func (p *Processor) Name() string { return "fleet" }

// Process implements ingest.Processor. A report's finish time, not the
// upload time, would make an offline import look like a live agent: the
// upload time is what says the agent is alive.
func (p *Processor) Process(ctx context.Context, rep *wire.ScanReport, _ string) error {
	if rep.Agent.ID == "" {
		return nil
	}
	nowT := p.s.o.Now()
	f := reportFacts{at: nowT, spool: rep.Stats.SpoolDepth, dropped: rep.Stats.DroppedReports,
		version: rep.Agent.Version, profile: rep.Agent.Profile, os: rep.Agent.OS, arch: rep.Agent.Arch}
	if p.fresh(rep.Agent.ID, f) {
		return nil
	}
	now := store.Time(nowT)
	err := p.s.db.ExecLater(ctx, `INSERT INTO fleet_agents (agent_id, last_poll, last_report, spool_depth, dropped_reports, version, profile, os, arch)
VALUES (?, '', ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agent_id) DO UPDATE SET last_report = excluded.last_report, spool_depth = excluded.spool_depth,
 dropped_reports = excluded.dropped_reports,
 version = CASE WHEN excluded.version <> '' THEN excluded.version ELSE fleet_agents.version END,
 profile = CASE WHEN excluded.profile <> '' THEN excluded.profile ELSE fleet_agents.profile END,
 os = CASE WHEN excluded.os <> '' THEN excluded.os ELSE fleet_agents.os END,
 arch = CASE WHEN excluded.arch <> '' THEN excluded.arch ELSE fleet_agents.arch END`,
		rep.Agent.ID, now, rep.Stats.SpoolDepth, rep.Stats.DroppedReports, rep.Agent.Version, rep.Agent.Profile, rep.Agent.OS, rep.Agent.Arch)
	if err == nil {
		// remembered once it is stored: a report's transaction undone (a
		// processor failing, a lost race) must not leave it taken as written
		p.s.db.AfterCommit(ctx, func() { p.wrote(rep.Agent.ID, f) })
	}
	if err != nil {
		return fmt.Errorf("record report of agent %s: %w", rep.Agent.ID, err)
	}
	return nil
}

// fresh says whether this process wrote (and committed) f's figures for
// agent less than ReportResolution before f.
func (p *Processor) fresh(agent string, f reportFacts) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.written[agent]
	if !ok || f.at.Before(w.at) || f.at.Sub(w.at) >= ReportResolution {
		return false
	}
	g := f
	g.at = w.at
	return g == w
}

// wrote remembers what was written for agent.
func (p *Processor) wrote(agent string, f reportFacts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.written) >= maxWritten {
		clear(p.written)
	}
	p.written[agent] = f
}
