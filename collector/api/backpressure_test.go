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

// TestUploadsPauseWhileJudgementLags (issue 16): while the judgement
// backlog is older than the bound, an upload is answered 503 with
// Retry-After and a body saying why, nothing of it is stored or audited,
// and a report too large is still refused for good (413, not "retry");
// once the lag falls back the same report is accepted.
func TestUploadsPauseWhileJudgementLags(t *testing.T) {
	var lag atomic.Int64
	f := newFixture(t, storetest.NewSQLite(t), func(d *Deps) {
		d.JudgementLag = func() time.Duration { return time.Duration(lag.Load()) }
		d.MaxJudgementLag = 30 * time.Second
		d.LagRetryAfter = 2500 * time.Millisecond
	})
	ctx := context.Background()
	id, cred := f.enrol("CZJ")
	hdr := map[string]string{"Authorization": "Bearer " + cred}
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
		want       int
		retryAfter string
	}{
		{name: "at the bound", lag: 30 * time.Second, body: first, want: http.StatusAccepted},
		{name: "over the bound", lag: 41 * time.Second, body: refused, want: http.StatusServiceUnavailable, retryAfter: "3"},
		{name: "too large while paused", lag: 41 * time.Second, body: make([]byte, 65<<10), want: http.StatusRequestEntityTooLarge},
		// stored now, not a duplicate: the refusal kept nothing of it
		{name: "caught up", lag: 0, body: refused, want: http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lag.Store(int64(tc.lag))
			before, audited := f.reports(), entries()
			r := f.do("POST", "/api/v1/reports", tc.body, hdr)
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
					Lag   float64 `json:"lag_seconds"`
					Max   float64 `json:"max_lag_seconds"`
					Retry int     `json:"retry_after_seconds"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(r.body, &e); err != nil || e.Detail.Lag != 41 || e.Detail.Max != 30 || e.Detail.Retry != 3 || e.Error == "" {
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

// reports counts the stored reports.
func (f *fixture) reports() int {
	f.t.Helper()
	var n int
	if err := f.srv.d.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM reports`).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}
