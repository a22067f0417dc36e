package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/cliexit"
)

func TestCatalogMatchCommand(t *testing.T) {
	run := func(args []string, stdin string) (string, error) {
		cmd := newCatalogCmd()
		var out bytes.Buffer
		cmd.SetArgs(args)
		cmd.SetIn(strings.NewReader(stdin))
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		return out.String(), err
	}
	out, err := run([]string{"match"}, "银河麒麟高级服务器操作系统V10\nWPS Office\t11.1.0.11294\tKingsoft\nsomething unknown\n")
	if err != nil {
		t.Fatalf("catalog match: %v\n%s", err, out)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, out)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	if rows[0]["category"] != "os" || rows[0]["domestic"] != true || rows[1]["category"] != "office" || rows[2]["product"] != "" || rows[2]["category"] != "other" {
		t.Errorf("rows = %v", rows)
	}
	out, err = run([]string{"match", "--format", "table"}, "达梦数据库DM8\n")
	if err != nil || !strings.Contains(out, "database") {
		t.Errorf("table: %v\n%s", err, out)
	}
	_, err = run([]string{"match", "--format", "xml"}, "x\n")
	if !cliexit.IsUsage(err) {
		t.Errorf("--format xml: err = %v, want a usage error (exit 2)", err)
	}
}
