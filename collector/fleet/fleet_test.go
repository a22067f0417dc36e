package fleet_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/release"
	"github.com/egovnet/egovnet/internal/wire"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	db    *store.DB
	st    *fleet.Store
	clk   *clock
	svc   *auth.Service
	agent auth.Agent
	keys  *fleet.Keys
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	dir := t.TempDir()
	keys, err := fleet.LoadKeys(filepath.Join(dir, "fleet-seal.key"), filepath.Join(dir, "release.key"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	st := fleet.New(db, keys, fleet.Options{
		Prefixes: func(d string) []string {
			if d == "CZJ" {
				return []string{"10.1.0.0/24"}
			}
			return nil
		},
		Now: clk.Now,
	})
	svc := auth.NewService(db, auditlog.New(db), auth.Options{})
	tok, _, err := svc.CreateToken(context.Background(), "CZJ", time.Hour, 1, auth.Actor{Kind: auditlog.KindOperator, Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := svc.Enroll(context.Background(), tok, "probe-czj", "1.0.0", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, st: st, clk: clk, svc: svc, agent: a, keys: keys}
}

func TestConfigSecretsSealedAndRedacted(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		in := wire.AgentConfig{
			Scope: wire.AgentConfigScope{Targets: []string{"10.1.0.0/24", "10.1.1.0/24"}, Ports: []int{22, 443}},
			SNMP: wire.AgentConfigSNMP{Communities: []string{"c0mmunity-czj"},
				V3: []wire.SNMPv3User{{User: "ops", AuthProto: "sha256", AuthPass: "auth-pass-1", PrivProto: "aes", PrivPass: "priv-pass-1"}}},
			Schedule: wire.AgentSchedule{Interval: "30m"},
		}
		out, err := e.st.SetConfig(ctx, "CZJ", in, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if out.Version != 1 || out.SNMP.Communities[0] != "<secret:0>" || out.SNMP.V3[0].AuthPass != fleet.Redacted || out.SNMP.V3[0].AuthProto != "SHA256" {
			t.Fatalf("shown back: %+v", out)
		}
		// At rest: no secret in the row.
		var body, sealed string
		if err := db.QueryRow(ctx, `SELECT body, sealed FROM fleet_configs WHERE department = 'CZJ'`).Scan(&body, &sealed); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"c0mmunity-czj", "auth-pass-1", "priv-pass-1"} {
			if strings.Contains(body+sealed, secret) {
				t.Fatalf("secret %q stored in clear", secret)
			}
		}
		// A placeholder keeps the stored secret; the agent gets the real one.
		again := out
		again.Scope.Ports = []int{22}
		if out, err = e.st.SetConfig(ctx, "CZJ", again, "admin"); err != nil || out.Version != 2 {
			t.Fatalf("second set: %v %+v", err, out)
		}
		c, etag, err := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{Version: "1.0.0"})
		if err != nil {
			t.Fatal(err)
		}
		if c.SNMP.Communities[0] != "c0mmunity-czj" || c.SNMP.V3[0].PrivPass != "priv-pass-1" || len(c.Scope.Ports) != 1 || c.Version != 2 || c.ScanNow {
			t.Fatalf("agent got %+v", c)
		}
		if _, etag2, _ := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{}); etag2 != etag {
			t.Fatalf("etag changed without a change: %s -> %s", etag, etag2)
		}
		// A sealed row moved to another department does not open there.
		if _, err := db.Exec(ctx, `INSERT INTO fleet_configs (department, version, body, sealed, updated_at, updated_by) VALUES ('SCJ', 1, '{}', ?, '', '')`, sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.Config(ctx, "SCJ"); err == nil {
			t.Fatal("CZJ's sealed secrets opened as SCJ's")
		}
	})
}

func TestConfigValidationNamesEveryProblem(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		_, err := e.st.SetConfig(context.Background(), "CZJ", wire.AgentConfig{
			Profile:  "laptop",
			Scope:    wire.AgentConfigScope{Targets: []string{"10.1.0.0/33", "0.0.0.0/0"}, Ports: []int{0, 70000}},
			Paths:    wire.AgentConfigPaths{Targets: []string{"example"}},
			Schedule: wire.AgentSchedule{Interval: "5s", Jitter: 2},
			SNMP: wire.AgentConfigSNMP{Communities: []string{""}, V3: []wire.SNMPv3User{{User: "u", AuthProto: "sha", AuthPass: "short", PrivProto: "rot13"},
				{User: "x", AuthPass: fleet.Redacted, AuthProto: "sha"}}},
		}, "admin")
		var inv *fleet.InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("want InvalidError, got %v", err)
		}
		for _, want := range []string{"profile", "scope.targets[0]", "scope.targets[1]", "scope.ports[0]", "scope.ports[1]", "paths.targets[0]",
			"schedule.interval", "schedule.jitter", "snmp.communities[0]", "snmp.v3[0].auth_pass", "snmp.v3[0].priv_proto"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %s:\n%v", want, err)
			}
		}
		if c, _ := e.st.Config(context.Background(), "CZJ"); c.Version != 0 {
			t.Fatal("an invalid config was stored")
		}
	})
}

func TestScanNowOnceAndDefaults(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		c, _, err := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.Scope.Targets, ",") != "10.1.0.0/24" || c.Profile != "network" || c.Schedule.Interval != "1h0m0s" {
			t.Fatalf("defaults: %+v", c)
		}
		if _, _, err := e.st.RequestScan(ctx, "no-such-agent"); !errors.Is(err, fleet.ErrUnknownAgent) {
			t.Fatalf("unknown agent: %v", err)
		}
		if _, _, err := e.st.RequestScan(ctx, e.agent.ID); err != nil {
			t.Fatal(err)
		}
		e.clk.Add(time.Second)
		c1, etag1, _ := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{})
		c2, etag2, _ := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{})
		if !c1.ScanNow || c2.ScanNow || etag1 == etag2 {
			t.Fatalf("scan_now not delivered exactly once: %v %v", c1.ScanNow, c2.ScanNow)
		}
	})
}

func TestAgentHealth(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		status := func() fleet.AgentHealth {
			t.Helper()
			list, err := e.st.Agents(ctx, "CZJ")
			if err != nil || len(list) != 1 {
				t.Fatalf("agents: %v %v", list, err)
			}
			return list[0]
		}
		report := func() {
			rep := &wire.ScanReport{Agent: wire.Agent{ID: e.agent.ID, Version: "1.1.0", Profile: "network", OS: "linux", Arch: "arm64"},
				Stats: wire.Stats{SpoolDepth: 3, DroppedReports: 1}}
			if err := e.st.Processor().Process(ctx, rep, "CZJ"); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{Version: "1.0.0", OS: "linux", Arch: "arm64"}); err != nil {
			t.Fatal(err)
		}
		report()
		if h := status(); h.Status != fleet.StatusOK || h.Version != "1.1.0" || h.SpoolDepth != 3 || h.DroppedReports != 1 || h.LastReportAt == nil || h.Arch != "arm64" {
			t.Fatalf("fresh agent: %+v", h)
		}
		e.clk.Add(2 * time.Minute) // no poll for 3 × 30 s
		if h := status(); h.Status != fleet.StatusLate {
			t.Fatalf("after 2 min without a poll: %s", h.Status)
		}
		e.clk.Add(2 * time.Hour) // no report for 2 × 1 h
		if h := status(); h.Status != fleet.StatusSilent {
			t.Fatalf("after 2 h without a report: %s", h.Status)
		}
		if err := e.svc.RevokeAgent(ctx, e.agent.ID, auth.Actor{Kind: auditlog.KindOperator, Name: "t"}); err != nil {
			t.Fatal(err)
		}
		if h := status(); h.Status != fleet.StatusRevoked {
			t.Fatalf("revoked agent: %s", h.Status)
		}
	})
}

func TestReleasesSignedAndNewest(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		for _, v := range []string{"1.9.2", "1.10.0", "1.10.0-rc1"} {
			if _, err := e.st.AddRelease(ctx, strings.NewReader("agent build "+v), v, "linux", "amd64", "admin"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.st.AddRelease(ctx, strings.NewReader("again"), "1.9.2", "linux", "amd64", "admin"); err == nil {
			t.Fatal("the same version stored twice")
		}
		info, err := e.st.Newest(ctx, "linux", "amd64")
		if err != nil || info.Version != "1.10.0" {
			t.Fatalf("newest: %+v %v", info, err)
		}
		if _, err := e.st.Newest(ctx, "windows", "386"); !errors.Is(err, fleet.ErrNoRelease) {
			t.Fatalf("no windows build: %v", err)
		}
		rs, _, err := e.st.Binary(ctx, info.ID)
		if err != nil {
			t.Fatal(err)
		}
		bin, _ := io.ReadAll(rs)
		if err := release.Verify(e.keys.ReleasePublic(), info, bytes.NewReader(bin)); err != nil {
			t.Fatalf("stored release does not verify: %v", err)
		}
		bin[0] ^= 1
		if err := release.Verify(e.keys.ReleasePublic(), info, bytes.NewReader(bin)); err == nil {
			t.Fatal("tampered release verifies")
		}
	})
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.10.0", "1.9.2", 1}, {"1.9.2", "1.10.0", -1}, {"v1.2.0", "1.2.0", 0},
		{"1.2.0", "1.2.0-rc1", 1}, {"1.2.0-3-gabc", "1.2.0", 1}, {"1.2", "1.2.1", -1},
		{"9.9.9", "dev", 1}, {"dev", "0.0.1", -1}, {"1.0.0", "2db1713-dirty", 1},
	} {
		if got := release.CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestEndpointAgentGetsNoSecrets: an agent running the endpoint profile
// (as its poll says, or as its last poll or report recorded) gets no SNMP
// credentials and nothing to probe; a network agent of the same
// department gets them all.
func TestEndpointAgentGetsNoSecrets(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if _, err := e.st.SetConfig(ctx, "CZJ", wire.AgentConfig{
			Scope: wire.AgentConfigScope{Targets: []string{"10.1.0.0/24"}, Ports: []int{22}},
			SNMP: wire.AgentConfigSNMP{Communities: []string{"cliSecret1"},
				V3: []wire.SNMPv3User{{User: "ops", AuthProto: "SHA", AuthPass: "auth-pass-1", PrivProto: "AES", PrivPass: "priv-pass-1"}}},
			Paths:    wire.AgentConfigPaths{Targets: []string{"10.1.0.1"}},
			Schedule: wire.AgentSchedule{Interval: "2h"},
		}, "admin"); err != nil {
			t.Fatal(err)
		}
		stripped := func(t *testing.T, c wire.AgentConfig) {
			t.Helper()
			if c.Profile != "endpoint" || len(c.SNMP.Communities) != 0 || len(c.SNMP.V3) != 0 || len(c.Scope.Targets) != 0 ||
				len(c.Scope.Ports) != 0 || len(c.Paths.Targets) != 0 || c.Schedule.Interval != "2h" {
				t.Fatalf("endpoint agent got %+v", c)
			}
		}
		tests := []struct {
			name   string
			before func(t *testing.T)
			poll   fleet.Poll
		}{
			{"poll says endpoint", nil, fleet.Poll{Profile: "endpoint"}},
			{"recorded from an earlier poll", func(t *testing.T) {
				if _, _, err := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{Profile: "endpoint"}); err != nil {
					t.Fatal(err)
				}
			}, fleet.Poll{}},
			{"recorded from a report", func(t *testing.T) {
				rep := &wire.ScanReport{Agent: wire.Agent{ID: e.agent.ID, Profile: "endpoint"}}
				if err := e.st.Processor().Process(ctx, rep, "CZJ"); err != nil {
					t.Fatal(err)
				}
			}, fleet.Poll{}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := db.Exec(ctx, `DELETE FROM fleet_agents`); err != nil {
					t.Fatal(err)
				}
				if tc.before != nil {
					tc.before(t)
				}
				c, _, err := e.st.ForAgent(ctx, e.agent.ID, "CZJ", tc.poll)
				if err != nil {
					t.Fatal(err)
				}
				stripped(t, c)
				list, err := e.st.Agents(ctx, "CZJ")
				if err != nil || len(list) != 1 || list[0].Profile != "endpoint" {
					t.Fatalf("agents list: %+v %v", list, err)
				}
			})
		}
		t.Run("network agent unchanged", func(t *testing.T) {
			c, _, err := e.st.ForAgent(ctx, e.agent.ID, "CZJ", fleet.Poll{Profile: "network"})
			if err != nil {
				t.Fatal(err)
			}
			if c.Profile != "network" || len(c.SNMP.Communities) != 1 || c.SNMP.Communities[0] != "cliSecret1" || c.SNMP.V3[0].PrivPass != "priv-pass-1" ||
				len(c.Scope.Targets) != 1 || len(c.Paths.Targets) != 1 {
				t.Fatalf("network agent got %+v", c)
			}
		})
	})
}

// TestReportWrittenAtItsResolution (issue 16): a report whose health
// figures are what was written for its agent less than ReportResolution
// ago writes nothing (last_report stays); changed figures, or the
// resolution passed, are written at once.
func TestReportWrittenAtItsResolution(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		p := e.st.Processor()
		start := e.clk.Now()
		for _, tc := range []struct {
			name     string
			after    time.Duration // since start
			spool    int64
			wantLast time.Duration // last_report, since start
		}{
			{name: "first report", after: 0, spool: 1, wantLast: 0},
			{name: "same figures within the resolution: not written", after: 30 * time.Second, spool: 1, wantLast: 0},
			{name: "changed figures: written", after: 40 * time.Second, spool: 2, wantLast: 40 * time.Second},
			{name: "same figures again, within: not written", after: fleet.ReportResolution, spool: 2, wantLast: 40 * time.Second},
			{name: "the resolution passed: written", after: 40*time.Second + fleet.ReportResolution, spool: 2, wantLast: 40*time.Second + fleet.ReportResolution},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.clk.Add(start.Add(tc.after).Sub(e.clk.Now()))
				rep := &wire.ScanReport{Agent: wire.Agent{ID: e.agent.ID, Version: "1.1.0"}, Stats: wire.Stats{SpoolDepth: tc.spool}}
				if err := p.Process(ctx, rep, "CZJ"); err != nil {
					t.Fatal(err)
				}
				list, err := e.st.Agents(ctx, "CZJ")
				if err != nil || len(list) != 1 || list[0].LastReportAt == nil {
					t.Fatalf("agents: %+v %v", list, err)
				}
				h := list[0]
				if got := h.LastReportAt.Sub(start); got != tc.wantLast || h.SpoolDepth != tc.spool {
					t.Errorf("last_report start+%s spool %d, want start+%s spool %d", got, h.SpoolDepth, tc.wantLast, tc.spool)
				}
			})
		}
	})
}

// TestReportUndoneIsWrittenAgain (issue 16): figures written in a report's
// transaction that is then undone do not count as written: the next
// report, seconds later with the same figures, writes them.
func TestReportUndoneIsWrittenAgain(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		p := e.st.Processor()
		rep := &wire.ScanReport{Agent: wire.Agent{ID: e.agent.ID, Version: "1.1.0"}, Stats: wire.Stats{SpoolDepth: 4}}
		undo := errors.New("undone")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := p.Process(store.WithTx(ctx, tx), rep, "CZJ"); err != nil {
				return err
			}
			return undo
		}); !errors.Is(err, undo) {
			t.Fatal(err)
		}
		e.clk.Add(5 * time.Second)
		if err := db.InTx(ctx, func(tx *store.Tx) error { return p.Process(store.WithTx(ctx, tx), rep, "CZJ") }); err != nil {
			t.Fatal(err)
		}
		list, err := e.st.Agents(ctx, "CZJ")
		if err != nil || len(list) != 1 {
			t.Fatalf("agents: %+v %v", list, err)
		}
		if h := list[0]; h.LastReportAt == nil || h.SpoolDepth != 4 || h.Version != "1.1.0" {
			t.Fatalf("after an undone report and a committed one: %+v", h)
		}
	})
}
