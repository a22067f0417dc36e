package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store"
)

// TestAuditlogListEscapesAndVerifyNamesTruncation: a login name with a
// terminal escape is printed escaped by `auditlog list`, and deleting the
// newest entries (head row rewritten to match) fails `auditlog verify`
// with the truncation named.
func TestAuditlogListEscapesAndVerifyNamesTruncation(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EGOVNET_DATA_DIR", dir)
	ctx := context.Background()
	var out, errb bytes.Buffer
	// The first command creates and migrates the store.
	if code := run([]string{"auditlog", "list"}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("list: %d %s", code, errb.String())
	}
	for _, actor := range []string{"evil\x1b[2J\x1b]0;owned\x07", "alice", "bob"} {
		db, err := store.OpenSQLite(ctx, filepath.Join(dir, "egovnet.db"))
		if err != nil {
			t.Fatal(err)
		}
		l := auditlog.New(db)
		l.SetAnchorFile(filepath.Join(dir, auditlog.AnchorFileName))
		if _, err := l.Append(ctx, auditlog.Entry{ActorKind: auditlog.KindUser, Actor: actor, Action: "login", Outcome: auditlog.OutcomeDenied}); err != nil {
			t.Fatal(err)
		}
		if err := l.WriteAnchor(ctx); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	out.Reset()
	if code := run([]string{"auditlog", "list", "--format", "table"}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("list: %d %s", code, errb.String())
	}
	if strings.ContainsAny(out.String(), "\x1b\x07") || !strings.Contains(out.String(), `evil\x1b[2J`) {
		t.Fatalf("control characters not escaped:\n%q", out.String())
	}
	if code := run([]string{"auditlog", "verify"}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("verify of an intact log: %d %s", code, errb.String())
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "egovnet.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE audit_state SET head_seq = 2, head_hash = (SELECT hash FROM audit_log WHERE seq = 2)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	errb.Reset()
	if code := run([]string{"auditlog", "verify"}, strings.NewReader(""), &out, &errb); code == exitOK || !strings.Contains(errb.String(), "entries 3..3 were removed from the end") {
		t.Fatalf("verify after truncation: exit %d, stderr %q", code, errb.String())
	}
}
