package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestFailingDepartmentDoesNotHoldOthers (issue 16): a department whose
// batched judgement keeps failing pauses alone, longer each time; the
// other departments' queued scans are judged in the very next round, not
// after that department's pause (they would wait, and the back-pressure
// would refuse their uploads, for its fault).
func TestFailingDepartmentDoesNotHoldOthers(t *testing.T) {
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	e := districtEngine(t)
	czj, rsj := loadReports(t, "czj")[0], loadReports(t, "rsj")[0]
	// CZJ's judgements fail; RSJ's do not
	if _, err := db.Exec(ctx, `CREATE TRIGGER fail_czj BEFORE INSERT ON rules_scans WHEN NEW.department = 'CZJ'
BEGIN SELECT RAISE(ABORT, 'CZJ judgement fails'); END`); err != nil {
		t.Fatal(err)
	}
	czjID, lateRSJ := "7b1c2a10-0000-4c00-8000-000000000001", "7b1c2a10-0000-4c00-8000-000000000002"
	queuer := NewProcessorWith(e, NewStore(db), ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, Facts: inventory.New(db)})
	if err := file(ctx, queuer, cloneReport(t, czj, czjID, czj.FinishedAt), "CZJ"); err != nil {
		t.Fatal(err)
	}
	// Another process judges (nothing kept in memory): each attempt at
	// CZJ reads its queued report, which counts the attempts as they are
	// made.
	var mu sync.Mutex
	czjAttempts, attemptsWhenJudged := 0, -1
	facts := &attemptFacts{Facts: inventory.New(db), read: func(id string) {
		if id == czjID {
			mu.Lock()
			czjAttempts++
			mu.Unlock()
		}
	}}
	p := NewProcessorWith(e, NewStore(db), ProcessorOptions{ResolveAfter: 3, BatchAbove: 1, BatchInterval: 20 * time.Millisecond, Facts: facts})
	p.opt.Sightings = queuer.opt.Sightings
	p.OnJudged(func(_ context.Context, dept string, scan Scan) error {
		mu.Lock()
		defer mu.Unlock()
		if dept == "RSJ" && scan.ReportID == lateRSJ {
			attemptsWhenJudged = czjAttempts
		}
		return nil
	})
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.RunBatches(rctx, func(err error) {
			if !strings.Contains(err.Error(), "CZJ judgement fails") {
				t.Errorf("judgement: %v", err)
			}
		})
	}()
	defer func() { stop(); <-done }()
	attempts := func() int { mu.Lock(); defer mu.Unlock(); return czjAttempts }
	// Wait (not a timing assertion: the deadline only stops a hang) until
	// CZJ has failed four times: its pause is then some hundreds of
	// milliseconds, where a round comes every 20 ms. A failed attempt
	// reads its report twice (to judge, and to look for unreadable
	// reports), so an odd count is an attempt half done, whose second
	// read would come after the count taken here.
	var before int
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if n := attempts(); n >= 8 && n%2 == 0 {
			before = n
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CZJ attempted %d times in a minute", attempts())
		}
	}
	if err := file(ctx, queuer, cloneReport(t, rsj, lateRSJ, rsj.FinishedAt), "RSJ"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		at := attemptsWhenJudged
		mu.Unlock()
		if at >= 0 {
			// CZJ sorts first: had its pause been the round's, CZJ would
			// have been tried again, in the round that judged RSJ, first
			if at != before {
				t.Fatalf("RSJ's scan was judged after %d attempts at CZJ (%d when it was queued): it waited for CZJ's pause", at, before)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("RSJ's scan not judged in a minute (%s)", fmt.Sprint(attempts(), " CZJ attempts"))
		}
	}
}

// attemptFacts reports each stored report read.
type attemptFacts struct {
	Facts
	read func(id string)
}

func (a *attemptFacts) RawReport(ctx context.Context, id string) ([]byte, error) {
	a.read(id)
	return a.Facts.RawReport(ctx, id)
}
