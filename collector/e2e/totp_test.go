package e2e

import (
	"encoding/base32"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/mfa"
	"github.com/egovnet/egovnet/internal/testenv"
)

// TestSecondFactor runs the collector with its default auth settings: the
// administrator roles need a TOTP code at login and cannot use HTTP Basic;
// other roles are unaffected.
func TestSecondFactor(t *testing.T) {
	bins := testenv.BuildBinaries(t, "egovnet-collector")
	c := newCollector(t, filepath.Join(bins, "egovnet-collector"), false)
	b, err := os.ReadFile(c.config)
	if err != nil {
		t.Fatal(err)
	}
	// Back to the shipped default: auth.totp.required_roles [sysadmin, secadmin, auditor].
	if err := os.WriteFile(c.config, []byte(strings.ReplaceAll(string(b), "auth: {totp: {required_roles: []}}\n", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	c.mustRun("View!pass-2026\nView!pass-2026\n", "user", "add", "--name", "watcher", "--role", "viewer")
	c.start()
	login := func(otp string) answer {
		body, _ := json.Marshal(map[string]string{"name": "admin", "password": adminPassword, "otp": otp})
		return c.http("POST", "/api/v1/login", body, map[string]string{"Content-Type": "application/json"})
	}
	if a := login(""); a.status != 401 {
		t.Fatalf("sysadmin without a second factor enrolled: %d %s", a.status, a.body)
	}
	if a := c.http("GET", "/api/v1/departments", nil, c.admin()); a.status != 401 || strings.Contains(string(a.body), "Basic is refused") {
		// The generic refusal: a distinct answer would confirm the password.
		t.Fatalf("sysadmin over HTTP Basic: %d %s", a.status, a.body)
	}
	if a := c.http("GET", "/api/v1/departments", nil, map[string]string{"Authorization": basicAuth("watcher", "View!pass-2026")}); a.status != 200 {
		t.Fatalf("viewer over Basic: %d %s", a.status, a.body)
	}

	out := strings.TrimSpace(c.mustRun("", "user", "totp", "--name", "admin"))
	u, err := url.Parse(out)
	if err != nil || u.Scheme != "otpauth" {
		t.Fatalf("user totp printed %q", out)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if a := login(""); a.status != 401 {
		t.Fatalf("no code: %d", a.status)
	}
	if a := login("000000"); a.status != 401 {
		t.Fatalf("wrong code: %d", a.status)
	}
	code := mfa.Code(secret, mfa.Counter(time.Now()))
	a := login(code)
	if a.status != 200 || !strings.Contains(string(a.body), `"role":"sysadmin"`) {
		t.Fatalf("right code: %d %s", a.status, a.body)
	}
	if a := login(code); a.status != 401 {
		t.Fatalf("replayed code: %d", a.status)
	}
	// The audit log says why each refusal happened.
	logs := c.mustRun("", "auditlog", "list", "--format", "json")
	for _, want := range []string{"second factor not enrolled", "one-time code missing", "one-time code wrong", "HTTP Basic is refused"} {
		if !strings.Contains(logs, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}
