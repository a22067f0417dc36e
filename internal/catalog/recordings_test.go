package catalog

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

const (
	oidHrSWInstalledName = "1.3.6.1.2.1.25.6.3.1.2."
	oidSysDescr          = "1.3.6.1.2.1.1.1.0"
)

// recording is what one snmprec file serves for the catalog: sysDescr and
// the hrSWInstalledName column, decoded the way the agent decodes them.
type recording struct {
	Name   string
	Descr  string
	Names  []string
	Source string
}

// readRecording parses an snmprec file (OID|type|value; type 4x is hex).
func readRecording(t testing.TB, path string) recording {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open recording: %v", err)
	}
	defer f.Close()
	rec := recording{Name: strings.TrimSuffix(filepath.Base(path), ".snmprec"), Source: path}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		oid, rest, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		typ, val, ok := strings.Cut(rest, "|")
		if !ok {
			continue
		}
		if oid != oidSysDescr && !strings.HasPrefix(oid, oidHrSWInstalledName) {
			continue
		}
		raw := []byte(val)
		if typ == "4x" {
			b, err := hex.DecodeString(val)
			if err != nil {
				t.Fatalf("%s: bad hex for %s: %v", path, oid, err)
			}
			raw = b
		}
		if oid == oidSysDescr {
			rec.Descr = DecodeName(raw)
		} else {
			rec.Names = append(rec.Names, DecodeName(raw))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read recording: %v", err)
	}
	return rec
}

// recordingsWithSoftware lists every shared recording that serves hrSWInstalled rows.
func recordingsWithSoftware(t testing.TB) []recording {
	t.Helper()
	dir := filepath.Join(testenv.TestdataDir(t), "snmp")
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.snmprec"))
	sort.Strings(paths)
	var out []recording
	for _, p := range paths {
		r := readRecording(t, p)
		if len(r.Names) > 0 {
			r.Name = filepath.Base(filepath.Dir(p)) + "/" + r.Name
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		testenv.Missing(t, "no recordings with hrSWInstalled rows under %s", dir)
	}
	return out
}
