package export

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		render func(io.Writer) error
		err    bool
		want   string
	}{
		{"failure keeps the old file", func(w io.Writer) error { _, _ = io.WriteString(w, "half"); return errors.New("boom") }, true, "old"},
		{"success replaces it", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, false, "new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := WriteFile(context.Background(), path, nil, tc.render)
			if (err != nil) != tc.err {
				t.Fatalf("WriteFile error = %v, want error %v", err, tc.err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Fatalf("file = %q, want %q", got, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("directory holds %d entries, want only out.csv (no temporary left)", len(entries))
			}
		})
	}
	if _, err := WriteFile(context.Background(), filepath.Join(dir, "missing", "x.csv"), nil, func(io.Writer) error { return nil }); err == nil {
		t.Fatal("WriteFile into a missing directory: want error")
	}
}

// TestWriteFileHelper is the export process the kill tests start: it
// writes forever into out.csv until its context ends (SIGTERM) or it is
// killed.
func TestWriteFileHelper(t *testing.T) {
	path := os.Getenv("EGOVNET_TEST_EXPORT_OUT")
	if path == "" {
		t.Skip("helper process for TestKilledExport")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	_, err := WriteFile(ctx, path, nil, func(w io.Writer) error {
		for {
			if _, err := io.WriteString(w, strings.Repeat("x", 1<<16)); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
	})
	if err == nil {
		os.Exit(3)
	}
	os.Exit(1)
}

func TestKilledExport(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.csv")
			cmd := exec.Command(os.Args[0], "-test.run=^TestWriteFileHelper$")
			cmd.Env = append(os.Environ(), "EGOVNET_TEST_EXPORT_OUT="+out)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			parts := func() []string {
				m, _ := filepath.Glob(filepath.Join(dir, ".out.csv.*"+partSuffix))
				return m
			}
			for i := 0; len(parts()) == 0; i++ {
				if i == 500 {
					_ = cmd.Process.Kill()
					t.Fatal("the helper wrote no temporary file")
				}
				time.Sleep(10 * time.Millisecond)
			}
			_ = cmd.Process.Signal(sig)
			_ = cmd.Wait()
			if sig == syscall.SIGKILL {
				// nothing runs on SIGKILL: the next export cleans up
				if len(parts()) != 1 {
					t.Fatalf("after SIGKILL: %v", parts())
				}
				if !strings.Contains(parts()[0], "."+strconv.Itoa(cmd.Process.Pid)+".") {
					t.Fatalf("temporary file %s does not name its process", parts()[0])
				}
				if _, err := WriteFile(context.Background(), out, nil, func(w io.Writer) error { _, err := io.WriteString(w, "ok"); return err }); err != nil {
					t.Fatal(err)
				}
			}
			if p := parts(); len(p) != 0 {
				t.Errorf("temporary files left: %v", p)
			}
			if _, err := os.Stat(out); sig == syscall.SIGTERM && err == nil {
				t.Error("a killed export left out.csv")
			}
		})
	}
}
