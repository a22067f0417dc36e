package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/collector/web"
	"github.com/egovnet/egovnet/collector/web/browser"
)

func TestHandlerServesAssetsWithCSP(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	tests := []struct {
		name, path string
		status     int
		contains   string
	}{
		{"index", "/", 200, "电子政务网络整合核查"},
		{"script", "/ui/app.js", 200, "textContent"},
		{"strings", "/ui/i18n.js", 200, "业务专网"},
		{"unknown", "/nope", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
				t.Fatalf("missing CSP: %q", resp.Header.Get("Content-Security-Policy"))
			}
			buf := make([]byte, 1<<20)
			n, _ := resp.Body.Read(buf)
			for n > 0 && tc.contains != "" && !strings.Contains(string(buf[:n]), tc.contains) {
				m, err := resp.Body.Read(buf[n:])
				n += m
				if err != nil {
					break
				}
			}
			if tc.contains != "" && !strings.Contains(string(buf[:n]), tc.contains) {
				t.Fatalf("body lacks %q", tc.contains)
			}
		})
	}
}

// fakeAPI answers the routes the page reads, with a hostile subject to prove
// that server data is rendered as text. The real collector is driven by the
// end-to-end UI test in cmd/egovnet-collector.
func fakeAPI(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	authed := false
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.Handle("/", web.Handler())
	mux.HandleFunc("POST /api/v1/login", func(w http.ResponseWriter, r *http.Request) {
		var b struct{ Name, Password string }
		_ = json.NewDecoder(r.Body).Decode(&b)
		if b.Name != "auditor1" || b.Password != "Egov@2026-Secure" {
			w.WriteHeader(401)
			js(w, map[string]string{"error": "用户名或密码错误"})
			return
		}
		authed = true
		js(w, map[string]string{"name": b.Name})
	})
	guard := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !authed {
				w.WriteHeader(401)
				js(w, map[string]string{"error": "unauthorized"})
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/v1/me", guard(func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]string{"name": "auditor1", "role": "auditor"})
	}))
	mux.HandleFunc("GET /api/v1/progress", guard(func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]any{"series": []any{}, "latest": []map[string]any{{"department": "CZJ", "date": "2026-11-21", "open_violations": 1, "internet_egress": 1}}})
	}))
	terms := terms.Handler() // the real table the collector serves
	mux.HandleFunc("GET /api/v1/terms", guard(func(w http.ResponseWriter, r *http.Request) { terms.ServeHTTP(w, r) }))
	mux.HandleFunc("GET /api/v1/agents", guard(func(w http.ResponseWriter, r *http.Request) { js(w, []any{}) }))
	mux.HandleFunc("GET /api/v1/departments", guard(func(w http.ResponseWriter, r *http.Request) {
		js(w, []map[string]string{{"code": "CZJ", "name": "区财政局"}, {"code": "GAJ", "name": "区公安分局"}})
	}))
	mux.HandleFunc("GET /api/v1/violations", guard(func(w http.ResponseWriter, r *http.Request) {
		js(w, []map[string]any{{
			"id": "v1", "rule": "internet-egress", "department": "CZJ", "subject": `<img src=x onerror="document.title='pwned'">`,
			"severity": "critical", "status": "open",
			"citations":  []map[string]string{{"pack": "yangpu-2021", "document": "杨府办发〔2021〕3号", "article": "第十九条", "text": "互联网接口应当集中"}},
			"evidence":   []map[string]any{{"agent": "a1", "method": "route", "observed_at": "2026-11-20T10:00:00Z", "detail": map[string]any{"next_hop": "203.0.113.1"}}},
			"first_seen": "2026-11-20T10:00:00Z", "last_seen": "2026-11-21T10:00:00Z",
		}})
	}))
	return mux
}

func TestUIInChromium(t *testing.T) {
	srv := httptest.NewServer(fakeAPI(t))
	defer srv.Close()
	ctx := browser.New(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var loginVisible bool
	var overview, title, violationsText string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#login-form", chromedp.ByQuery),
		chromedp.Evaluate(`!document.getElementById("login").hidden`, &loginVisible),
		chromedp.SendKeys(`input[name=name]`, "auditor1", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, "wrong-password", chromedp.ByQuery),
		chromedp.Click(`#login-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#login-error:not(:empty)`, chromedp.ByQuery),
		chromedp.SetValue(`input[name=password]`, "Egov@2026-Secure", chromedp.ByQuery),
		chromedp.Click(`#login-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#view table`, chromedp.ByQuery),
		chromedp.Text(`#view`, &overview, chromedp.ByQuery),
		chromedp.Navigate(srv.URL+"/#violations"),
		chromedp.WaitVisible(`.sev-critical`, chromedp.ByQuery),
		chromedp.Click(`details.cite summary`, chromedp.ByQuery), // the article's text opens under its name
		chromedp.Text(`#view`, &violationsText, chromedp.ByQuery),
		chromedp.Title(&title),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("drive chromium: %v", err)
	}
	if !loginVisible {
		t.Error("login form not shown to an anonymous visitor")
	}
	for _, want := range []string{"各部门整合情况", "区财政局", "全区合计"} {
		if !strings.Contains(overview, want) {
			t.Errorf("overview lacks %q: %q", want, overview)
		}
	}
	for _, want := range []string{"自建互联网出口", "杨府办发〔2021〕3号", "互联网接口应当集中", "严重", `<img src=x onerror=`} {
		if !strings.Contains(violationsText, want) {
			t.Errorf("violations view lacks %q", want)
		}
	}
	if strings.Contains(title, "pwned") {
		t.Fatal("server data was executed as HTML")
	}
	if len(shot) < 5000 {
		t.Fatalf("screenshot suspiciously small: %d bytes", len(shot))
	}
	if dir := os.Getenv("EGOVNET_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "violations.png"), shot, 0o644)
	}

	// English is one click away and sticks.
	var en string
	err = chromedp.Run(ctx, chromedp.Click(`#lang`, chromedp.ByQuery), chromedp.WaitVisible(`.sev-critical`, chromedp.ByQuery),
		chromedp.Text(`#view`, &en, chromedp.ByQuery))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(en, "Own internet exit") || !strings.Contains(en, "critical") {
		t.Errorf("English view lacks translated labels: %q", en)
	}
}
