package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestUploadsPauseWhileJudgementLags (issue 16): while a department's
// judgement backlog is older than the bound, its uploads are answered 503
// with Retry-After (longer the further past the bound, up to a minute)
// and a body saying why, nothing of them is stored or audited, and a
// report too large is still refused for good (413, not "retry"); another
// department's uploads go on; once the lag falls back the same report is
// accepted.
func TestUploadsPauseWhileJudgementLags(t *testing.T) {
	var lag atomic.Int64 // CZJ's; every other department has none
	f := newFixture(t, storetest.NewSQLite(t), func(d *Deps) {
		d.JudgementLag = func(dept string) time.Duration {
			if dept != "CZJ" {
				return 0
			}
			return time.Duration(lag.Load())
		}
		d.MaxJudgementLag = 30 * time.Second
		d.LagRetryAfter = 2500 * time.Millisecond
	})
	ctx := context.Background()
	id, cred := f.enrol("CZJ")
	hdr := map[string]string{"Authorization": "Bearer " + cred}
	gid, gcred := f.enrol("GAJ")
	ghdr := map[string]string{"Authorization": "Bearer " + gcred}
	first, _ := json.Marshal(scanReport(id, "CZJ"))
	refused, _ := json.Marshal(scanReport(id, "CZJ"))
	entries := func() int {
		es, err := f.audit.List(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	for _, tc := range []struct {
		name       string
		lag        time.Duration
		body       []byte
		hdr        map[string]string
		want       int
		retryAfter string
	}{
		{name: "at the bound", lag: 30 * time.Second, body: first, hdr: hdr, want: http.StatusAccepted},
		{name: "just over the bound: about two rounds", lag: 31 * time.Second, body: refused, hdr: hdr, want: http.StatusServiceUnavailable, retryAfter: "3"},
		{name: "well over the bound: longer", lag: 41 * time.Second, body: refused, hdr: hdr, want: http.StatusServiceUnavailable, retryAfter: "11"},
		{name: "stuck: a minute at most", lag: time.Hour, body: refused, hdr: hdr, want: http.StatusServiceUnavailable, retryAfter: "60"},
		{name: "another department goes on", lag: time.Hour, body: mustJSON(t, scanReport(gid, "GAJ")), hdr: ghdr, want: http.StatusAccepted},
		{name: "too large while paused", lag: 41 * time.Second, body: make([]byte, 65<<10), hdr: hdr, want: http.StatusRequestEntityTooLarge},
		// stored now, not a duplicate: the refusals kept nothing of it
		{name: "caught up", lag: 0, body: refused, hdr: hdr, want: http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lag.Store(int64(tc.lag))
			before, audited := f.reports(), entries()
			r := f.do("POST", "/api/v1/reports", tc.body, tc.hdr)
			if r.status != tc.want {
				t.Fatalf("upload: %d %s, want %d", r.status, r.body, tc.want)
			}
			if got := r.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if tc.want != http.StatusServiceUnavailable {
				return
			}
			var e struct {
				Error  string `json:"error"`
				Detail struct {
					Department string  `json:"department"`
					Lag        float64 `json:"lag_seconds"`
					Max        float64 `json:"max_lag_seconds"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(r.body, &e); err != nil || e.Detail.Lag != tc.lag.Seconds() || e.Detail.Max != 30 || e.Detail.Department != "CZJ" || e.Error == "" {
				t.Errorf("refusal body %s (%v)", r.body, err)
			}
			if n := f.reports(); n != before {
				t.Errorf("a refused upload changed the stored reports: %d, then %d", before, n)
			}
			if n := entries(); n != audited {
				t.Errorf("a refused upload wrote %d audit entries", n-audited)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reports counts the stored reports.
func (f *fixture) reports() int {
	f.t.Helper()
	var n int
	if err := f.srv.d.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM reports`).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}
