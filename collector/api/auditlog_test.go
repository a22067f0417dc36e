package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

func TestAuditLogRoute(t *testing.T) {
	f := newFixture(t, storetest.NewSQLite(t))
	ctx := context.Background()
	mark := time.Now().UTC().Add(-time.Second)
	for i := 0; i < 5; i++ {
		if _, err := f.audit.Append(ctx, auditlog.Entry{ActorKind: auditlog.KindOperator, Actor: "Mallory" + strconv.Itoa(i), Action: "probe", Target: "x_%"}); err != nil {
			t.Fatal(err)
		}
	}
	type item struct {
		Seq     int64     `json:"seq"`
		At      time.Time `json:"at"`
		Actor   string    `json:"actor"`
		Action  string    `json:"action"`
		Target  string    `json:"target"`
		Outcome string    `json:"outcome"`
		Hash    string    `json:"hash"`
	}
	get := func(user, query string) (resp, []item) {
		r := f.do("GET", "/api/v1/auditlog?"+query, nil, basic(user))
		var items []item
		if r.status == 200 {
			if err := json.Unmarshal(r.body, &items); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
		}
		return r, items
	}
	for _, who := range []string{"admin", "czj"} {
		if r, _ := get(who, ""); r.status != http.StatusForbidden {
			t.Fatalf("%s reads the audit log: %d", who, r.status)
		}
	}
	r, all := get("aud", "")
	if r.status != 200 || len(all) < 5 || r.header.Get("X-Total-Count") != strconv.Itoa(len(all)) {
		t.Fatalf("auditor list: %d, %d items, total %q", r.status, len(all), r.header.Get("X-Total-Count"))
	}
	for i, e := range all {
		if e.Seq == 0 || e.At.IsZero() || e.Action == "" || e.Outcome == "" || len(e.Hash) != 64 || i > 0 && e.Seq <= all[i-1].Seq {
			t.Fatalf("item %d incomplete or out of order: %+v", i, e)
		}
	}
	r, page := get("aud", "q=mallory&limit=2&offset=1&since="+url.QueryEscape(mark.Format(time.RFC3339)))
	if r.status != 200 || r.header.Get("X-Total-Count") != "5" || len(page) != 2 || page[0].Actor != "Mallory1" || page[1].Actor != "Mallory2" {
		t.Fatalf("filtered page: %d total %q %+v", r.status, r.header.Get("X-Total-Count"), page)
	}
	// LIKE wildcards in q are literal.
	if r, _ := get("aud", "q="+url.QueryEscape("y_%")); r.header.Get("X-Total-Count") != "0" {
		t.Fatalf("q with wildcards matched %s rows", r.header.Get("X-Total-Count"))
	}
	if r, _ := get("aud", "since="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))); r.header.Get("X-Total-Count") != "0" {
		t.Fatalf("since in the future matched %s rows", r.header.Get("X-Total-Count"))
	}
	for _, bad := range []string{"since=yesterday", "limit=0", "limit=x", "offset=-1"} {
		if r, _ := get("aud", bad); r.status != http.StatusBadRequest {
			t.Fatalf("%s: %d, want 400", bad, r.status)
		}
	}
}
