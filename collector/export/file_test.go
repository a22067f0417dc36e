package export

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
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
			err := WriteFile(path, tc.render)
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
	if err := WriteFile(filepath.Join(dir, "missing", "x.csv"), func(io.Writer) error { return nil }); err == nil {
		t.Fatal("WriteFile into a missing directory: want error")
	}
}
