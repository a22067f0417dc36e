package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// byAgent stands in for a collector that answers each agent (credential)
// with its own status: a paused department's agents get 503 with
// Retry-After and the collector's back-pressure body, the others 202.
type byAgent struct {
	mu         sync.Mutex
	status     map[string]int // credential → status; 202 when absent
	retryAfter string
	asked      []string // credentials, in the order asked
	stored     []string // bodies acknowledged, in order
}

func (c *byAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.URL.Path != ReportsPath {
		http.NotFound(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	cred := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	c.asked = append(c.asked, cred)
	status, ok := c.status[cred]
	if !ok {
		status = http.StatusAccepted
	}
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusServiceUnavailable {
		if c.retryAfter != "" {
			w.Header().Set("Retry-After", c.retryAfter)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":"the department's findings are behind its uploads","detail":{"department":"CZJ","lag_seconds":95,"max_lag_seconds":60,"retry_after_seconds":7}}`)
		return
	}
	w.WriteHeader(status)
	if status == http.StatusAccepted {
		c.stored = append(c.stored, string(b))
	}
	fmt.Fprintf(w, `{"status":%d}`, status)
}

func (c *byAgent) set(cred string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status[cred] = status
}

func (c *byAgent) seen() (asked, stored []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.asked...), append([]string(nil), c.stored...)
}

// spoolAll uploads (credential, body) pairs through the relay, in order.
func spoolAll(t *testing.T, f *fixture, uploads ...[2]string) {
	t.Helper()
	for _, u := range uploads {
		if code, b := post(t, f.url, u[0], strings.NewReader(u[1]), nil); code != http.StatusAccepted {
			t.Fatalf("upload %s: %d %s", u[1], code, b)
		}
	}
}

// spooled is the bodies still in the relay spool, oldest first.
func spooled(t *testing.T, st *Store) []string {
	t.Helper()
	ents, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		_, b, err := st.Read(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func same(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

// TestForwardPassesOverDeferredAgent: a department the collector pauses
// (503 + Retry-After for its agent A) does not hold back agent B's reports
// queued behind A's; A's stay in order, are not asked again before the
// collector's Retry-After, and go first, oldest first, once it ends.
func TestForwardPassesOverDeferredAgent(t *testing.T) {
	col := &byAgent{status: map[string]int{"cred-a": http.StatusServiceUnavailable}, retryAfter: "7"}
	srv := httptest.NewServer(col)
	defer srv.Close()
	f := newFixture(t, strings.TrimPrefix(srv.URL, "http://"), Options{}, 10, 1<<20)
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.relay.now = func() time.Time { return clock }
	a1, b1, a2, b2 := `{"report_id":"a1"}`, `{"report_id":"b1"}`, `{"report_id":"a2"}`, `{"report_id":"b2"}`
	spoolAll(t, f, [2]string{"cred-a", a1}, [2]string{"cred-b", b1}, [2]string{"cred-a", a2}, [2]string{"cred-b", b2})

	res, err := f.relay.Forward(context.Background())
	want := Result{Sent: 2, Pending: 2, Deferred: 2, DeferredAgents: 1, RetryAfter: 7 * time.Second}
	if err != nil || res != want {
		t.Fatalf("paused department: %+v %v, want %+v and no error", res, err, want)
	}
	asked, stored := col.seen()
	if !same(stored, []string{b1, b2}) {
		t.Fatalf("collector stored %q, want B's two reports", stored)
	}
	if !same(asked, []string{"cred-a", "cred-b", "cred-b"}) {
		t.Fatalf("collector asked %q: A's second report should not be sent in the pass", asked)
	}
	if got := spooled(t, f.store); !same(got, []string{a1, a2}) {
		t.Fatalf("relay spool holds %q, want A's reports in order", got)
	}

	// The department resumes, but the collector asked for 7 s: a pass
	// woken sooner (an upload, a poll) does not ask A again.
	col.set("cred-a", http.StatusAccepted)
	clock = clock.Add(3 * time.Second)
	res, err = f.relay.Forward(context.Background())
	want = Result{Pending: 2, Deferred: 2, DeferredAgents: 1, RetryAfter: 4 * time.Second}
	if err != nil || res != want {
		t.Fatalf("before Retry-After: %+v %v, want %+v", res, err, want)
	}
	if asked2, _ := col.seen(); len(asked2) != len(asked) {
		t.Fatalf("A asked again before its Retry-After: %q", asked2[len(asked):])
	}

	clock = clock.Add(4 * time.Second)
	res, err = f.relay.Forward(context.Background())
	if err != nil || res != (Result{Sent: 2}) {
		t.Fatalf("after Retry-After: %+v %v", res, err)
	}
	if _, stored = col.seen(); !same(stored, []string{b1, b2, a1, a2}) {
		t.Fatalf("collector stored %q, want A1 before A2 after B's", stored)
	}
	if got := spooled(t, f.store); len(got) != 0 {
		t.Fatalf("relay spool still holds %q", got)
	}
}

// TestDeferralBoundedByMaxBackoff: a Retry-After of an hour parks the
// agent's reports for maxPause only (MaxBackoff, at least the minute the
// collector itself may ask); then it is asked again.
func TestDeferralBoundedByMaxBackoff(t *testing.T) {
	col := &byAgent{status: map[string]int{"cred-a": http.StatusServiceUnavailable}, retryAfter: "3600"}
	srv := httptest.NewServer(col)
	defer srv.Close()
	f := newFixture(t, strings.TrimPrefix(srv.URL, "http://"), Options{MinBackoff: time.Second, MaxBackoff: 30 * time.Second}, 10, 1<<20)
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.relay.now = func() time.Time { return clock }
	spoolAll(t, f, [2]string{"cred-a", `{"report_id":"a1"}`})
	res, err := f.relay.Forward(context.Background())
	if want := (Result{Pending: 1, Deferred: 1, DeferredAgents: 1, RetryAfter: time.Minute}); err != nil || res != want {
		t.Fatalf("asked to wait an hour: %+v %v, want %+v", res, err, want)
	}
	col.set("cred-a", http.StatusAccepted)
	clock = clock.Add(61 * time.Second)
	if res, err := f.relay.Forward(context.Background()); err != nil || res != (Result{Sent: 1}) {
		t.Fatalf("after MaxBackoff: %+v %v, want the report sent", res, err)
	}
}

// TestForwardEndsOnOutage: a collector that is away (closed, or failing
// with a 5xx other than 503) still ends the pass with an error: the rest
// would fail too.
func TestForwardEndsOnOutage(t *testing.T) {
	tests := []struct {
		name   string
		closed bool
		status map[string]int
		want   Result
	}{
		{"collector down", true, nil, Result{Pending: 2}},
		{"500 after a deferral", false, map[string]int{"cred-a": 503, "cred-b": 500},
			Result{Pending: 2, Deferred: 1, DeferredAgents: 1, RetryAfter: 7 * time.Second}},
		{"502 ends the pass before later agents", false, map[string]int{"cred-a": 502}, Result{Pending: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := &byAgent{status: tc.status, retryAfter: "7"}
			srv := httptest.NewServer(col)
			addr := strings.TrimPrefix(srv.URL, "http://")
			if tc.closed {
				srv.Close()
			} else {
				defer srv.Close()
			}
			f := newFixture(t, addr, Options{}, 10, 1<<20)
			spoolAll(t, f, [2]string{"cred-a", `{"report_id":"a1"}`}, [2]string{"cred-b", `{"report_id":"b1"}`})
			res, err := f.relay.Forward(context.Background())
			if err == nil || res != tc.want {
				t.Fatalf("%+v %v, want %+v and an error", res, err, tc.want)
			}
			if n, _ := f.store.Usage(); n != 2 {
				t.Fatalf("relay spool holds %d, want both kept", n)
			}
		})
	}
}

// TestForwardGoesOnPastAFailingReport: a report the collector fails on
// (500) is kept and the pass goes on with the reports behind it, then ends
// with an error (the forwarder backs off); three 500s in a row end the
// pass before the rest, as an outage does.
func TestForwardGoesOnPastAFailingReport(t *testing.T) {
	a1, b1, c1, d1, a2 := [2]string{"cred-a", "a1"}, [2]string{"cred-b", "b1"}, [2]string{"cred-c", "c1"}, [2]string{"cred-d", "d1"}, [2]string{"cred-a", "a2"}
	tests := []struct {
		name       string
		spool      [][2]string
		status     map[string]int
		wantRes    Result
		wantAsked  []string
		wantStored []string
	}{
		{"one agent's report fails", [][2]string{a1, b1, c1, d1}, map[string]int{"cred-a": 500},
			Result{Sent: 3, Pending: 1}, []string{"cred-a", "cred-b", "cred-c", "cred-d"}, []string{"b1", "c1", "d1"}},
		{"two fail, the others go", [][2]string{a1, b1, c1, d1}, map[string]int{"cred-a": 500, "cred-c": 500},
			Result{Sent: 2, Pending: 2}, []string{"cred-a", "cred-b", "cred-c", "cred-d"}, []string{"b1", "d1"}},
		{"the agent's later report waits behind its failed one", [][2]string{a1, b1, a2, d1}, map[string]int{"cred-a": 500},
			Result{Sent: 2, Pending: 2}, []string{"cred-a", "cred-b", "cred-d"}, []string{"b1", "d1"}},
		{"three in a row end the pass", [][2]string{a1, b1, c1, d1}, map[string]int{"cred-a": 500, "cred-b": 500, "cred-c": 500},
			Result{Pending: 4}, []string{"cred-a", "cred-b", "cred-c"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := &byAgent{status: tc.status}
			srv := httptest.NewServer(col)
			defer srv.Close()
			f := newFixture(t, strings.TrimPrefix(srv.URL, "http://"), Options{}, 10, 1<<20)
			spoolAll(t, f, tc.spool...)
			res, err := f.relay.Forward(context.Background())
			if err == nil || res != tc.wantRes {
				t.Fatalf("%+v %v, want %+v and an error", res, err, tc.wantRes)
			}
			asked, stored := col.seen()
			if !same(asked, tc.wantAsked) || !same(stored, tc.wantStored) {
				t.Fatalf("collector asked %q, stored %q; want %q, %q", asked, stored, tc.wantAsked, tc.wantStored)
			}
			if n, _ := f.store.Usage(); n != tc.wantRes.Pending {
				t.Fatalf("relay spool holds %d, want %d", n, tc.wantRes.Pending)
			}
		})
	}
}

// TestFailingReportsBackOffAcrossPasses: reports the collector failed on
// are not sent again before their own backoff, even by a pass woken early;
// three of them at the head of the spool end one pass, not every pass, so
// the reports behind them go; after the backoff they are tried again, and
// one the collector then takes is forgotten.
func TestFailingReportsBackOffAcrossPasses(t *testing.T) {
	col := &byAgent{status: map[string]int{"cred-a": 500, "cred-b": 500, "cred-c": 500}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	f := newFixture(t, strings.TrimPrefix(srv.URL, "http://"), Options{MinBackoff: 10 * time.Second, MaxBackoff: time.Minute}, 10, 1<<20)
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.relay.now = func() time.Time { return clock }
	spoolAll(t, f, [2]string{"cred-a", "a1"}, [2]string{"cred-b", "b1"}, [2]string{"cred-c", "c1"}, [2]string{"cred-d", "d1"}, [2]string{"cred-a", "a2"})
	passes := []struct {
		name      string
		advance   time.Duration
		set       map[string]int // statuses changed before the pass
		want      Result
		wantErr   bool
		wantAsked []string // asked in this pass
	}{
		{"three 500s end the first pass", 0, nil, Result{Pending: 5}, true, []string{"cred-a", "cred-b", "cred-c"}},
		{"woken early: the failing three wait, the rest go", time.Second, nil, Result{Sent: 1, Pending: 4}, false, []string{"cred-d"}},
		{"after their backoff they are tried again", 10 * time.Second, map[string]int{"cred-a": 202},
			Result{Sent: 2, Pending: 2}, true, []string{"cred-a", "cred-b", "cred-c", "cred-a"}},
		{"the next failure doubles the backoff", 15 * time.Second, nil, Result{Pending: 2}, false, nil},
	}
	seen := 0
	for _, p := range passes {
		clock = clock.Add(p.advance)
		for cred, st := range p.set {
			col.set(cred, st)
		}
		res, err := f.relay.Forward(context.Background())
		if (err != nil) != p.wantErr || res != p.want {
			t.Fatalf("%s: %+v %v, want %+v (error %v)", p.name, res, err, p.want, p.wantErr)
		}
		asked, _ := col.seen()
		if !same(asked[seen:], p.wantAsked) {
			t.Fatalf("%s: asked %q, want %q", p.name, asked[seen:], p.wantAsked)
		}
		seen = len(asked)
	}
	if _, stored := col.seen(); !same(stored, []string{"d1", "a1", "a2"}) {
		t.Fatalf("stored %q, want d1, then a1 and a2 in order", stored)
	}
}

// TestNextWait: what the forwarder waits after a pass, and the backoff it
// carries on.
func TestNextWait(t *testing.T) {
	r := New(nil, nil, Options{MinBackoff: time.Second, MaxBackoff: 30 * time.Second, Log: quiet})
	down := errors.New("forward relayed reports: connection refused")
	tests := []struct {
		name      string
		res       Result
		err       error
		backoff   time.Duration
		wait, nxt time.Duration
	}{
		{"all sent: look again in a minute", Result{Sent: 3}, nil, 4 * time.Second, time.Minute, 0},
		{"first failure", Result{Pending: 1}, down, 0, time.Second, time.Second},
		{"failure doubles", Result{Pending: 1}, down, 4 * time.Second, 8 * time.Second, 8 * time.Second},
		{"failure capped", Result{Pending: 1}, down, 20 * time.Second, 30 * time.Second, 30 * time.Second},
		{"deferral waits the collector's Retry-After", Result{Deferred: 2, RetryAfter: 12 * time.Second}, nil, 8 * time.Second, 12 * time.Second, 0},
		{"deferral's wait capped", Result{Deferred: 1, RetryAfter: time.Minute}, nil, 0, 30 * time.Second, 0},
		{"deferral's wait raised", Result{Deferred: 1, RetryAfter: 100 * time.Millisecond}, nil, 0, time.Second, 0},
		{"deferral without Retry-After backs off", Result{Deferred: 1}, nil, 2 * time.Second, 4 * time.Second, 4 * time.Second},
		{"deferral and failure back off", Result{Deferred: 1, RetryAfter: 12 * time.Second}, down, 2 * time.Second, 4 * time.Second, 4 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wait, nxt := r.nextWait(tc.res, tc.err, tc.backoff)
			if wait != tc.wait || nxt != tc.nxt {
				t.Fatalf("nextWait = %v, %v; want %v, %v", wait, nxt, tc.wait, tc.nxt)
			}
		})
	}
}

// syncBuffer is a log destination the forwarder and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestForwardLoopSaysWhy: the forwarder logs a deferral as the collector
// asking to wait (with its clamped Retry-After), and only an outage as the
// collector being unreachable.
func TestForwardLoopSaysWhy(t *testing.T) {
	tests := []struct {
		name   string
		closed bool
		msg    string   // the pass's log line
		keys   []string // on that line
		also   string   // elsewhere in the log ("" none)
		never  string
	}{
		{"deferral", false, "collector asked relayed reports to wait",
			[]string{"level=INFO", "pending=1", "deferred=1", "agents=1", "retry_in=50ms"}, `msg="relayed reports forwarded" sent=1`, "unreachable"},
		{"outage", true, "collector unreachable or failing",
			[]string{"level=WARN", "pending=2", "deferred=0", "retry_in=10ms"}, "", "asked relayed reports to wait"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := &byAgent{status: map[string]int{"cred-a": http.StatusServiceUnavailable}, retryAfter: "7"}
			srv := httptest.NewServer(col)
			addr := strings.TrimPrefix(srv.URL, "http://")
			if tc.closed {
				srv.Close()
			} else {
				defer srv.Close()
			}
			f := newFixture(t, addr, Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}, 10, 1<<20)
			var logs syncBuffer
			f.relay.o.Log = slog.New(slog.NewTextHandler(&logs, nil))
			spoolAll(t, f, [2]string{"cred-a", `{"report_id":"a1"}`}, [2]string{"cred-b", `{"report_id":"b1"}`})

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); f.relay.forwardLoop(ctx) }()
			// A generous deadline, not a timing assertion: what the first
			// pass logs is what is checked.
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(logs.String(), tc.msg) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			<-done
			out := logs.String()
			line := ""
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, tc.msg) {
					line = l
					break
				}
			}
			if line == "" {
				t.Fatalf("log lacks %q:\n%s", tc.msg, out)
			}
			for _, k := range tc.keys {
				if !strings.Contains(line, k) {
					t.Fatalf("log line lacks %q: %s", k, line)
				}
			}
			if !strings.Contains(out, tc.also) {
				t.Fatalf("log lacks %q:\n%s", tc.also, out)
			}
			if strings.Contains(out, tc.never) {
				t.Fatalf("log says %q:\n%s", tc.never, out)
			}
		})
	}
}
