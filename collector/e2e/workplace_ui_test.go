package e2e

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/egovnet/egovnet/collector/web/browser"
	"github.com/egovnet/egovnet/internal/testenv"
)

// artifacts is where screenshots go: $EGOVNET_ARTIFACTS/ui when set (kept
// for people to look at), else the test's temporary directory.
func artifacts(t *testing.T) string {
	dir := t.TempDir()
	if a := os.Getenv("EGOVNET_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "ui")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seededCollector is a served collector holding a week of back-dated scans
// of CZJ (with a rogue exit) and GAJ, one user per role and an enrolled
// agent of GAJ.
// seededAgent is the agent seededCollector enrols for GAJ.
type seededAgent struct {
	ID         string `json:"agent_id"`
	Credential string `json:"credential"`
}

func seededCollector(t *testing.T) (*collector, seededAgent) {
	bins := testenv.BuildBinaries(t, "egovnet-collector")
	c := newCollector(t, filepath.Join(bins, "egovnet-collector"), false)
	for _, u := range [][]string{{"admin", "sysadmin"}, {"sec", "secadmin"}, {"aud", "auditor"}, {"czj", "dept-admin", "CZJ"}, {"view", "viewer"}} {
		args := []string{"user", "add", "--name", u[0], "--role", u[1]}
		if len(u) > 2 {
			args = append(args, "--department", u[2])
		}
		c.mustRun(adminPassword+"\n"+adminPassword+"\n", args...)
	}
	token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "GAJ"))
	depts := []seedDept{{Code: "CZJ", Index: 1, Base: netip.MustParseAddr("10.1.0.0"), Rogue: true}, {Code: "GAJ", Index: 2, Base: netip.MustParseAddr("10.2.0.0")}}
	end := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	for _, f := range writeReports(t, t.TempDir(), depts, 7, 12, 2, end) {
		dept := "CZJ"
		if strings.Contains(f, "GAJ") {
			dept = "GAJ"
		}
		c.mustRun("", "import", "--report", f, "--department", dept)
	}
	c.start()
	// One enrolled agent (GAJ's) for the agents pages and "scan now".
	body, _ := json.Marshal(map[string]string{"token": token, "hostname": "probe-gaj", "agent_version": "e2e"})
	var agent seededAgent
	if a := c.http("POST", "/api/v1/agents/enroll", body, nil); a.status != 200 || json.Unmarshal(a.body, &agent) != nil || agent.Credential == "" {
		t.Fatalf("enrol: %d %s", a.status, a.body)
	}
	return c, agent
}

// page is one screen of the workplace: its hash and what must be on it.
type page struct {
	name, hash string
	want       []string
}

func TestWorkplaceInChromium(t *testing.T) {
	c, gaj := seededCollector(t)
	out := artifacts(t)
	// Ids the pages link to, read as the API gives them.
	var devs []struct{ ID, Name string }
	if a := c.http("GET", "/api/v1/devices?department=CZJ&q=r1-CZJ", nil, c.admin()); a.status != 200 || json.Unmarshal(a.body, &devs) != nil || len(devs) != 1 {
		t.Fatalf("devices: %d %s", a.status, a.body)
	}
	router := "#device/" + devs[0].ID
	common := []page{
		{"violations", "#violations", []string{"违规项", "自建机房/本地服务器", "未授权软件"}},
		{"devices", "#devices", []string{"r1-CZJ", "Huawei", "S5130-28S-EI"}},
		{"device", router, []string{"GE0/0/3", "ISP 宽带", "172.20.0.0/16", "AR2220", "首次发现"}},
		{"endpoints", "#endpoints", []string{"10.1.0.10", "sw1-CZJ", "CZJ-pc004"}},
		{"topology", "#topology/CZJ", []string{"网络拓扑", "违规出口", "203.0.113.1"}},
		{"software", "#software", []string{"许可台账", "软件安装"}},
		{"software-devices", "#software?tab=devices", []string{"设备明细", "使用人", "系统激活", "已激活", "probe-CZJ", "Microsoft Windows 10 专业版", "ThinkCentre M720t", "PC0CZJ001"}},
		{"agents", "#agents", []string{"探针"}},
		{"reports", "#reports", []string{"扫描报告", "seed-CZJ"}},
		{"dept", "#dept/CZJ", []string{"部门：CZJ 区财政局", "整改历史", "r1-CZJ"}},
	}
	roles := []struct {
		user  string
		pages []page
	}{
		{"admin", append([]page{{"dashboard", "#dashboard", []string{"已整改完毕的部门", "探针覆盖", "区公安分局"}}, {"users", "#users", []string{"系统管理员", "部门管理员", "新增用户"}}, {"agentconfig", "#agentconfig/CZJ", []string{"探针集中配置", "扫描范围"}},
			{"topology-gaj", "#topology/GAJ", []string{"公安网"}}}, common...)},
		{"sec", append([]page{{"dashboard", "#dashboard", []string{"未整改违规", "国产化率"}}, {"audit", "#audit", []string{"审计日志"}}}, common...)},
		{"aud", append([]page{{"dashboard", "#dashboard", []string{"软件正版率"}}, {"audit", "#audit", []string{"审计日志"}},
			// secadmin acknowledged the rogue exit before: it is listed as acknowledged.
			{"violations-acknowledged", "#violations?status=acknowledged", []string{"203.0.113.1", "已确认"}}}, common...)},
		{"czj", []page{{"dashboard", "#dashboard", []string{"部门：CZJ 区财政局"}}, {"devices", "#devices", []string{"r1-CZJ"}}, {"device", router, []string{"GE0/0/3"}},
			{"topology", "#topology", []string{"违规出口"}}, {"endpoints", "#endpoints", []string{"10.1.0.10"}}, {"software", "#software", []string{"许可台账"}},
			{"software-devices", "#software?tab=devices", []string{"王CZJ", "PC0CZJ001"}},
			{"agentconfig", "#agentconfig/CZJ", []string{"只读：仅系统管理员可修改", "已设置 × 1"}}}},
		{"view", []page{{"dashboard", "#dashboard", []string{"上云率"}}, {"violations", "#violations", []string{"自建互联网出口"}}, {"topology", "#topology/GAJ", []string{"公安网"}}}},
	}
	for _, role := range roles {
		t.Run(role.user, func(t *testing.T) {
			ctx := browser.New(t)
			ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			defer cancel()
			var jsErrors []string
			chromedp.ListenTarget(ctx, func(ev any) {
				if e, ok := ev.(*runtime.EventExceptionThrown); ok {
					jsErrors = append(jsErrors, e.ExceptionDetails.Error())
				}
			})
			login(t, ctx, c, role.user)
			for _, p := range role.pages {
				text := visit(t, ctx, c, p, filepath.Join(out, role.user+"-"+p.name+".png"))
				for _, w := range p.want {
					if !strings.Contains(text, w) {
						t.Errorf("%s as %s lacks %q", p.hash, role.user, w)
					}
				}
				if role.user == "czj" && (strings.Contains(text, "GAJ-pc") || strings.Contains(text, "PC0GAJ")) {
					t.Errorf("%s: a CZJ administrator sees GAJ's endpoints", p.hash)
				}
			}
			if role.user == "czj" {
				deptAdminAgentConfig(t, c)
			}
			if role.user == "sec" {
				actOnViolation(t, ctx, c, out)
			}
			if role.user == "admin" {
				scanNow(t, ctx, c, gaj, out)
				manageUsers(t, ctx, c, out)
				editAgentConfig(t, ctx, c, out)
				removeCommunity(t, ctx, c, gaj, out)
				createLicence(t, ctx, c, out)
				english(t, ctx, c, out)
				ledgerDevicesEnglish(t, ctx, c, out)
			}
			if len(jsErrors) > 0 {
				t.Errorf("script errors: %v", jsErrors)
			}
		})
	}
}

func login(t *testing.T, ctx context.Context, c *collector, user string) {
	t.Helper()
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/"),
		chromedp.WaitVisible("#login-form", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=name]`, user, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, adminPassword, chromedp.ByQuery),
		chromedp.Click(`#login-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("log in as %s: %v\n%s", user, err, c.logs)
	}
}

// visit opens a page, waits until it has rendered (and its charts drawn),
// saves a full-page screenshot and returns the page's text.
func visit(t *testing.T, ctx context.Context, c *collector, p page, shot string) string {
	t.Helper()
	var text string
	var png []byte
	var canvases int
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/"+p.hash),
		chromedp.Evaluate(`document.body.removeAttribute("data-ready")`, nil),
		chromedp.Reload(),
		chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery),
		chromedp.Sleep(700*time.Millisecond), // charts lay out; lists load their first page
		chromedp.Text(`#view`, &text, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#view canvas").length`, &canvases),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("open %s: %v", p.hash, err)
	}
	// Charts and the map are canvases: a page that should draw one must have it.
	if (p.name == "dashboard" || p.name == "dept" || strings.HasPrefix(p.name, "topology")) && canvases == 0 {
		t.Errorf("%s drew no chart", p.hash)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "出错：") {
		t.Errorf("%s shows an error:\n%s", p.hash, text)
	}
	return text
}

// actOnViolation acknowledges the first open finding from the page and
// checks that the audit record of the change is shown.
func actOnViolation(t *testing.T, ctx context.Context, c *collector, out string) {
	var record string
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#violations"),
		chromedp.Reload(),
		chromedp.WaitVisible(`button.act.ack`, chromedp.ByQuery),
		chromedp.Click(`button.act.ack`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal textarea[name=note]`, chromedp.ByQuery),
		chromedp.SendKeys(`.modal textarea[name=note]`, "已通知财政局拆除", chromedp.ByQuery),
		chromedp.Click(`.modal button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal .audit-entry`, chromedp.ByQuery),
		chromedp.Text(`.modal`, &record, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("acknowledge from the page: %v", err)
	}
	_ = os.WriteFile(filepath.Join(out, "sec-violation-acknowledged.png"), png, 0o644)
	for _, w := range []string{"已记录", "sec", "已确认", "已通知财政局拆除"} {
		if !strings.Contains(record, w) {
			t.Errorf("audit record in the dialog lacks %q:\n%s", w, record)
		}
	}
	a := c.http("GET", "/api/v1/violations?status=acknowledged", nil, c.admin())
	if !strings.Contains(string(a.body), `"acknowledged"`) {
		t.Errorf("the API shows no acknowledged finding after the page acted: %s", a.body)
	}
}

func english(t *testing.T, ctx context.Context, c *collector, out string) {
	var text string
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#dashboard"),
		chromedp.Reload(),
		chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery),
		chromedp.Click(`#lang`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery),
		chromedp.Sleep(700*time.Millisecond),
		chromedp.Text(`body`, &text, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
		chromedp.Click(`#lang`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-dashboard-en.png"), png, 0o644)
	for _, w := range []string{"Departments clean", "Agent coverage", "Licence compliance", "Devices", "Topology", "Consolidation by department"} {
		if !strings.Contains(text, w) {
			t.Errorf("English dashboard lacks %q", w)
		}
	}
}

// createLicence files a licence through the ledger page's form.
func createLicence(t *testing.T, ctx context.Context, c *collector, out string) {
	var text string
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#software"),
		chromedp.Reload(),
		chromedp.WaitVisible(`button.new-licence`, chromedp.ByQuery),
		chromedp.Click(`button.new-licence`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal input[name=product]`, chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name=product]`, "WPS Office", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name=department]`, "CZJ", chromedp.ByQuery),
		chromedp.SetValue(`.modal input[name=seats]`, "20", chromedp.ByQuery),
		chromedp.SendKeys(`.modal input[name=contract_no]`, "CZJ-2026-007", chromedp.ByQuery),
		chromedp.Click(`.modal button.primary`, chromedp.ByQuery),
		chromedp.WaitVisible(`.modal .result p`, chromedp.ByQuery),
		chromedp.Click(`.modal .dialog-buttons button`, chromedp.ByQuery),
		chromedp.Sleep(700*time.Millisecond),
		chromedp.Text(`#view`, &text, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("create a licence from the page: %v", err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-licence-created.png"), png, 0o644)
	if !strings.Contains(text, "CZJ-2026-007") {
		t.Errorf("the new licence is not listed:\n%s", text)
	}
}

// ledgerDevicesEnglish opens the software page's devices tab in English:
// every header and word of the 明细表's device part has its English.
func ledgerDevicesEnglish(t *testing.T, ctx context.Context, c *collector, out string) {
	var text string
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.url+"/#software?tab=devices"),
		chromedp.Reload(),
		chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery),
		chromedp.Click(`#lang`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.WaitVisible(`body[data-ready]`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.ledger-devices`, chromedp.ByQuery),
		chromedp.Sleep(700*time.Millisecond),
		chromedp.Text(`#view`, &text, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
		chromedp.Click(`#lang`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(out, "admin-software-devices-en.png"), png, 0o644)
	for _, w := range []string{"Devices", "User", "Operating system", "OS edition", "OS activated", "activated", "Hardware vendor",
		"Serial number", "agent host", "ThinkCentre M720t"} {
		if !strings.Contains(text, w) {
			t.Errorf("English devices tab lacks %q:\n%s", w, text)
		}
	}
	if regexp.MustCompile(`\p{Han}`).MatchString(strings.NewReplacer("王CZJ", "", "王GAJ", "", "专业版", "").Replace(text)) {
		t.Errorf("English devices tab shows Chinese beyond the data:\n%s", text)
	}
}
