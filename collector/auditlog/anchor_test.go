package auditlog

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestAnchorDetectsTruncation is issue #10 item 6: deleting the newest
// entries and rewriting the head row to match leaves a chain that is
// consistent inside the database; the anchor outside it names the loss.
func TestAnchorDetectsTruncation(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tests := []struct {
			name       string
			tamper     func(t *testing.T, l *Log)
			wantBroken int64
			wantReason string
		}{
			{name: "intact"},
			{name: "tail deleted and head rewritten", tamper: func(t *testing.T, l *Log) {
				mustExec(t, db, `DELETE FROM audit_log WHERE seq > 3`)
				mustExec(t, db, `UPDATE audit_state SET head_seq = 3, head_hash = (SELECT hash FROM audit_log WHERE seq = 3)`)
			}, wantBroken: 4, wantReason: "entries 4..5 were removed from the end"},
			{name: "tail replaced by forged entries", tamper: func(t *testing.T, l *Log) {
				mustExec(t, db, `DELETE FROM audit_log WHERE seq > 3`)
				mustExec(t, db, `UPDATE audit_state SET head_seq = 3, head_hash = (SELECT hash FROM audit_log WHERE seq = 3)`)
				l2 := New(db) // no anchor: the forger does not update it
				fill(t, l2, 2)
			}, wantBroken: 5, wantReason: "entry 5 differs"},
			{name: "everything deleted", tamper: func(t *testing.T, l *Log) {
				mustExec(t, db, `DELETE FROM audit_log`)
				mustExec(t, db, `UPDATE audit_state SET head_seq = 0, head_hash = ''`)
			}, wantBroken: 1, wantReason: "entries 1..5 were removed"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				mustExec(t, db, `DELETE FROM audit_log`)
				mustExec(t, db, `UPDATE audit_state SET head_seq = 0, head_hash = '', base_seq = 0, base_hash = ''`)
				l := New(db)
				l.SetAnchorFile(filepath.Join(t.TempDir(), AnchorFileName))
				fill(t, l, 5)
				if err := l.WriteAnchor(ctx); err != nil {
					t.Fatal(err)
				}
				if tc.tamper != nil {
					tc.tamper(t, l)
				}
				// The tampered head is behind the anchor: writing must not
				// move the anchor back.
				if err := l.WriteAnchor(ctx); err != nil {
					t.Fatal(err)
				}
				res, err := l.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantBroken == 0 {
					if res.Broken != nil {
						t.Fatalf("intact log reported broken: %v", res.Broken)
					}
					return
				}
				if res.Broken == nil || res.Broken.Seq != tc.wantBroken || !strings.Contains(res.Broken.Reason, tc.wantReason) {
					t.Fatalf("broken = %+v, want seq %d %q", res.Broken, tc.wantBroken, tc.wantReason)
				}
			})
		}
	})
}

func mustExec(t *testing.T, db *store.DB, q string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

func TestPage(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		for _, a := range []string{"Alice", "bob", "al_ice", "carol"} {
			if _, err := l.Append(ctx, Entry{ActorKind: KindUser, Actor: a, Action: "login"}); err != nil {
				t.Fatal(err)
			}
		}
		got, total, err := l.Page(ctx, Query{Text: "AL", Limit: 1, Offset: 1})
		if err != nil || total != 2 || len(got) != 1 || got[0].Actor != "al_ice" {
			t.Fatalf("page: %+v total %d %v", got, total, err)
		}
		if _, total, err := l.Page(ctx, Query{Text: "l_i", Limit: 10}); err != nil || total != 1 {
			t.Fatalf("underscore must be literal: total %d %v", total, err)
		}
	})
}
