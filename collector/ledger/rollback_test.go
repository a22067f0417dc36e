package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestInstallsCacheSurvivesRollback: the ingester runs processors inside
// one transaction per report (store.WithTx); when that transaction is
// undone after the ledger cached the installs it wrote, a later committed
// change must not be mistaken for the undone one (a version counter would
// reach the same number again and serve the undone installs).
func TestInstallsCacheSurvivesRollback(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		host := func(name, sw string) *wire.Host {
			return &wire.Host{Hostname: name, Software: []wire.Software{{Name: sw, Version: "1", Source: "registry"}}}
		}
		undone := errors.New("report transaction undone")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			actx := store.WithTx(ctx, tx)
			if err := s.RecordReport(actx, report("r1", "CZJ", t0, nil, host("pc-undone", "WPS Office")), "CZJ"); err != nil {
				return err
			}
			if ins, err := s.Installs(actx, "CZJ", time.Time{}); err != nil || len(ins) != 1 {
				t.Errorf("installs inside the transaction: %v %v", ins, err)
			}
			return undone
		})
		if !errors.Is(err, undone) {
			t.Fatal(err)
		}
		if err := s.RecordReport(ctx, report("r2", "CZJ", t0, nil, host("pc-kept", "WPS Office")), "CZJ"); err != nil {
			t.Fatal(err)
		}
		ins, err := s.Installs(ctx, "CZJ", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != 1 || ins[0].DeviceName != "pc-kept" {
			t.Fatalf("installs after the undone and a committed report = %+v, want only pc-kept's", ins)
		}
	})
}
