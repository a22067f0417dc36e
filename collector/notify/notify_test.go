package notify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	_ "github.com/egovnet/egovnet/collector/inventory" // reports: when agents last reported
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/notify"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// clock is a settable time shared by the lifecycle store and the dispatcher.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock(t time.Time) *clock    { return &clock{t: t} }
func quiet() *slog.Logger            { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// hookServer is a real loopback webhook receiver that fails the first
// `failFirst` requests.
type hookServer struct {
	mu        sync.Mutex
	failFirst int
	bodies    [][]byte
	sigs      []string
	*httptest.Server
}

func newHookServer(t *testing.T, failFirst int) *hookServer {
	h := &hookServer{failFirst: failFirst}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.failFirst > 0 {
			h.failFirst--
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.bodies = append(h.bodies, b)
		h.sigs = append(h.sigs, r.Header.Get(notify.SignatureHeader))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) events(t *testing.T, secret string) []notify.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []notify.Event
	for i, b := range h.bodies {
		if want := notify.Sign(secret, b); h.sigs[i] != want {
			t.Fatalf("webhook %d signature %q, want %q", i, h.sigs[i], want)
		}
		var e notify.Event
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("webhook body: %v", err)
		}
		out = append(out, e)
	}
	return out
}

// tcpSyslog is a real loopback RFC 6587 octet-counting receiver.
type tcpSyslog struct {
	mu    sync.Mutex
	lines []string
	ln    net.Listener
}

func newTCPSyslog(t *testing.T) *tcpSyslog {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tcpSyslog{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					n, err := r.ReadString(' ')
					if err != nil {
						return
					}
					size, err := strconv.Atoi(strings.TrimSpace(n))
					if err != nil {
						return
					}
					buf := make([]byte, size)
					if _, err := io.ReadFull(r, buf); err != nil {
						return
					}
					s.mu.Lock()
					s.lines = append(s.lines, string(buf))
					s.mu.Unlock()
				}
			}()
		}
	}()
	return s
}

func (s *tcpSyslog) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

func violation(id, dept, rule, subject, sev string) wire.Violation {
	return wire.Violation{ID: id, Rule: rule, Department: dept, Subject: subject, Severity: sev, Status: wire.StatusOpen,
		Citations: []wire.Citation{{Pack: "yangpu-2021", Document: "杨府办规〔2021〕4号", Article: "第十二条", Text: "…"}},
		Evidence:  []wire.Evidence{{Agent: "a1", Method: "route", Detail: map[string]any{"next_hop": "203.0.113.1"}}}}
}

func names(es []notify.Event) []string {
	var out []string
	for _, e := range es {
		s := e.Name + " " + e.Department
		if e.Violation != nil {
			s += " " + e.Violation.Subject
		}
		if e.Agent != nil {
			s += " " + e.Agent.Hostname
		}
		out = append(out, s)
	}
	return out
}

func TestDispatcherDeliversLifecycleEvents(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := ctxT(t)
		clk := newClock(time.Now().UTC().Truncate(time.Second))
		lc := lifecycle.NewStore(db)
		lc.SetClock(clk.Now)

		hook := newHookServer(t, 1) // the first delivery fails: retried with backoff
		sys := newTCPSyslog(t)
		sinks := []notify.Sink{
			&notify.Webhook{ID: "webhook:0", URL: hook.URL, Secret: "s3cret"},
			// The SOC only wants CZJ's serious findings.
			&notify.Syslog{ID: "syslog", Network: "tcp", Addr: sys.ln.Addr().String(), Facility: 16, Hostname: "collector-1",
				R: notify.Route{Departments: []string{"CZJ"}, MinSeverity: "high"}},
		}
		newDispatcher := func() *notify.Dispatcher {
			d, err := notify.New(db, sinks, notify.Options{Logger: quiet(), Now: clk.Now, SilentAfter: 0})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		d := newDispatcher()
		pass := func() {
			t.Helper()
			_ = d.Pass(ctx) // delivery failures are errors too; outcomes are asserted below
		}
		pass() // first start: the cursor is now; history is not announced

		egress := violation("v-egress", "CZJ", "internet-egress", "203.0.113.1", wire.SeverityCritical)
		website := violation("v-web", "SCJ", "department-website", "10.2.0.8:80", wire.SeverityMedium)
		clk.Add(time.Second)
		if err := lc.Apply(ctx, "CZJ", lifecycle.Scan{ReportID: "r1", Agent: "a1", FinishedAt: clk.Now()}, []wire.Violation{egress}, 1); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second)
		if err := lc.Apply(ctx, "SCJ", lifecycle.Scan{ReportID: "r2", Agent: "a2", FinishedAt: clk.Now()}, []wire.Violation{website}, 1); err != nil {
			t.Fatal(err)
		}
		pass()
		if got := hook.events(t, "s3cret"); len(got) != 0 {
			t.Fatalf("webhook was down, yet got %v", names(got))
		}
		// A restart between the failure and the retry loses nothing: the
		// outbox is in the store.
		d = newDispatcher()
		clk.Add(time.Minute)
		pass()
		want := []string{"violation.opened CZJ 203.0.113.1", "violation.opened SCJ 10.2.0.8:80"}
		if got := names(hook.events(t, "s3cret")); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("webhook events %q, want %q", got, want)
		}
		ev := hook.events(t, "s3cret")[0]
		if ev.Violation.Rule != "internet-egress" || ev.Violation.Status != wire.StatusOpen || len(ev.Violation.Citations) != 1 || ev.At.IsZero() {
			t.Fatalf("webhook payload %+v", ev)
		}

		// Resolved by a person, then seen again by a scan: resolved, reopened.
		clk.Add(time.Minute)
		if _, err := lc.Resolve(ctx, "v-egress", "secadmin", "line removed"); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		if err := lc.Apply(ctx, "CZJ", lifecycle.Scan{ReportID: "r3", Agent: "a1", FinishedAt: clk.Now()}, []wire.Violation{egress}, 1); err != nil {
			t.Fatal(err)
		}
		pass()
		pass() // a second pass re-reads the lookback window: nothing is sent twice
		want = append(want, "violation.resolved CZJ 203.0.113.1", "violation.reopened CZJ 203.0.113.1")
		if got := names(hook.events(t, "s3cret")); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("webhook events %q, want %q", got, want)
		}

		// Syslog got CZJ's critical events only, as RFC 5424 lines.
		lines := sys.got()
		if len(lines) != 3 {
			t.Fatalf("syslog lines %d, want 3 (CZJ only):\n%s", len(lines), strings.Join(lines, "\n"))
		}
		for _, l := range lines {
			// PRI = local0 (16) * 8 + crit (2) = 130.
			if !strings.HasPrefix(l, "<130>1 ") || !strings.Contains(l, " collector-1 egovnet-collector ") ||
				!strings.Contains(l, `[egovnet@32473 event="violation.`) || !strings.Contains(l, `department="CZJ"`) {
				t.Fatalf("not the expected RFC 5424 line: %q", l)
			}
		}
		if p, dead, err := notify.Depth(ctx, db); err != nil || p != 0 || dead != 0 {
			t.Fatalf("outbox depth %d dead %d err %v, want empty", p, dead, err)
		}
	})
}

func TestAgentSilentOnceAndUDPSyslog(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := ctxT(t)
		clk := newClock(time.Now().UTC().Truncate(time.Second))
		svc := auth.NewService(db, auditlog.New(db), auth.Options{})
		tok, _, err := svc.CreateToken(ctx, "CZJ", time.Hour, 1, auth.Actor{Kind: auditlog.KindOperator, Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Enroll(ctx, tok, "probe-czj", "1.0", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		d, err := notify.New(db, []notify.Sink{&notify.Syslog{ID: "syslog", Network: "udp", Addr: pc.LocalAddr().String(), Facility: 16}},
			notify.Options{Logger: quiet(), Now: clk.Now, SilentAfter: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if err := d.Pass(ctx); err != nil {
				t.Fatal(err)
			}
		}
		clk.Add(3 * time.Hour) // enrolled, never reported: silent after 2 h
		for i := 0; i < 3; i++ {
			if err := d.Pass(ctx); err != nil {
				t.Fatal(err)
			}
		}
		_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 8192)
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no syslog datagram: %v", err)
		}
		line := string(buf[:n])
		// PRI = local0 * 8 + err (3): a department nobody watches is high.
		if !strings.HasPrefix(line, "<131>1 ") || !strings.Contains(line, `event="agent.silent"`) || !strings.Contains(line, `hostname="probe-czj"`) {
			t.Fatalf("silent-agent line %q", line)
		}
		_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, _, err := pc.ReadFrom(buf); err == nil {
			t.Fatalf("agent.silent sent twice: %q", buf[:n])
		}
	})
}

func TestRouteMatch(t *testing.T) {
	opened := &notify.Event{Name: notify.EventOpened, Department: "CZJ", Violation: &wire.Violation{Severity: wire.SeverityMedium}}
	for _, tc := range []struct {
		name string
		r    notify.Route
		want bool
	}{
		{"empty route takes all", notify.Route{}, true},
		{"event listed", notify.Route{Events: []string{notify.EventOpened}}, true},
		{"event not listed", notify.Route{Events: []string{notify.EventResolved}}, false},
		{"other department", notify.Route{Departments: []string{"SCJ"}}, false},
		{"severity at threshold", notify.Route{MinSeverity: "medium"}, true},
		{"severity below threshold", notify.Route{MinSeverity: "high"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Match(opened); got != tc.want {
				t.Fatalf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	// Each wait lies between its base (5 s doubling, capped at an hour)
	// and 20% above it. Comparing one jittered draw with the previous
	// one would fail by chance at the cap, where the bases are equal.
	tests := []struct {
		n    int
		base time.Duration
	}{
		{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {4, 40 * time.Second},
		{8, 640 * time.Second}, {10, 2560 * time.Second}, {11, time.Hour}, {12, time.Hour}, {30, time.Hour},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("attempt %d", tc.n), func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for i := 0; i < 200; i++ {
				b := notify.Backoff(tc.n)
				if b < tc.base || b > tc.base*6/5 {
					t.Fatalf("backoff(%d) = %s, want within [%s, %s]", tc.n, b, tc.base, tc.base*6/5)
				}
				seen[b] = true
			}
			if len(seen) < 2 {
				t.Fatalf("backoff(%d) gave the same wait 200 times: no jitter", tc.n)
			}
		})
	}
}
