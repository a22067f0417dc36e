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

// TestConcurrentReportsOfOneDevice: agents of one department report the
// same PC at once, newer and older reports mixed and the software listed
// in different orders. Every report is stored (no 23505 from a
// read-then-insert, no deadlock from rows locked in report order), and
// each row spans exactly the reports that showed it: first_seen the
// oldest, last_seen the newest.
func TestConcurrentReportsOfOneDevice(t *testing.T) {
	names := []string{"Microsoft Office Professional Plus 2016", "WPS Office", "Kylin Linux Advanced Server V10", "Foxit Reader", "360安全卫士", "Google Chrome"}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		const agents = 12
		type shown struct{ first, last time.Time }
		want := map[string]*shown{}
		reps := make([]*wire.ScanReport, agents)
		for i := range reps {
			at := t0.Add(time.Duration((i*7)%agents) * time.Minute) // arrival order is not time order
			var sw []wire.Software
			for j := range names {
				n := names[(i+j)%len(names)] // every report lists them in another order
				if (i+j)%4 == 3 {
					continue // and not every report has every package
				}
				sw = append(sw, wire.Software{Name: n, Version: "1", Source: "registry"})
				w := want[n]
				if w == nil {
					w = &shown{at, at}
					want[n] = w
				}
				if at.Before(w.first) {
					w.first = at
				}
				if at.After(w.last) {
					w.last = at
				}
			}
			reps[i] = report(fmt.Sprintf("r%02d", i), "CZJ", at, nil, &wire.Host{Hostname: "shared-pc", Software: sw})
			reps[i].Agent.ID = fmt.Sprintf("agent-%02d", i)
		}
		var wg sync.WaitGroup
		errs := make(chan error, agents)
		start := make(chan struct{})
		for _, rep := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- s.RecordReport(ctx, rep, "CZJ")
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("a concurrent report failed: %v", err)
			}
		}
		rows, err := db.Query(ctx, `SELECT name, first_seen, last_seen FROM ledger_installs WHERE department = 'CZJ' AND device = 'shared-pc'`)
		if err != nil {
			t.Fatal(err)
		}
		type span struct{ first, last time.Time }
		got := map[string]span{}
		for rows.Next() {
			var n, f, l string
			if err := rows.Scan(&n, &f, &l); err != nil {
				t.Fatal(err)
			}
			ft, _ := store.ParseTime(f)
			lt, _ := store.ParseTime(l)
			got[n] = span{ft, lt}
		}
		rows.Close()
		if len(got) != len(names) {
			t.Fatalf("rows %v", got)
		}
		for _, n := range names {
			w, sw := want[n], got[n]
			if !sw.first.Equal(w.first) || !sw.last.Equal(w.last) {
				t.Errorf("%s: seen %s..%s, want %s..%s", n, sw.first, sw.last, w.first, w.last)
			}
		}
	})
}
