package ledger

import (
	"context"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestLicencesReadOncePerTransaction (issue 16): inside one transaction
// the detector reads the licences once, whatever the number of
// judgements; another transaction reads them again (and sees a change);
// without a transaction every call reads.
func TestLicencesReadOncePerTransaction(t *testing.T) {
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	reads, version := 0, 0
	src := perTransaction(func(context.Context) ([]License, error) {
		reads++
		return []License{{ID: "l", Seats: version}}, nil
	})
	judge := func(ctx context.Context, n int) int {
		t.Helper()
		seats := -1
		for range n {
			ls, err := src(ctx)
			if err != nil || len(ls) != 1 {
				t.Fatalf("licences %v %v", ls, err)
			}
			seats = ls[0].Seats
		}
		return seats
	}
	for _, tc := range []struct {
		name      string
		inTx      bool
		calls     int
		version   int
		wantReads int
	}{
		{name: "one transaction, many judgements", inTx: true, calls: 32, wantReads: 1},
		{name: "the next transaction sees a change", inTx: true, calls: 3, version: 7, wantReads: 1},
		{name: "no transaction: every call reads", calls: 3, version: 8, wantReads: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reads, version = 0, tc.version
			var seats int
			if tc.inTx {
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					seats = judge(store.WithTx(ctx, tx), tc.calls)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			} else {
				seats = judge(ctx, tc.calls)
			}
			if reads != tc.wantReads || seats != tc.version {
				t.Errorf("%d reads, seats %d; want %d reads, seats %d", reads, seats, tc.wantReads, tc.version)
			}
		})
	}
}
