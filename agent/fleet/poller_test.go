package fleet

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/uplink"
)

// TestPollRefusalSaysWhy: a collector that refuses the agent (401 or 403)
// is ErrRefused carrying the collector's reason, so the operator reading
// the agent's log sees a revoked credential apart from a department
// dropped from the plan; a refusal without a readable reason still is
// ErrRefused.
func TestPollRefusalSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"revoked credential", 401, `{"error":"missing or invalid agent credential"}`, "401 missing or invalid agent credential"},
		{"department not in the plan", 403, `{"error":"the agent's department is no longer in the plan","detail":{"department":"GAJ"}}`,
			"403 the agent's department is no longer in the plan"},
		{"no reason given", 403, `<html>forbidden</html>`, "status 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer ts.Close()
			c, err := uplink.New(ts.URL, uplink.Options{Retries: -1, Timeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			p := &Poller{Client: c, Credential: "cred"}
			_, err = p.Poll(context.Background())
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Poll = %v, want ErrRefused with %q", err, tc.want)
			}
		})
	}
}
