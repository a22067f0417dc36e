package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

// The write-ahead log is copied back into the database file by the
// checkpointer, off the writer: the writer's own automatic checkpoint is
// only a backstop far above SQLite's default of 1,000 pages, yet the file
// takes in what a few thousand pages of commits wrote within seconds, and
// what was committed reads back whole after a reopen.
func TestCheckpointsOffTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	var pages int
	if err := db.DB.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages < 10000 {
		t.Fatalf("writer checkpoints every %d pages itself; want only a backstop", pages)
	}
	if _, err := db.Exec(ctx, `CREATE TABLE blobs (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const rows = 3000 // one commit and about one page each: above 1,000, below the backstop
	v := strings.Repeat("x", 3000)
	for i := 0; i < rows; i++ {
		if _, err := db.Exec(ctx, `INSERT INTO blobs (k, v) VALUES (?, ?)`, i, v); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= rows*3000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file holds %d bytes after 20 s; the log was not checkpointed (want ≥ %d)", st.Size(), rows*3000)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = store.OpenSQLite(ctx, path); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM blobs WHERE length(v) = 3000`).Scan(&n); err != nil || n != rows {
		t.Fatalf("after reopening: %d rows (%v), want %d", n, err, rows)
	}
}

// TestSQLiteWriterSettings: the writer keeps what acknowledged reports
// rely on (WAL, a full sync at every commit, foreign keys) and its
// savepoints' sub-journals in memory, not in temporary files.
func TestSQLiteWriterSettings(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		pragma, want string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"temp_store", "2"}, // MEMORY
	} {
		t.Run(tc.pragma, func(t *testing.T) {
			var got string
			if err := db.DB.QueryRowContext(ctx, `PRAGMA `+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("writer PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
			}
		})
	}
}
