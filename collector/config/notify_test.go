package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNotifyConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		f := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Run("yaml list of webhooks", func(t *testing.T) {
		c, err := Load(write(`notify:
  webhooks:
    - url: http://127.0.0.1:9/hook
      secret: s3cret
      events: [violation.opened]
      min_severity: high
  syslog: {address: "udp://127.0.0.1:5514"}
`))
		if err != nil {
			t.Fatal(err)
		}
		w := c.Notify.Webhooks
		if len(w) != 1 || w[0].URL != "http://127.0.0.1:9/hook" || w[0].Secret.Reveal() != "s3cret" || w[0].MinSeverity != "high" ||
			len(w[0].Events) != 1 || c.Notify.Syslog.Address != "udp://127.0.0.1:5514" || c.Notify.Syslog.Facility != "local0" {
			t.Fatalf("decoded %+v", c.Notify)
		}
	})
	t.Run("environment JSON array", func(t *testing.T) {
		t.Setenv("EGOVNET_NOTIFY_WEBHOOKS", `[{"url":"https://hooks.example.gov.cn/x","secret":"k","departments":["CZJ"]}]`)
		c, err := Load("")
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Notify.Webhooks; len(w) != 1 || w[0].URL != "https://hooks.example.gov.cn/x" || w[0].Departments[0] != "CZJ" {
			t.Fatalf("decoded %+v", c.Notify.Webhooks)
		}
	})
	t.Run("every problem named, secret not echoed", func(t *testing.T) {
		_, err := Load(write(`notify:
  webhooks:
    - url: ftp://x
      events: [violation.exploded]
    - {url: "http://127.0.0.1:1/h", secret: topsecretvalue, min_severity: urgent}
  syslog: {address: "udp://127.0.0.1", facility: local9}
  smtp: {address: "127.0.0.1:25"}
`))
		if err == nil {
			t.Fatal("bad notify config accepted")
		}
		msg := err.Error()
		for _, want := range []string{
			"notify.webhooks[0].url", "notify.webhooks[0].secret: required", `notify.webhooks[0].events: "violation.exploded"`,
			"notify.webhooks[1].min_severity", "notify.syslog.address", "notify.smtp.from", "notify.smtp.to",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("error lacks %q:\n%s", want, msg)
			}
		}
		if strings.Contains(msg, "topsecretvalue") {
			t.Errorf("secret echoed in error:\n%s", msg)
		}
	})
	t.Run("unknown key inside a webhook", func(t *testing.T) {
		_, err := Load(write("notify:\n  webhooks:\n    - {url: \"http://127.0.0.1:1/h\", secret: s, sekret: typo}\n"))
		if err == nil || !strings.Contains(err.Error(), "sekret") {
			t.Fatalf("typo inside a webhook not named: %v", err)
		}
	})
}
