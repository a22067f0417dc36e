package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/internal/cliexit"
)

func TestLicenseCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var configFile string
		root := &cobra.Command{Use: "egovnet-collector", SilenceUsage: true, SilenceErrors: true}
		root.PersistentFlags().StringVar(&configFile, "config", "", "")
		root.AddCommand(newLicenseCmd())
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"--config", cfg}, args...))
		err := root.Execute()
		return out.String(), err
	}
	sheet := filepath.Join("..", "..", "collector", "ledger", "testdata", "licenses.csv")
	out, err := run("license", "import", "--file", sheet)
	if err != nil || !strings.Contains(out, "3 created") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("软件名称,授权数量\nno such product,1\n"), 0o600)
	_, err = run("license", "import", "--file", bad)
	if !cliexit.IsUsage(err) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("bad import: %v", err)
	}
	out, err = run("license", "list", "--format", "json")
	var ls []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &ls) != nil || len(ls) != 3 {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := run("license", "list", "--department", "CZJ"); err != nil || !strings.Contains(out, "共享池") || !strings.Contains(out, "ms-office") {
		t.Errorf("list table: %v\n%s", err, out)
	}
	xlsx := filepath.Join(dir, "out.xlsx")
	if out, err := run("license", "export", "--format", "xlsx", "--out", xlsx); err != nil || !strings.Contains(out, "wrote 3") {
		t.Fatalf("export: %v %s", err, out)
	}
	// the export imports again as updates, not duplicates
	if out, err := run("license", "import", "--file", xlsx); err != nil || !strings.Contains(out, "0 created, 3 updated") {
		t.Errorf("re-import: %v %s", err, out)
	}
	if _, err := run("license", "export", "--format", "pdf", "--out", xlsx); !cliexit.IsUsage(err) {
		t.Errorf("bad format: %v", err)
	}
}
