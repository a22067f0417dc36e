package uplink

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func fastOpts() Options {
	return Options{Retries: 2, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 5 * time.Second}
}

// collector is a minimal collector-like server: enrolment and reports.
type collector struct {
	mu       sync.Mutex
	statuses []int // served in order for /api/v1/reports; then 202
	got      []string
	auth     []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.URL.Path {
	case "/api/v1/agents/enroll":
		var req EnrollRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Token != "tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid token"}`))
			return
		}
		_, _ = w.Write([]byte(`{"agent_id":"ag-1","credential":"cred-secret-1"}`))
	case "/api/v1/reports":
		b, _ := io.ReadAll(r.Body)
		status := http.StatusAccepted
		if len(c.statuses) > 0 {
			status, c.statuses = c.statuses[0], c.statuses[1:]
		}
		c.auth = append(c.auth, r.Header.Get("Authorization"))
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(status)
		if status == http.StatusAccepted || status == http.StatusOK {
			c.got = append(c.got, string(b))
		}
		fmt.Fprintf(w, `{"status":%d}`, status)
	default:
		http.NotFound(w, r)
	}
}

func TestEnrollAndIdentity(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	c, err := New(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enroll(context.Background(), EnrollRequest{Token: "wrong"}); !IsPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token: %v", err)
	}
	resp, err := c.Enroll(context.Background(), EnrollRequest{Token: "tok-1", Hostname: "h", AgentVersion: "dev"})
	if err != nil || resp.AgentID != "ag-1" {
		t.Fatalf("enroll %+v %v", resp, err)
	}
	dir := filepath.Join(t.TempDir(), "agent-data")
	if err := SaveIdentity(dir, Identity{AgentID: resp.AgentID, Credential: "cred-secret-1", Collector: srv.URL}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dir, IdentityFile))
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("modes %v %v", fi.Mode(), di.Mode())
	}
	id, err := LoadIdentity(dir)
	if err != nil || id.Credential.Reveal() != "cred-secret-1" {
		t.Fatalf("load %+v %v", id, err)
	}
	if s := fmt.Sprintf("%v %+v", id, id); strings.Contains(s, "cred-secret-1") {
		t.Fatalf("credential printed: %s", s)
	}
	if _, err := LoadIdentity(t.TempDir()); err != ErrNotEnrolled {
		t.Fatalf("not enrolled: %v", err)
	}
}

func TestFlushOutcomes(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		wantSent     int
		wantRejected int
		wantPending  int
		wantErr      bool
	}{
		{"accepted", nil, 2, 0, 0, false},
		{"duplicate 200 is an ack", []int{200, 200}, 2, 0, 0, false},
		{"500 then retry succeeds", []int{500, 202, 202}, 2, 0, 0, false},
		{"429 honours retry", []int{429, 202, 202}, 2, 0, 0, false},
		{"400 is permanent", []int{400, 202}, 1, 1, 0, false},
		{"401 is permanent", []int{401, 401}, 0, 2, 0, false},
		{"503 until retries run out keeps both", []int{503, 503, 503}, 0, 0, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := &collector{statuses: append([]int(nil), tc.statuses...)}
			srv := httptest.NewServer(col)
			defer srv.Close()
			sp, _ := spool.Open(t.TempDir(), 10)
			_, _ = sp.Put("r1", []byte(`{"report_id":"r1"}`))
			_, _ = sp.Put("r2", []byte(`{"report_id":"r2"}`))
			c, _ := New(srv.URL, fastOpts())
			res, err := Flush(context.Background(), c, "cred", sp, quiet)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if res.Sent != tc.wantSent || res.Rejected != tc.wantRejected || res.Pending != tc.wantPending {
				t.Fatalf("res = %+v", res)
			}
			if sp.Depth() != tc.wantPending {
				t.Fatalf("depth %d", sp.Depth())
			}
			rej, _ := sp.Rejected()
			if len(rej) != tc.wantRejected {
				t.Fatalf("rejected %d", len(rej))
			}
			for _, a := range col.auth {
				if a != "Bearer cred" {
					t.Fatalf("auth header %q", a)
				}
			}
		})
	}
}

// TestCollectorDownThenUp: the report stays spooled while the collector is
// down and is sent by the next flush once it is up.
func TestCollectorDownThenUp(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
	sp, _ := spool.Open(t.TempDir(), 10)
	_, _ = sp.Put("r1", []byte(`{"report_id":"r1"}`))
	c, _ := New("http://"+addr, fastOpts())
	if _, err := Flush(context.Background(), c, "cred", sp, quiet); err == nil || sp.Depth() != 1 {
		t.Fatalf("down: err %v depth %d", err, sp.Depth())
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("relisten %s: %v", addr, err)
	}
	col := &collector{}
	srv := httptest.NewUnstartedServer(col)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	res, err := Flush(context.Background(), c, "cred", sp, quiet)
	if err != nil || res.Sent != 1 || sp.Depth() != 0 || len(col.got) != 1 || col.got[0] != `{"report_id":"r1"}` {
		t.Fatalf("up: %+v %v depth %d got %v", res, err, sp.Depth(), col.got)
	}
}

func TestTLSWithCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(&collector{})
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := fastOpts()
	opts.Retries = -1
	untrusted, _ := New(srv.URL, opts)
	if err := untrusted.SendReport(context.Background(), "c", []byte("{}")); err == nil || IsPermanent(err) {
		t.Fatalf("untrusted certificate accepted or permanent: %v", err)
	}
	opts.CAFile = ca
	trusted, err := New(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := trusted.SendReport(context.Background(), "c", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	_ = os.WriteFile(bad, []byte("not pem"), 0o600)
	opts.CAFile = bad
	if _, err := New(srv.URL, opts); err == nil {
		t.Fatal("bad CA file accepted")
	}
}

func TestBackoffHonoursContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := New(srv.URL, Options{Retries: 5, MinBackoff: time.Hour, MaxBackoff: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.SendReport(ctx, "c", []byte("{}")) }()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("want error after cancel")
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "collector:8080", "http://"} {
		if _, err := New(u, Options{}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestRetryCounts(t *testing.T) {
	tests := []struct {
		name    string
		retries int
		want    int
	}{{"zero means default three", 0, 4}, {"negative means none", -1, 1}, {"explicit", 1, 2}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				mu.Unlock()
				w.WriteHeader(http.StatusBadGateway)
			}))
			defer srv.Close()
			c, _ := New(srv.URL, Options{Retries: tc.retries, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
			if err := c.SendReport(context.Background(), "c", []byte("{}")); err == nil || IsPermanent(err) {
				t.Fatalf("err = %v", err)
			}
			if n != tc.want {
				t.Fatalf("attempts %d, want %d", n, tc.want)
			}
		})
	}
}
