package e2e

import (
	"context"
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
	const community = "czj-Secret-77"
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
		chromedp.SendKeys(`form.agent-config input.secret`, community, chromedp.ByQuery),
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
	if !strings.Contains(text, "已设置") || strings.Contains(html, community) {
		t.Errorf("after reload the community must show as set and never in the page: set=%v leaked=%v", strings.Contains(text, "已设置"), strings.Contains(html, community))
	}
	a := c.http("GET", "/api/v1/departments/CZJ/agent-config", nil, c.admin())
	if a.status != 200 || strings.Contains(string(a.body), community) || !strings.Contains(string(a.body), "10.1.0.0/24") || !strings.Contains(string(a.body), `"2h"`) {
		t.Errorf("API after the page saved: %d %s", a.status, a.body)
	}
}
