package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name    string
		dialect store.Dialect
		in, out string
	}{
		{"sqlite untouched", store.SQLite, "SELECT ? , ?", "SELECT ? , ?"},
		{"postgres numbered", store.Postgres, "SELECT a FROM t WHERE a = ? AND b = ?", "SELECT a FROM t WHERE a = $1 AND b = $2"},
		{"postgres quoted mark kept", store.Postgres, "SELECT '?' , ?", "SELECT '?' , $1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := &store.DB{Dialect: tc.dialect}
			if got := db.Rebind(tc.in); got != tc.out {
				t.Fatalf("Rebind(%q) = %q, want %q", tc.in, got, tc.out)
			}
		})
	}
}

func TestMigrateIdempotentAndTx(t *testing.T) {
	steps := []store.Migration{{ID: "storetest/0001", SQLite: "CREATE TABLE mt (k TEXT PRIMARY KEY, v INTEGER NOT NULL);\n"}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if err := db.MigrateSteps(ctx, steps); err != nil {
				t.Fatalf("migrate run %d: %v", i, err)
			}
		}
		// A failing transaction leaves nothing behind.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO mt (k, v) VALUES (?, ?)", "a", 1); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO mt (k, v) VALUES (?, ?)", "a", 2)
			return err
		})
		if err == nil {
			t.Fatal("duplicate key inside transaction: want error")
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM mt").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rows after rolled-back tx = %d, want 0", n)
		}
	})
}

func TestTimeSortsAsText(t *testing.T) {
	base := time.Date(2026, 11, 22, 5, 0, 5, 0, time.UTC)
	times := []time.Time{base, base.Add(500 * time.Millisecond), base.Add(time.Second), base.Add(time.Nanosecond)}
	for i := range times {
		for j := range times {
			a, b := store.Time(times[i]), store.Time(times[j])
			if (a < b) != times[i].Before(times[j]) {
				t.Errorf("text order of %s and %s disagrees with time order", a, b)
			}
		}
		back, err := store.ParseTime(store.Time(times[i]))
		if err != nil || !back.Equal(times[i]) {
			t.Errorf("round trip %v -> %v, %v", times[i], back, err)
		}
	}
}
