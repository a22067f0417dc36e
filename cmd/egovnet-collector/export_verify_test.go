package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every CLI export is sealed; `export verify` passes the untouched file,
// offline with --pubkey too, and fails a tampered one naming the checks.
func TestExportVerify(t *testing.T) {
	cfg, dir := exportFixture(t)
	for _, format := range []string{"csv", "xlsx", "json"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, "v."+format)
			if code, o := runExportCmd(t, "--config", cfg, "export", "violations", "--format", format, "--out", out); code != 0 {
				t.Fatalf("export: %d %s", code, o)
			}
			for _, s := range []string{".sha256", ".sm3", ".sig"} {
				if _, err := os.Stat(out + s); err != nil {
					t.Errorf("no %s beside the export: %v", s, err)
				}
			}
			if code, o := runExportCmd(t, "--config", cfg, "export", "verify", out); code != 0 || !strings.Contains(o, "OK") {
				t.Fatalf("verify untouched: %d %s", code, o)
			}
			code, pem := runExportCmd(t, "--config", cfg, "export", "pubkey")
			if code != 0 || !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----") {
				t.Fatalf("pubkey: %d %s", code, pem)
			}
			pub := filepath.Join(t.TempDir(), "pub.pem")
			_ = os.WriteFile(pub, []byte(pem), 0o644)
			if code, o := runExportCmd(t, "export", "verify", "--pubkey", pub, out); code != 0 {
				t.Fatalf("verify offline with --pubkey: %d %s", code, o)
			}
			b, _ := os.ReadFile(out)
			b[len(b)/2] ^= 0x20
			_ = os.WriteFile(out, b, 0o644)
			code, o := runExportCmd(t, "--config", cfg, "export", "verify", out)
			if code == 0 || !strings.Contains(o, "sha256: mismatch") || !strings.Contains(o, "sm3: mismatch") || !strings.Contains(o, "signature:") {
				t.Fatalf("verify tampered: %d %s", code, o)
			}
		})
	}
	if code, o := runExportCmd(t, "--config", cfg, "export", "verify"); code != 2 {
		t.Errorf("verify without a file: %d %s", code, o)
	}
}
