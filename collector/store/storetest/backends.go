// Package storetest runs store conformance tests against every backend: the
// embedded SQLite store and a real PostgreSQL. Each collector package that
// owns tables calls ForEachBackend from its tests, so one suite proves both.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
)

// DefaultPostgresDSN is the development machines' local PostgreSQL.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// RequireIntegration reports whether missing real peers must fail tests.
func RequireIntegration() bool { return os.Getenv("EGOVNET_REQUIRE_INTEGRATION") == "1" }

// ForEachBackend runs fn as a subtest per backend ("sqlite", "postgres")
// with a freshly migrated, empty database. The PostgreSQL database is a new
// schema dropped at cleanup, so parallel packages never see each other.
func ForEachBackend(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, NewSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, NewPostgres(t))
	})
}

// NewSQLite returns a migrated SQLite store in a temporary directory.
func NewSQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "egovnet.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// PostgresDSN returns the DSN of the test PostgreSQL.
func PostgresDSN() string {
	if dsn := os.Getenv("EGOVNET_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return DefaultPostgresDSN
}

// NewPostgres returns a migrated PostgreSQL store in a fresh schema. It
// skips when no server answers, and fails instead under
// EGOVNET_REQUIRE_INTEGRATION=1.
func NewPostgres(t testing.TB) *store.DB {
	t.Helper()
	db, _ := NewPostgresSchema(t)
	return db
}

// NewPostgresSchema is NewPostgres that also returns the DSN pinned to the
// fresh schema, for tests that start a collector process on it.
func NewPostgresSchema(t testing.TB) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	dsn := NewPostgresEmptySchema(t)
	db, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return db, dsn
}

// NewPostgresEmptySchema creates a fresh, unmigrated schema (dropped at
// cleanup) and returns a DSN pinned to it, for tests of migration itself.
func NewPostgresEmptySchema(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	base := PostgresDSN()
	admin, err := store.OpenPostgres(ctx, base)
	if err != nil {
		if RequireIntegration() {
			t.Fatalf("postgres required (EGOVNET_REQUIRE_INTEGRATION=1) but unavailable at %s: %v", redact(base), err)
		}
		t.Skipf("postgres unavailable at %s (set EGOVNET_TEST_POSTGRES_DSN): %v", redact(base), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "egt_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return withSearchPath(base, schema)
}

func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return fmt.Sprintf("%s search_path=%s", dsn, schema)
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "<dsn>"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxx")
		}
	}
	return u.String()
}
