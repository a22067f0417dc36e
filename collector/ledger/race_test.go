package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestRecordSameDeviceConcurrently: agents of one department reporting the
// same device at the same moment all succeed (PostgreSQL used to fail one
// with 23505 in the read-then-insert), and the cached installs follow.
func TestRecordSameDeviceConcurrently(t *testing.T) {
	host := &wire.Host{Hostname: "shared-pc", Software: []wire.Software{{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Source: "registry"},
		{Name: "WPS Office", Version: "11.8", Source: "registry"}}}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		if ins, err := s.Installs(ctx, "", time.Time{}); err != nil || len(ins) != 0 {
			t.Fatalf("empty ledger: %v %v", ins, err)
		}
		for round := 0; round < 5; round++ {
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h := *host
					h.Hostname = fmt.Sprintf("shared-pc-%d", round)
					errs <- s.RecordReport(ctx, report(fmt.Sprintf("r%d-%d", round, i), "CZJ", t0.Add(time.Duration(round)*time.Hour), nil, &h), "CZJ")
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			ins, err := s.Installs(ctx, "", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) != 2*(round+1) {
				t.Fatalf("round %d: %d installs, want %d", round, len(ins), 2*(round+1))
			}
		}
	})
}
