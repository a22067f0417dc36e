package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Migration is one schema step of one collector package. ID must be unique
// and stable ("inventory/0001_init"); steps of one package apply in ID order.
// Postgres may be left empty when the SQLite text is portable.
type Migration struct {
	ID       string
	SQLite   string
	Postgres string
}

var (
	regMu    sync.Mutex
	registry []Migration
)

// Register adds migrations; packages call it from init so that opening a
// store applies every table the linked-in packages need.
func Register(ms ...Migration) {
	regMu.Lock()
	defer regMu.Unlock()
	registry = append(registry, ms...)
}

// Registered returns the registered migrations sorted by ID.
func Registered() []Migration {
	regMu.Lock()
	defer regMu.Unlock()
	out := append([]Migration(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Migrate applies every registered migration not yet applied, each in its
// own transaction. Several collectors sharing one PostgreSQL may start at
// once: a session advisory lock, taken before anything else (even the
// CREATE TABLE IF NOT EXISTS of schema_migrations, which is not safe to run
// concurrently in PostgreSQL), serialises them.
func (db *DB) Migrate(ctx context.Context) error {
	return db.MigrateSteps(ctx, Registered())
}

// MigrateSteps applies the given migrations (used by tests and tools).
func (db *DB) MigrateSteps(ctx context.Context, ms []Migration) error {
	if db.Dialect == Postgres {
		unlock, err := db.lockMigrations(ctx)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if _, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.ID] {
			return fmt.Errorf("migrate: duplicate migration id %q", m.ID)
		}
		seen[m.ID] = true
		err := db.InTx(ctx, func(tx *Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE id = ?`, m.ID).Scan(&n); err != nil {
				return fmt.Errorf("check migration %s: %w", m.ID, err)
			}
			if n > 0 {
				return nil
			}
			text := m.SQLite
			if db.Dialect == Postgres && strings.TrimSpace(m.Postgres) != "" {
				text = m.Postgres
			}
			for _, stmt := range splitStatements(text) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("apply migration %s: %w", m.ID, err)
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (id, applied_at) VALUES (?, CURRENT_TIMESTAMP)`, m.ID)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// splitStatements splits on ';' at line ends; migrations keep one statement
// per ';'-terminated block and no procedural bodies.
func splitStatements(text string) []string {
	var out []string
	for _, part := range strings.Split(text, ";\n") {
		part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), ";"))
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// migrationLockKey is the first key of the advisory lock; the second is the
// schema's hash, so collectors on different schemas do not wait for each
// other.
const migrationLockKey = 7310110

// lockMigrations takes the PostgreSQL session advisory lock on a connection
// of its own and returns the function that releases it.
func (db *DB) lockMigrations(ctx context.Context) (func(), error) {
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, migrationLockKey); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	return func() {
		// A failed unlock is harmless: closing the session releases it.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, migrationLockKey)
		conn.Close()
	}, nil
}

// ErrNewerSchema: the database was migrated by a newer collector.
var ErrNewerSchema = errors.New("the database was upgraded by a newer egovnet-collector")

// RefuseNewerSchema fails when the database holds migrations none of ms
// is (ErrNewerSchema, naming them): a newer collector upgraded it, and
// this one would misread what that one writes (for example reports stored
// in a form it does not know). Collectors sharing a PostgreSQL are
// upgraded together; a downgrade restores a backup.
func (db *DB) RefuseNewerSchema(ctx context.Context, ms []Migration) error {
	known := map[string]bool{}
	for _, m := range ms {
		known[m.ID] = true
	}
	rows, err := db.Query(ctx, `SELECT id FROM schema_migrations ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var unknown []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%w (migrations %s): run that version or newer", ErrNewerSchema, strings.Join(unknown, ", "))
	}
	return nil
}
