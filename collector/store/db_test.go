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

// TestConcurrentMigrationsPostgres is issue #10 item 5: ten stores opened
// and migrated at the same moment on one fresh schema all succeed, and
// every step is applied exactly once.
func TestConcurrentMigrationsPostgres(t *testing.T) {
	dsn := storetest.NewPostgresEmptySchema(t)
	ctx := context.Background()
	steps := []store.Migration{
		{ID: "race/0001", SQLite: "CREATE TABLE race_a (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX race_a_name ON race_a (name);"},
		{ID: "race/0002", SQLite: "CREATE TABLE race_b (id INTEGER PRIMARY KEY);\nINSERT INTO race_b (id) VALUES (1);"},
	}
	const n = 10
	dbs := make([]*store.DB, n)
	for i := range dbs {
		db, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	start := make(chan struct{})
	errs := make(chan error, n)
	for _, db := range dbs {
		go func() {
			<-start
			errs <- db.MigrateSteps(ctx, steps)
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent migration failed: %v", err)
		}
	}
	var applied, rows int
	if err := dbs[0].QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != 2 {
		t.Fatalf("schema_migrations has %d rows (%v), want 2", applied, err)
	}
	if err := dbs[0].QueryRow(ctx, `SELECT COUNT(*) FROM race_b`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("race_b has %d rows (%v), want 1: a step ran twice", rows, err)
	}
}
