package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestMountRules drives the real collector: imported reports run the rules
// processor, and the violations API answers through the server's own
// authentication and role checks.
func TestMountRules(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "collector.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf("data_dir: %s\nplan_file: %s\nauth: {totp: {required_roles: []}}\n", filepath.Join(dir, "data"), rulesTestdata("district.yaml"))), 0o600)
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	app, err := server.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	files, _ := filepath.Glob(rulesTestdata("reports", "*.json"))
	for _, f := range files {
		res, err := app.Import(ctx, f, "", auditlog.Entry{ActorKind: "operator", Actor: "test"})
		if err != nil || len(res.ProcessErrors) > 0 {
			t.Fatalf("import %s: %v %v", f, err, res.ProcessErrors)
		}
	}
	const pw = "Egov#Net-2026!rules"
	for _, u := range []auth.User{{Name: "li", Role: auth.RoleSecAdmin}, {Name: "zhao", Role: auth.RoleViewer}} {
		if err := app.Auth.AddUser(ctx, u, pw, auth.Actor{Kind: "operator", Name: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(app.API())
	defer srv.Close()
	call := func(user, method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(""))
		req.SetBasicAuth(user, pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if status, body := call("zhao", "GET", "/api/v1/terms"); status != 200 || !strings.Contains(body, `"rule.internet-egress":"自建互联网出口"`) {
		t.Errorf("terms: %d %.300s", status, body)
	}
	status, body := call("zhao", "GET", "/api/v1/violations?department=RSJ")
	var vs []wire.Violation
	if status != 200 || json.Unmarshal([]byte(body), &vs) != nil || len(vs) != 6 { // 5 network findings and the ledger's unlicensed-software: Open assembles every detector
		t.Fatalf("list: %d %.300s", status, body)
	}
	if status, _ := call("zhao", "POST", "/api/v1/violations/"+vs[0].ID+"/acknowledge"); status != http.StatusForbidden {
		t.Errorf("viewer acknowledged: %d", status)
	}
	if status, body := call("li", "POST", "/api/v1/violations/"+vs[0].ID+"/acknowledge"); status != 200 || !strings.Contains(body, `"acknowledged"`) {
		t.Errorf("secadmin acknowledge: %d %.300s", status, body)
	}
	// CZJ's network is clean; without licences its Kylin installs are the
	// ledger's only finding there.
	status, body = call("zhao", "GET", "/api/v1/violations?department=CZJ")
	var czj []wire.Violation
	if status != 200 || json.Unmarshal([]byte(body), &czj) != nil || len(czj) != 1 || czj[0].Rule != wire.RuleUnlicensedSoftware {
		t.Errorf("the clean department: %d %.300s", status, body)
	}
}
