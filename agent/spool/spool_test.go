package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPutListAck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s, err := Open(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b-2", "a-1", "c-3"} {
		if _, err := s.Put(id, []byte(`{"report_id":"`+id+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.List()
	if err != nil || len(l) != 3 {
		t.Fatalf("list %v %v", l, err)
	}
	// Oldest first, whatever the ids.
	for i, id := range []string{"b-2", "a-1", "c-3"} {
		if !strings.Contains(l[i].Name, id) {
			t.Fatalf("order %v", l)
		}
	}
	fi, _ := os.Stat(l[0].Path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", di.Mode())
	}
	if err := s.Ack(l[0]); err != nil {
		t.Fatal(err)
	}
	if s.Depth() != 2 {
		t.Fatalf("depth %d", s.Depth())
	}
	b, err := s.Read(l[1])
	if err != nil || string(b) != `{"report_id":"a-1"}` {
		t.Fatalf("read %q %v", b, err)
	}
}

func TestBoundDropsOldestAndPersistsCount(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, 2)
	for _, id := range []string{"r1", "r2", "r3", "r4"} {
		if _, err := s.Put(id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	l, _ := s.List()
	if len(l) != 2 || !strings.Contains(l[0].Name, "r3") || !strings.Contains(l[1].Name, "r4") {
		t.Fatalf("kept %v", l)
	}
	if s.Dropped() != 2 {
		t.Fatalf("dropped %d", s.Dropped())
	}
	// The counter survives a restart.
	s2, err := Open(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Put("r5", []byte("r5")); err != nil {
		t.Fatal(err)
	}
	if s2.Dropped() != 3 || s2.Depth() != 2 {
		t.Fatalf("after restart dropped %d depth %d", s2.Dropped(), s2.Depth())
	}
}

// TestCrashSafety: a crash between create and rename leaves a partial temp
// file; it must never be listed (it was never acknowledged as written) and
// is cleaned at the next Open, while complete reports survive.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, 5)
	if _, err := s.Put("complete", []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(dir, tmpPrefix+"12345")
	if err := os.WriteFile(partial, []byte(`{"trunc`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, _ := s.List()
	if len(l) != 1 || !strings.Contains(l[0].Name, "complete") {
		t.Fatalf("list with partial temp: %v", l)
	}
	s2, err := Open(dir, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(partial); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partial temp not cleaned: %v", err)
	}
	l, _ = s2.List()
	if len(l) != 1 {
		t.Fatalf("after reopen: %v", l)
	}
	if b, _ := s2.Read(l[0]); string(b) != `{"ok":true}` {
		t.Fatalf("content %q", b)
	}
}

func TestReject(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, 5)
	_, _ = s.Put("bad", []byte("x"))
	l, _ := s.List()
	if err := s.Reject(l[0], errors.New("400 invalid report: scope")); err != nil {
		t.Fatal(err)
	}
	if s.Depth() != 0 {
		t.Fatal("rejected report still pending")
	}
	r, err := s.Rejected()
	if err != nil || len(r) != 1 {
		t.Fatalf("rejected %v %v", r, err)
	}
	msg, _ := os.ReadFile(r[0].Path + ".error")
	if !strings.Contains(string(msg), "invalid report") {
		t.Fatalf("reason %q", msg)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := Open(t.TempDir(), 0); err == nil {
		t.Fatal("max 0 accepted")
	}
	s, _ := Open(t.TempDir(), 1)
	for _, id := range []string{"", "../x", "a/b"} {
		if _, err := s.Put(id, nil); err == nil {
			t.Fatalf("id %q accepted", id)
		}
	}
	if s.Depth() != 0 {
		t.Fatal("bad input changed the spool")
	}
}

func TestRejectedIsBounded(t *testing.T) {
	s, _ := Open(t.TempDir(), 2)
	for _, id := range []string{"a", "b", "c"} {
		_, _ = s.Put(id, []byte(id))
		l, _ := s.List()
		if err := s.Reject(l[0], errors.New("401 revoked")); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := s.Rejected()
	if len(r) != 2 || !strings.Contains(r[0].Name, "-b.json") || !strings.Contains(r[1].Name, "-c.json") {
		t.Fatalf("rejected %v", r)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "rejected")); err != nil {
		t.Fatal(err)
	}
	errs, _ := filepath.Glob(filepath.Join(s.Dir(), "rejected", "*.error"))
	if len(errs) != 2 {
		t.Fatalf("reasons %v", errs)
	}
}
