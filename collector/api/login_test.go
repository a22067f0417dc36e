package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestLoginCSRF is issue #10 item 6: a login may not come from a form on
// another site (text/plain) or carry a foreign Origin.
func TestLoginCSRF(t *testing.T) {
	f := newFixture(t, storetest.NewSQLite(t))
	body := []byte(`{"name":"czj","password":"` + password + `"}`)
	tests := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"cross-site form text/plain", map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"form urlencoded", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"no content type", nil, http.StatusUnsupportedMediaType},
		{"JSON from another origin", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"JSON from a null origin", map[string]string{"Content-Type": "application/json", "Origin": "null"}, http.StatusForbidden},
		{"JSON from this origin", map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": f.ts.URL}, http.StatusOK},
		{"JSON without Origin (scripts)", map[string]string{"Content-Type": "application/json"}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do("POST", "/api/v1/login", body, tc.hdr)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if got := r.header.Get("Set-Cookie") != ""; got != (tc.status == http.StatusOK) {
				t.Fatalf("session cookie set = %v on status %d", got, r.status)
			}
		})
	}
}

// TestHSTS: under TLS every answer tells the browser to stay on HTTPS;
// plain HTTP (loopback) does not send it.
func TestHSTS(t *testing.T) {
	f := newFixture(t, storetest.NewSQLite(t))
	tls := httptest.NewTLSServer(f.srv)
	defer tls.Close()
	res, err := tls.Client().Get(tls.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if h := res.Header.Get("Strict-Transport-Security"); h != "max-age=31536000" {
		t.Fatalf("HSTS over TLS = %q", h)
	}
	r := f.do("GET", "/healthz", nil, nil)
	if h := r.header.Get("Strict-Transport-Security"); h != "" {
		t.Fatalf("HSTS over plain HTTP = %q", h)
	}
}
