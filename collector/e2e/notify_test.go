package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/notify"
	"github.com/egovnet/egovnet/internal/testenv"
)

// TestNotificationsAndMetrics drives the real collector: a finding from an
// uploaded report reaches a signed webhook and a syslog listener on
// loopback; a webhook that is down when the event happens still gets it
// after the collector restarts (the outbox is in the store); /metrics counts
// the upload and the open findings.
func TestNotificationsAndMetrics(t *testing.T) {
	bins := testenv.BuildBinaries(t, "egovnet-collector")
	c := newCollector(t, filepath.Join(bins, "egovnet-collector"), false)

	var up atomic.Bool // the receiver starts down
	var mu sync.Mutex
	var got []notify.Event
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !up.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get(notify.SignatureHeader) != notify.Sign("hook-secret", b) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			t.Errorf("webhook signature %q does not verify", r.Header.Get(notify.SignatureHeader))
			return
		}
		var e notify.Event
		if err := json.Unmarshal(b, &e); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}))
	defer hook.Close()
	sys, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	lines := make(chan string, 100)
	go func() {
		for {
			conn, err := sys.Accept()
			if err != nil {
				return
			}
			go func() {
				r := bufio.NewReader(conn)
				for {
					var n int
					if _, err := fmt.Fscanf(r, "%d ", &n); err != nil {
						return
					}
					b := make([]byte, n)
					if _, err := io.ReadFull(r, b); err != nil {
						return
					}
					lines <- string(b)
				}
			}()
		}
	}()

	f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `notify:
  interval: 200ms
  webhooks:
    - {url: %q, secret: hook-secret, events: [violation.opened, violation.resolved]}
  syslog: {address: "tcp://%s", min_severity: low}
metrics: {token: scrape-me}
`, hook.URL, sys.Addr())
	f.Close()

	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "CZJ", "--ttl", "1h", "--uses", "1"))
	c.start()
	body, _ := json.Marshal(map[string]string{"token": token, "hostname": "probe-czj", "agent_version": "e2e"})
	a := c.http("POST", "/api/v1/agents/enroll", body, nil)
	var enrolled struct {
		AgentID    string `json:"agent_id"`
		Credential string `json:"credential"`
	}
	if err := json.Unmarshal(a.body, &enrolled); err != nil || a.status != 200 {
		t.Fatalf("enrol: %d %s", a.status, a.body)
	}
	rep, _ := json.Marshal(validReport(enrolled.AgentID))
	if a := c.http("POST", "/api/v1/reports", rep, map[string]string{"Authorization": "Bearer " + enrolled.Credential}); a.status != 202 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}

	// Syslog is up: the findings arrive as RFC 5424 lines.
	select {
	case l := <-lines:
		if !strings.HasPrefix(l, "<1") || !strings.Contains(l, ` egovnet-collector `) || !strings.Contains(l, `event="violation.opened"`) ||
			!strings.Contains(l, `department="CZJ"`) {
			t.Fatalf("syslog line %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no syslog line within 30 s:\n%s", c.logs)
	}

	// The webhook was down: after a restart the queued events still arrive.
	c.stop()
	up.Store(true)
	c.start()
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queued webhook never delivered after restart:\n%s", c.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	first := got[0]
	mu.Unlock()
	if first.Name != notify.EventOpened || first.Department != "CZJ" || first.Violation == nil || len(first.Violation.Citations) == 0 {
		t.Fatalf("webhook event %+v", first)
	}

	if a := c.http("GET", "/metrics", nil, nil); a.status != 401 {
		t.Fatalf("metrics without the token: %d", a.status)
	}
	m := c.http("GET", "/metrics", nil, map[string]string{"Authorization": "Bearer scrape-me"})
	for _, want := range []string{
		`egovnet_violations_open{rule="local-server"} 1`,
		`egovnet_agents{status="ok"} 1`,
		`egovnet_outbox_depth{outbox="notify"}`,
		`egovnet_reports_stored 1`,
	} {
		if m.status != 200 || !strings.Contains(string(m.body), want) {
			t.Errorf("/metrics lacks %q (status %d)", want, m.status)
		}
	}
	if strings.Contains(c.logs.String(), "hook-secret") {
		t.Error("the webhook secret appears in the collector's log")
	}
}
