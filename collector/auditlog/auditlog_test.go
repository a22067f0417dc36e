package auditlog

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

func fill(t *testing.T, l *Log, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		_, err := l.Append(context.Background(), Entry{ActorKind: KindUser, Actor: "alice", Action: "report.list", Department: "CZJ", Target: "t", Detail: `{"i":` + string(rune('0'+i)) + `}`})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

func TestAuditLogConformance(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tests := []struct {
			name       string
			tamper     string // SQL run after 5 entries
			wantBroken int64  // 0: intact
			wantReason string
		}{
			{name: "intact"},
			{name: "altered actor", tamper: `UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`, wantBroken: 3, wantReason: "content altered"},
			{name: "altered and rehashed", tamper: `UPDATE audit_log SET outcome = 'denied', hash = 'ab' WHERE seq = 2`, wantBroken: 2, wantReason: "content altered"},
			{name: "middle row removed", tamper: `DELETE FROM audit_log WHERE seq = 2`, wantBroken: 2, wantReason: "entry 2 is missing"},
			{name: "first row removed", tamper: `DELETE FROM audit_log WHERE seq = 1`, wantBroken: 1, wantReason: "entry 1 is missing"},
			{name: "last row removed", tamper: `DELETE FROM audit_log WHERE seq = 5`, wantBroken: 5, wantReason: "missing at the end"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := db.Exec(ctx, `DELETE FROM audit_log`); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(ctx, `UPDATE audit_state SET head_seq = 0, head_hash = '', base_seq = 0, base_hash = ''`); err != nil {
					t.Fatal(err)
				}
				l := New(db)
				fill(t, l, 5)
				if tc.tamper != "" {
					if _, err := db.Exec(ctx, tc.tamper); err != nil {
						t.Fatal(err)
					}
				}
				res, err := l.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantBroken == 0 {
					if res.Broken != nil || res.Entries != 5 || res.Last != 5 {
						t.Fatalf("intact log reported %+v (broken %v)", res, res.Broken)
					}
					return
				}
				if res.Broken == nil {
					t.Fatalf("tampering not detected: %+v", res)
				}
				if res.Broken.Seq != tc.wantBroken || !strings.Contains(res.Broken.Reason, tc.wantReason) {
					t.Fatalf("broken = %+v, want seq %d reason %q", res.Broken, tc.wantBroken, tc.wantReason)
				}
			})
		}
	})
}

func TestAuditLogListAndPrune(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		now := base
		l.SetClock(func() time.Time { return now })
		for i := 0; i < 4; i++ { // day 0, 100, 200, 300
			now = base.Add(time.Duration(i*100) * 24 * time.Hour)
			if _, err := l.Append(ctx, Entry{ActorKind: KindAgent, Actor: "a1", Action: "report.upload"}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := l.List(ctx, base.Add(150*24*time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Seq != 3 || got[0].Outcome != OutcomeOK {
			t.Fatalf("list since day 150: %+v", got)
		}
		if _, err := l.Prune(ctx, 179*24*time.Hour); err == nil {
			t.Fatal("prune with retention under 180 days accepted")
		}
		// now = day 300; retention 180 d: cutoff day 120 -> entries of day 0 and 100 go.
		n, err := l.Prune(ctx, MinRetention)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("pruned %d entries, want 2", n)
		}
		res, err := l.Verify(ctx)
		if err != nil || res.Broken != nil || res.Entries != 2 || res.First != 3 {
			t.Fatalf("verify after prune: %+v %v (broken %v)", res, err, res.Broken)
		}
		// Removing the now-oldest entry is still detected.
		if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		res, err = l.Verify(ctx)
		if err != nil || res.Broken == nil || res.Broken.Seq != 3 {
			t.Fatalf("removal after prune not detected: %+v %v", res, err)
		}
	})
}

func TestAppendRequiresAction(t *testing.T) {
	l := New(storetest.NewSQLite(t))
	if _, err := l.Append(context.Background(), Entry{ActorKind: KindUser}); err == nil {
		t.Fatal("entry without action accepted")
	}
}

func TestHostileFieldsAreStoredCleanly(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db)
		e, err := l.Append(ctx, Entry{ActorKind: KindUser, Actor: "a\x00b\xff", Action: "login", Target: strings.Repeat("长", 400), Detail: Detail(map[string]any{"error": "x\x00"})})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		if e.Actor != "ab\uFFFD" || len(e.Target) > 512 || !utf8.ValidString(e.Target) {
			t.Fatalf("not cleaned: actor %q target %d bytes", e.Actor, len(e.Target))
		}
		if res, err := l.Verify(ctx); err != nil || res.Broken != nil {
			t.Fatalf("verify: %+v %v", res, err)
		}
	})
}
