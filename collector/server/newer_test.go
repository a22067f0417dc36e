package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
)

// TestOpenRefusesNewerDatabase: a collector does not start on a database
// a newer collector migrated (it would misread what that one stores), and
// says which migration it does not know.
func TestOpenRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	cfg := loadConfig(t, "")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := Open(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	newer := store.Migration{ID: "zzz/0001_from_a_newer_version", SQLite: "CREATE TABLE from_the_future (k TEXT PRIMARY KEY);\n"}
	if err := app.DB.MigrateSteps(ctx, []store.Migration{newer}); err != nil {
		t.Fatal(err)
	}
	app.Close()
	app, err = Open(ctx, cfg, quiet)
	if err == nil {
		app.Close()
		t.Fatal("opened a database a newer collector migrated")
	}
	if !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema naming %s", err, newer.ID)
	}
}
