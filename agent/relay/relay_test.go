package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/fleet"
	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// upstream stands in for the collector's agent routes: it records what
// arrives and answers with the statuses queued for reports (then 202).
type upstream struct {
	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
	auths    []string
	polls    []string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch r.URL.Path {
	case ReportsPath:
		b, _ := io.ReadAll(r.Body)
		status := http.StatusAccepted
		if len(u.statuses) > 0 {
			status, u.statuses = u.statuses[0], u.statuses[1:]
		}
		if status == http.StatusAccepted {
			u.bodies = append(u.bodies, b)
			u.auths = append(u.auths, r.Header.Get("Authorization"))
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":%d}`, status)
	case ConfigPath:
		u.polls = append(u.polls, r.Header.Get("Authorization")+" "+r.URL.RawQuery)
		if r.Header.Get("Authorization") != "Bearer cred-a" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":1,"department":"CZJ","profile":"endpoint","scope":{"targets":[],"ports":[]},"schedule":{"interval":"2h"}}`))
	case ReleasePath + "/r1/binary":
		if r.Header.Get("Authorization") != "Bearer cred-a" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(releaseBytes)
	default:
		http.NotFound(w, r)
	}
}

var releaseBytes = bytes.Repeat([]byte{0x7f, 'E', 'L', 'F', 0, 1}, 50000)

func (u *upstream) got() ([][]byte, []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([][]byte(nil), u.bodies...), append([]string(nil), u.auths...)
}

type fixture struct {
	relay *Relay
	store *Store
	url   string // the relay's
	addr  string // the upstream's (may be closed)
}

// newFixture runs a relay on loopback forwarding to addr (a collector
// that may not be listening yet); forwarding runs only when a test calls
// Forward, so every step is deterministic.
func newFixture(t *testing.T, addr string, o Options, maxReports int, maxBytes int64) *fixture {
	t.Helper()
	up, err := uplink.New("http://"+addr, uplink.Options{Retries: -1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(filepath.Join(t.TempDir(), "relay-spool"), maxReports, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	o.Log = quiet
	r := New(up, st, o)
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	return &fixture{relay: r, store: st, url: srv.URL, addr: addr}
}

func post(t *testing.T, url, cred string, body io.Reader, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+ReportsPath, body)
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// serveAt starts h on addr (a port reserved earlier): the collector
// coming back at the address the relay was configured with.
func serveAt(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestStoreAndForward: an upload is on the relay's disk when it is
// acknowledged, survives the collector being down and a relay restart,
// and reaches the collector with the endpoint agent's credential and the
// very bytes it sent.
func TestStoreAndForward(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
	f := newFixture(t, addr, Options{}, 10, 1<<20)
	bodies := map[string][]byte{"cred-a": []byte(`{"report_id":"a1","agent":{"id":"A"}}`), "cred-b": []byte("{\"report_id\":\"b1\",\n \"agent\":{\"id\":\"B\"}}  ")}
	for _, cred := range []string{"cred-a", "cred-b"} {
		if code, body := post(t, f.url, cred, bytes.NewReader(bodies[cred]), nil); code != http.StatusAccepted {
			t.Fatalf("upload: %d %s", code, body)
		}
	}
	if n, _ := f.store.Usage(); n != 2 {
		t.Fatalf("acknowledged uploads not on disk: %d", n)
	}
	res, err := f.relay.Forward(context.Background())
	if err == nil || res.Pending != 2 || res.Sent != 0 {
		t.Fatalf("collector down: %+v %v", res, err)
	}
	// A relay restarted on the same spool forwards what the first accepted.
	st2, err := OpenStore(f.store.Dir(), 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	up, _ := uplink.New("http://"+addr, uplink.Options{Retries: -1})
	r2 := New(up, st2, Options{Log: quiet})
	col := &upstream{}
	serveAt(t, addr, col)
	res, err = r2.Forward(context.Background())
	if err != nil || res.Sent != 2 {
		t.Fatalf("collector up: %+v %v", res, err)
	}
	got, auths := col.got()
	if len(got) != 2 || !bytes.Equal(got[0], bodies["cred-a"]) || !bytes.Equal(got[1], bodies["cred-b"]) {
		t.Fatalf("bodies changed on the way: %q", got)
	}
	if auths[0] != "Bearer cred-a" || auths[1] != "Bearer cred-b" {
		t.Fatalf("forwarded with %v, want each agent's own credential", auths)
	}
	if n, _ := st2.Usage(); n != 0 {
		t.Fatalf("forwarded uploads still spooled: %d", n)
	}
}

func TestForwardOutcomes(t *testing.T) {
	tests := []struct {
		name          string
		statuses      []int
		sent, refused int
		pending       int
		deferred      int
		wantErr       bool
	}{
		{"accepted", nil, 2, 0, 0, 0, false},
		{"already stored (200) is an ack", []int{200, 200}, 2, 0, 0, 0, false},
		{"403 other agent's name is refused for good", []int{403}, 1, 1, 0, 0, false},
		{"409 tampered content is refused for good", []int{409, 202}, 1, 1, 0, 0, false},
		// without Retry-After a 503 or 429 is not the collector's pause (a
		// proxy's, the collector down): the pass ends (defer_test.go has
		// the pause)
		{"503 without Retry-After ends the pass", []int{503}, 0, 0, 2, 0, true},
		{"429 without Retry-After ends the pass", []int{202, 429}, 1, 0, 1, 0, true},
		{"500 keeps the agent's later report behind it", []int{500}, 0, 0, 2, 0, true},
		{"502 ends the pass", []int{202, 502}, 1, 0, 1, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := &upstream{statuses: append([]int(nil), tc.statuses...)}
			srv := httptest.NewServer(col)
			defer srv.Close()
			f := newFixture(t, strings.TrimPrefix(srv.URL, "http://"), Options{}, 10, 1<<20)
			for i := range 2 {
				if code, b := post(t, f.url, "cred-a", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)), nil); code != 202 {
					t.Fatalf("upload %d: %d %s", i, code, b)
				}
			}
			res, err := f.relay.Forward(context.Background())
			if (err != nil) != tc.wantErr || res.Sent != tc.sent || res.Rejected != tc.refused || res.Pending != tc.pending || res.Deferred != tc.deferred {
				t.Fatalf("res %+v err %v", res, err)
			}
			rej, _ := f.store.Rejected()
			if len(rej) != tc.refused {
				t.Fatalf("rejected/ holds %d", len(rej))
			}
			if n, _ := f.store.Usage(); n != tc.pending {
				t.Fatalf("spool holds %d, want %d", n, tc.pending)
			}
			if tc.refused > 0 {
				reason, _ := os.ReadFile(filepath.Join(f.store.Dir(), rejectedDir, rej[0]+".error"))
				if !strings.Contains(string(reason), fmt.Sprint(tc.statuses[0])) {
					t.Fatalf("reason %q does not name the status", reason)
				}
			}
		})
	}
}

// TestRefusals: what the relay refuses, with which status, and that a
// refusal spools nothing.
func TestRefusals(t *testing.T) {
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name   string
		o      Options
		caps   [2]int64 // spool max reports, max bytes
		pre    int      // uploads accepted first
		cred   string
		body   io.Reader
		hdr    map[string]string
		status int
	}{
		{"no credential", Options{}, [2]int64{10, 1 << 20}, 0, "", strings.NewReader("{}"), nil, 401},
		{"declared too large", Options{MaxReportBytes: 1024}, [2]int64{10, 1 << 20}, 0, "c", strings.NewReader(big), nil, 413},
		{"streamed too large", Options{MaxReportBytes: 1024}, [2]int64{10, 1 << 20}, 0, "c", io.MultiReader(strings.NewReader(big)), nil, 413},
		{"compressed", Options{}, [2]int64{10, 1 << 20}, 0, "c", strings.NewReader("{}"), map[string]string{"Content-Encoding": "gzip"}, 415},
		{"spool full by count", Options{}, [2]int64{2, 1 << 20}, 2, "c", strings.NewReader("{}"), nil, 507},
		{"spool full by bytes", Options{MaxReportBytes: 4096}, [2]int64{10, 4096}, 1, "c", strings.NewReader(big), nil, 507},
		{"source not allowed", Options{Allow: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, [2]int64{10, 1 << 20}, 0, "c", strings.NewReader("{}"), nil, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "127.0.0.1:1", tc.o, int(tc.caps[0]), tc.caps[1])
			for i := range tc.pre {
				if code, b := post(t, f.url, "c", strings.NewReader(big), nil); code != 202 {
					t.Fatalf("upload %d: %d %s", i, code, b)
				}
			}
			code, body := post(t, f.url, tc.cred, tc.body, tc.hdr)
			if code != tc.status || !strings.Contains(body, `"error"`) {
				t.Fatalf("%d %s, want %d", code, body, tc.status)
			}
			if n, _ := f.store.Usage(); n != tc.pre {
				t.Fatalf("a refused upload was spooled: %d entries", n)
			}
			ents, _ := os.ReadDir(f.store.Dir())
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), tmpPrefix) {
					t.Fatalf("temporary file left: %s", e.Name())
				}
			}
		})
	}
}

// TestEndpointKeepsReportWhenRelayFull: 507 is temporary for an endpoint
// agent's uplink, so its report stays in its own spool.
func TestEndpointKeepsReportWhenRelayFull(t *testing.T) {
	f := newFixture(t, "127.0.0.1:1", Options{}, 1, 1<<20)
	if code, _ := post(t, f.url, "c", strings.NewReader("{}"), nil); code != 202 {
		t.Fatal("first upload refused")
	}
	sp, _ := spool.Open(t.TempDir(), 10)
	_, _ = sp.Put("r1", []byte(`{"report_id":"r1"}`))
	c, _ := uplink.New(f.url, uplink.Options{Retries: -1})
	res, err := uplink.Flush(context.Background(), c, "cred-a", sp, quiet)
	if err == nil || !strings.Contains(err.Error(), "507") || res.Pending != 1 || sp.Depth() != 1 {
		t.Fatalf("full relay: %+v %v depth %d", res, err, sp.Depth())
	}
	if rej, _ := sp.Rejected(); len(rej) != 0 {
		t.Fatal("a full relay made the endpoint agent reject its report")
	}
}

// TestPerClientConcurrency: a second upload of the same agent while one is
// still arriving gets 429 (retried by the agent); another agent is served.
func TestPerClientConcurrency(t *testing.T) {
	f := newFixture(t, "127.0.0.1:1", Options{PerClient: 1}, 10, 1<<20)
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		code, _ := post(t, f.url, "cred-a", pr, nil)
		first <- code
	}()
	if _, err := pw.Write([]byte(`{"report_id":`)); err != nil {
		t.Fatal(err)
	}
	// The first upload is being spooled once its temporary file exists.
	deadline := time.Now().Add(30 * time.Second)
	for !hasTemp(f.store.Dir()) {
		if time.Now().After(deadline) {
			t.Fatal("first upload never reached the spool")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, b := post(t, f.url, "cred-a", strings.NewReader("{}"), nil); code != http.StatusTooManyRequests {
		t.Fatalf("same agent concurrently: %d %s", code, b)
	}
	if code, b := post(t, f.url, "cred-b", strings.NewReader("{}"), nil); code != http.StatusAccepted {
		t.Fatalf("other agent: %d %s", code, b)
	}
	_, _ = pw.Write([]byte(`"x"}`))
	pw.Close()
	if code := <-first; code != http.StatusAccepted {
		t.Fatalf("first upload: %d", code)
	}
	if n, _ := f.store.Usage(); n != 2 {
		t.Fatalf("spooled %d", n)
	}
}

func hasTemp(dir string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			return true
		}
	}
	return false
}

// TestConfigPollThroughRelay drives the endpoint agent's real poller
// through the relay: the configuration and its ETag pass, the credential
// decides, and while the collector is away the poll fails (503) so the
// agent keeps its last configuration.
func TestConfigPollThroughRelay(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
	col := &upstream{}
	srv := serveAt(t, addr, col)
	f := newFixture(t, addr, Options{}, 10, 1<<20)
	c, _ := uplink.New(f.url, uplink.Options{Retries: -1})
	p := &fleet.Poller{Client: c, Credential: "cred-a", Version: "1.2.3", Profile: "endpoint", CacheFile: filepath.Join(t.TempDir(), "central.json"), Log: quiet}
	up, err := p.Poll(context.Background())
	if err != nil || up.Config == nil || up.Config.Schedule.Interval != "2h" {
		t.Fatalf("first poll: %+v %v", up, err)
	}
	if up, err := p.Poll(context.Background()); err != nil || up.Config != nil {
		t.Fatalf("second poll should be 304 (ETag passed): %+v %v", up, err)
	}
	col.mu.Lock()
	last := col.polls[len(col.polls)-1]
	col.mu.Unlock()
	if !strings.HasPrefix(last, "Bearer cred-a ") || !strings.Contains(last, "version=1.2.3") || !strings.Contains(last, "profile=endpoint") {
		t.Fatalf("heartbeat query not passed on: %q", last)
	}
	other := &fleet.Poller{Client: c, Credential: "cred-x", Log: quiet}
	if _, err := other.Poll(context.Background()); !errors.Is(err, fleet.ErrRefused) {
		t.Fatalf("refused credential: %v", err)
	}
	srv.Close()
	res, err := http.Get(f.url + ConfigPath)
	if err != nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("collector down: %v %v", res, err)
	}
	res.Body.Close()
	if up, err := p.Poll(context.Background()); err == nil || up.Config != nil {
		t.Fatalf("poll with the collector down: %+v %v", up, err)
	}
	if cached, err := p.Cached(); err != nil || cached == nil || cached.Schedule.Interval != "2h" {
		t.Fatalf("last configuration lost: %+v %v", cached, err)
	}
}

func TestUnknownRouteAndHealth(t *testing.T) {
	f := newFixture(t, "127.0.0.1:1", Options{}, 10, 1<<20)
	res, err := http.Get(f.url + "/api/v1/agents")
	if err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("admin route through the relay: %v %v", res, err)
	}
	res.Body.Close()
	_, _ = post(t, f.url, "c", strings.NewReader("{}"), nil)
	res, err = http.Get(f.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"spool_reports":1`) {
		t.Fatalf("healthz: %s", b)
	}
}

// TestOpenStoreCleansTemporaries: a crash mid-upload leaves a temporary
// file that was never acknowledged; it is removed, finished entries stay.
func TestOpenStoreCleansTemporaries(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put("c", "", strings.NewReader("{}"), 1024); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, tmpPrefix+"crash"), []byte("half"), 0o600)
	st, err = OpenStore(dir, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if hasTemp(dir) {
		t.Fatal("temporary file kept")
	}
	l, _ := st.List()
	if len(l) != 1 {
		t.Fatalf("entries %v", l)
	}
	cred, body, err := st.Read(l[0])
	if err != nil || cred != "c" || string(body) != "{}" {
		t.Fatalf("read %q %q %v", cred, body, err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("spool dir mode %v: it holds credentials", fi.Mode())
	}
}

// TestReleaseDownloadThroughRelay: a self-update's binary passes byte for
// byte (the agent verifies its signature itself), with the agent's own
// credential deciding.
func TestReleaseDownloadThroughRelay(t *testing.T) {
	srv := httptest.NewServer(&upstream{})
	defer srv.Close()
	f := newFixture(t, strings.TrimPrefix(srv.URL, "http://"), Options{}, 10, 1<<20)
	c, _ := uplink.New(f.url, uplink.Options{Retries: -1})
	var buf bytes.Buffer
	if _, err := c.Download(context.Background(), ReleasePath+"/r1/binary", "cred-a", &buf, 1<<20); err != nil || !bytes.Equal(buf.Bytes(), releaseBytes) {
		t.Fatalf("download: %v (%d bytes)", err, buf.Len())
	}
	if _, err := c.Download(context.Background(), ReleasePath+"/r1/binary", "cred-x", &buf, 1<<20); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("other credential: %v", err)
	}
}

// TestRejectedBounded: refused uploads kept for inspection never exceed
// the spool's caps.
func TestRejectedBounded(t *testing.T) {
	st, err := OpenStore(t.TempDir(), 3, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e, err := st.Put("c", "", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)), 1024)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Reject(e, fmt.Errorf("refused %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	rej, _ := st.Rejected()
	if len(rej) != 3 {
		t.Fatalf("rejected/ holds %d, want the newest 3", len(rej))
	}
	reason, _ := os.ReadFile(filepath.Join(st.Dir(), rejectedDir, rej[2]+".error"))
	if strings.TrimSpace(string(reason)) != "refused 4" {
		t.Fatalf("newest reason %q", reason)
	}
}
