package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/egovnet/egovnet/collector/web/browser"
	"github.com/egovnet/egovnet/internal/testenv"
)

// TestWebUIAgainstRealCollector logs in through the page served by the real
// binary and checks that what the API holds is what a person sees.
func TestWebUIAgainstRealCollector(t *testing.T) {
	bins := testenv.BuildBinaries(t, "egovnet-collector")
	c := newCollector(t, filepath.Join(bins, "egovnet-collector"), false)
	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "CZJ"))
	c.start()

	body, _ := json.Marshal(map[string]string{"token": token, "hostname": "probe-czj", "agent_version": "e2e"})
	a := c.http("POST", "/api/v1/agents/enroll", body, nil)
	if a.status != 200 {
		t.Fatalf("enrol: %d %s", a.status, a.body)
	}
	var enrolled struct {
		AgentID    string `json:"agent_id"`
		Credential string `json:"credential"`
	}
	if err := json.Unmarshal(a.body, &enrolled); err != nil {
		t.Fatal(err)
	}
	rep := validReport(enrolled.AgentID)
	raw, _ := json.Marshal(rep)
	if a := c.http("POST", "/api/v1/reports", raw, map[string]string{"Authorization": "Bearer " + enrolled.Credential}); a.status != 202 {
		t.Fatalf("upload: %d %s", a.status, a.body)
	}
	// What the API says is open, to compare with the page.
	v := c.http("GET", "/api/v1/violations?department=CZJ", nil, c.admin())
	var vs []map[string]any
	if err := json.Unmarshal(v.body, &vs); err != nil {
		t.Fatalf("violations: %d %s", v.status, v.body)
	}

	// The processors after rules ran too: progress has the department's
	// figures and the auditors' exports render.
	pr := c.http("GET", "/api/v1/progress?department=CZJ", nil, c.admin())
	var prog struct {
		Series []map[string]any `json:"series"`
	}
	if err := json.Unmarshal(pr.body, &prog); err != nil || pr.status != 200 || len(prog.Series) == 0 {
		t.Fatalf("progress after an upload: %d %s", pr.status, pr.body)
	}
	for _, f := range []struct{ format, magic string }{{"xlsx", "PK"}, {"pdf", "%PDF"}, {"csv", "\ufeff"}} {
		ex := c.http("GET", "/api/v1/exports/violations?department=CZJ&format="+f.format, nil, c.admin())
		if ex.status != 200 || !strings.HasPrefix(string(ex.body), f.magic) {
			t.Errorf("export violations as %s: %d, starts %q", f.format, ex.status, string(ex.body[:min(len(ex.body), 8)]))
		}
	}

	ctx := browser.New(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var overview, inventory, violations string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/"),
		chromedp.WaitVisible("#login-form", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=name]`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, adminPassword, chromedp.ByQuery),
		chromedp.Click(`#login-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#view table`, chromedp.ByQuery),
		chromedp.Text(`#view`, &overview, chromedp.ByQuery),
		chromedp.Navigate(c.url+"/#endpoints"),
		chromedp.WaitVisible(`#view table td`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond), // the hash route re-renders once the department list is in
		chromedp.Text(`#view`, &inventory, chromedp.ByQuery),
		chromedp.Navigate(c.url+"/#violations"),
		chromedp.WaitVisible(`#view h2`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Text(`#view`, &violations, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("drive chromium: %v\ncollector log:\n%s", err, c.logs)
	}
	if dir := os.Getenv("EGOVNET_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "collector-violations.png"), shot, 0o644)
	}
	for _, want := range []string{"各部门整合情况", "区财政局", "全区合计"} {
		if !strings.Contains(overview, want) {
			t.Errorf("overview lacks %q:\n%s", want, overview)
		}
	}
	for _, want := range []string{"10.1.0.10", "00:11:22:33:44:55", "财政业务系统", "服务器"} {
		if !strings.Contains(inventory, want) {
			t.Errorf("inventory lacks %q:\n%s", want, inventory)
		}
	}
	if !strings.Contains(violations, "违规项") || !strings.Contains(violations, "共") {
		t.Errorf("violations view has no heading:\n%s", violations)
	}
	for _, x := range vs {
		if subj, _ := x["subject"].(string); subj != "" && !strings.Contains(violations, subj) {
			t.Errorf("violation %v of the API not on the page", subj)
		}
	}
}
