package uplink

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestDeferred: only the collector's own "ask me later" answers (503, 429
// with a Retry-After) are deferrals; an outage is not one.
func TestDeferred(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantOK     bool
		wantWait   time.Duration
	}{
		{"503 with Retry-After (department paused)", 503, "12", true, 12 * time.Second},
		{"503 without Retry-After is an outage (a proxy's)", 503, "", false, 0},
		{"429 with Retry-After", 429, "3", true, 3 * time.Second},
		{"Retry-After as a past date is no deferral", 503, past, false, 0},
		{"unreadable Retry-After is no deferral", 503, "soon", false, 0},
		{"429 without Retry-After is no deferral", 429, "", false, 0},
		{"500 is an outage", 500, "5", false, 0},
		{"502 is an outage", 502, "", false, 0},
		{"507 is an outage", 507, "60", false, 0},
		{"408 is not asked", 408, "", false, 0},
		{"403 is permanent", 403, "", false, 0},
		{"202 is no error", 202, "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"error":"status %d","detail":{"department":"CZJ","lag_seconds":90,"max_lag_seconds":60,"retry_after_seconds":12}}`, tc.status)
			}))
			defer srv.Close()
			c, err := New(srv.URL, Options{Retries: -1, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = c.SendReport(context.Background(), "cred", []byte(`{"report_id":"r1"}`))
			wait, ok := Deferred(fmt.Errorf("forward: %w", err)) // wrapped as callers do
			if ok != tc.wantOK || wait != tc.wantWait {
				t.Fatalf("Deferred(%v) = %v, %v; want %v, %v", err, wait, ok, tc.wantWait, tc.wantOK)
			}
		})
	}
}

// TestNotDeferredWhenUnreachable: a collector that does not answer is
// away, not asking to wait.
func TestNotDeferredWhenUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := New(url, Options{Retries: -1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = c.SendReport(context.Background(), "cred", []byte("{}"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("closed collector: %v", err)
	}
	if wait, ok := Deferred(err); ok {
		t.Fatalf("closed collector taken for a deferral (wait %v): %v", wait, err)
	}
	if _, ok := Deferred(nil); ok {
		t.Fatal("nil taken for a deferral")
	}
}
