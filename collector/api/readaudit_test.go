package api

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// TestReadAuditBatchedComplete: N reads through the API leave exactly N
// audit records, in one intact chain, once the server is closed (the
// shutdown flush), though none is written on the request path; on both
// backends.
func TestReadAuditBatchedComplete(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		const n = 40
		for i := 0; i < n; i++ {
			if r := f.do("GET", "/api/v1/endpoints?limit="+strconv.Itoa(i+1), nil, basic("admin")); r.status != 200 {
				t.Fatalf("read %d: %d %s", i, r.status, r.body)
			}
		}
		if err := f.srv.Close(ctx); err != nil {
			t.Fatal(err)
		}
		entries, err := f.audit.List(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		targets := map[string]int{}
		for _, e := range entries {
			if e.Action == "http GET /api/v1/endpoints" && e.Actor == "admin" {
				targets[e.Target]++
			}
		}
		if len(targets) != n {
			t.Fatalf("%d distinct read records, want %d", len(targets), n)
		}
		for target, c := range targets {
			if c != 1 {
				t.Fatalf("read %s recorded %d times", target, c)
			}
		}
		res, err := f.audit.Verify(ctx)
		if err != nil || res.Broken != nil {
			t.Fatalf("chain after batched reads: %+v %v", res.Broken, err)
		}
	})
}
