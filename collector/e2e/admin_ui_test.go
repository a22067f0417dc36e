package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// manageUsers adds a department administrator through the users page,
// disables them, and checks the list and the API agree; a weak password is
// refused on the form with the policy's words.
func manageUsers(t *testing.T, ctx context.Context, c *collector, out string) {
	t.Helper()
	var refused, text string
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#users"),
		chromedp.Reload(),
		chromedp.WaitVisible(`button.add-user`, chromedp.ByQuery),
		chromedp.Click(`button.add-user`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal input[name=name]`, chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name=name]`, "gaj-admin", chromedp.ByQuery),
		chromedp.SetValue(`.modal select[name=role]`, "dept-admin", chromedp.ByQuery),
		chromedp.SetValue(`.modal select[name=department]`, "GAJ", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name=password]`, "weakpass", chromedp.ByQuery),
		chromedp.Click(`.modal button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal p.error:not(:empty)`, chromedp.ByQuery),
		chromedp.Text(`.modal p.error`, &refused, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("add a user with a weak password: %v", err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-users-weak-password.png"), png, 0o644)
	if !strings.Contains(refused, "password") {
		t.Errorf("weak password refusal says %q", refused)
	}
	err = chromedp.Run(ctx,
		chromedp.Evaluate(`document.querySelector(".modal input[name=password]").value = "Gaj#2026-admin"`, nil),
		chromedp.Click(`.modal button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal .result p.ok`, chromedp.ByQuery),
		chromedp.Click(`.modal .dialog-buttons button`, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("add a user: %v", err)
	}
	// Disable the new user from its row.
	err = chromedp.Run(ctx,
		chromedp.Click(`//tr[td[1][text()="gaj-admin"]]//button[contains(@class,"disable")]`, chromedp.BySearch),
		chromedp.WaitVisible(`.modal button.primary`, chromedp.ByQuery),
		chromedp.Click(`.modal button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal .result p.ok`, chromedp.ByQuery),
		chromedp.Click(`.modal .dialog-buttons button`, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Text(`#view`, &text, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("disable a user: %v", err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-users.png"), png, 0o644)
	for _, w := range []string{"gaj-admin", "部门管理员", "GAJ 区公安分局", "已停用", "（当前登录账号）"} {
		if !strings.Contains(text, w) {
			t.Errorf("users page lacks %q:\n%s", w, text)
		}
	}
	a := c.http("GET", "/api/v1/users?q=gaj-admin", nil, c.admin())
	if a.status != 200 || !strings.Contains(string(a.body), `"disabled":true`) || !strings.Contains(string(a.body), `"department":"GAJ"`) {
		t.Errorf("API after the page acted: %d %s", a.status, a.body)
	}
}

// editAgentConfig sets CZJ's scope and an SNMP community on the agent
// configuration page; the page and the API then show the community only
// as set, never its value.
func editAgentConfig(t *testing.T, ctx context.Context, c *collector, out string) {
	t.Helper()
	const community, v3auth, v3priv = "czj-Secret-77", "v3-Auth-pass-1", "v3-Priv-pass-2"
	var msg, text, html string
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#agentconfig/CZJ"),
		chromedp.Reload(),
		chromedp.WaitVisible(`form.agent-config button.save`, chromedp.ByQuery),
		chromedp.SetValue(`form.agent-config textarea[name=targets]`, "10.1.0.0/24", chromedp.ByQuery),
		chromedp.SetValue(`form.agent-config input[name=ports]`, "22, 80, 443", chromedp.ByQuery),
		chromedp.SetValue(`form.agent-config input[name=interval]`, "2h", chromedp.ByQuery),
		chromedp.Click(`form.agent-config button.add-secret`, chromedp.ByQuery),
		chromedp.SendKeys(`form.agent-config .secrets input.secret`, community, chromedp.ByQuery),
		chromedp.Click(`form.agent-config button.add-v3`, chromedp.ByQuery),
		chromedp.SendKeys(`form.agent-config .v3 input[name=v3user]`, "nms", chromedp.ByQuery),
		chromedp.SetValue(`form.agent-config .v3 select[name=auth_proto]`, "SHA", chromedp.ByQuery),
		chromedp.SendKeys(`form.agent-config .v3 input[name=auth_pass]`, v3auth, chromedp.ByQuery),
		chromedp.SetValue(`form.agent-config .v3 select[name=priv_proto]`, "AES", chromedp.ByQuery),
		chromedp.SendKeys(`form.agent-config .v3 input[name=priv_pass]`, v3priv, chromedp.ByQuery),
		chromedp.Click(`form.agent-config button.save`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.agent-config p.result.ok`, chromedp.ByQuery),
		chromedp.Text(`form.agent-config p.result`, &msg, chromedp.ByQuery),
		chromedp.Reload(),
		chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Text(`#view`, &text, chromedp.ByQuery),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("edit agent config: %v", err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-agent-config.png"), png, 0o644)
	if !strings.Contains(msg, "已保存") {
		t.Errorf("save message %q", msg)
	}
	for _, secret := range []string{community, v3auth, v3priv} {
		if strings.Contains(html, secret) {
			t.Errorf("after reload the page shows the secret %q", secret)
		}
	}
	if !strings.Contains(text, "已设置") || !strings.Contains(html, `value="nms"`) {
		t.Errorf("after reload the community and the v3 user must show as set")
	}
	a := c.http("GET", "/api/v1/departments/CZJ/agent-config", nil, c.admin())
	body := string(a.body)
	if a.status != 200 || !strings.Contains(body, "10.1.0.0/24") || !strings.Contains(body, `"2h"`) || !strings.Contains(body, `"user":"nms"`) || !strings.Contains(body, `"priv_proto":"AES"`) {
		t.Errorf("API after the page saved: %d %s", a.status, a.body)
	}
	for _, secret := range []string{community, v3auth, v3priv} {
		if strings.Contains(body, secret) {
			t.Errorf("the API shows the secret %q", secret)
		}
	}
	// Saving again without typing keeps the stored secrets (the page sends
	// the placeholders back): the agent's config still carries them.
	err = chromedp.Run(ctx,
		chromedp.Click(`form.agent-config button.save`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.agent-config p.result.ok`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("save again: %v", err)
	}
	a = c.http("GET", "/api/v1/departments/CZJ/agent-config", nil, c.admin())
	if !strings.Contains(string(a.body), `"communities":["\u003csecret:0\u003e"]`) && !strings.Contains(string(a.body), `"communities":["<secret:0>"]`) {
		t.Errorf("second save lost the community: %s", a.body)
	}
	if !strings.Contains(string(a.body), `"auth_pass":"\u003csecret\u003e"`) && !strings.Contains(string(a.body), `"auth_pass":"<secret>"`) {
		t.Errorf("second save lost the v3 passphrase: %s", a.body)
	}
}

// removeCommunity clears the first of two stored communities on GAJ's
// agent configuration page: the agent then gets the second one, not the
// removed one (placeholders carry the stored index, so removing a row does
// not shift the others).
func removeCommunity(t *testing.T, ctx context.Context, c *collector, agent seededAgent, out string) {
	t.Helper()
	if a := c.http("PUT", "/api/v1/departments/GAJ/agent-config", []byte(`{"snmp":{"communities":["firstOLD","secondKEEP"]}}`), c.admin()); a.status != 200 {
		t.Fatalf("seed GAJ's communities: %d %s", a.status, a.body)
	}
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#agentconfig/GAJ"),
		chromedp.Reload(),
		chromedp.WaitVisible(`form.agent-config .secrets .secret-row button.clear`, chromedp.ByQuery),
		chromedp.Click(`form.agent-config .secrets .secret-row button.clear`, chromedp.ByQuery),
		chromedp.Click(`form.agent-config button.save`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.agent-config p.result.ok`, chromedp.ByQuery),
		// a second save from the same page keeps what the first one kept
		chromedp.Click(`form.agent-config button.save`, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.WaitVisible(`form.agent-config p.result.ok`, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("remove the first community: %v", err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-agent-config-remove.png"), png, 0o644)
	a := c.http("GET", "/api/v1/agent/config?profile=network", nil, map[string]string{"Authorization": "Bearer " + agent.Credential})
	if a.status != 200 || !strings.Contains(string(a.body), `"communities":["secondKEEP"]`) {
		t.Errorf("after removing the first community the agent gets: %d %s", a.status, a.body)
	}
}

// deptAdminAgentConfig: a department administrator reads its own
// department's agent configuration (secrets only as "set"), may not read
// another's, and may not change it.
func deptAdminAgentConfig(t *testing.T, c *collector) {
	t.Helper()
	czj := map[string]string{}
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth("czj", adminPassword)
	czj["Authorization"] = req.Header.Get("Authorization")
	tests := []struct {
		name, method, path string
		body               string
		want               int
	}{
		{"own department", "GET", "/api/v1/departments/CZJ/agent-config", "", 200},
		{"another department", "GET", "/api/v1/departments/GAJ/agent-config", "", 403},
		{"no change", "PUT", "/api/v1/departments/CZJ/agent-config", `{"scope":{"targets":["10.1.0.0/25"]}}`, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := c.http(tc.method, tc.path, []byte(tc.body), czj)
			if a.status != tc.want {
				t.Fatalf("%s %s as czj: %d %s, want %d", tc.method, tc.path, a.status, a.body, tc.want)
			}
			if a.status == 200 && (strings.Contains(string(a.body), "czj-Secret-77") || !strings.Contains(string(a.body), "10.1.0.0/24")) {
				t.Errorf("czj reads %s", a.body)
			}
		})
	}
}

// scanNow asks GAJ's agent for a scan from the agents page; its next
// config poll carries scan_now.
func scanNow(t *testing.T, ctx context.Context, c *collector, agent seededAgent, out string) {
	t.Helper()
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#agents"),
		chromedp.Reload(),
		chromedp.WaitVisible(`button.act.scan`, chromedp.ByQuery),
		chromedp.Click(`button.act.scan`, chromedp.ByQuery),
		chromedp.WaitVisible(`.scan-queued`, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("scan now from the page: %v", err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-agents-scan-now.png"), png, 0o644)
	a := c.http("GET", "/api/v1/agent/config", nil, map[string]string{"Authorization": "Bearer " + agent.Credential})
	if a.status != 200 || !strings.Contains(string(a.body), `"scan_now":true`) {
		t.Errorf("the agent's next poll: %d %s", a.status, a.body)
	}
}
