package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// FuzzIngestRoundTrip decodes arbitrary bytes as a report and, when they
// are accepted, ingests them into a real SQLite store and reads them back:
// the stored report must decode again to the same content, every endpoint
// must be in the inventory, a retry must be recognised, and the same id
// with other content must be refused with the original kept.
func FuzzIngestRoundTrip(f *testing.F) {
	now := time.Now().UTC().Truncate(time.Second)
	seed, _ := json.Marshal(report(id1, now.Add(-time.Hour)))
	f.Add(seed)
	multi := report(id1, now.Add(-time.Hour))
	multi.Endpoints = append(multi.Endpoints,
		wire.Endpoint{IP: "::ffff:10.1.0.11", SeenBy: []string{"arp"}, Role: "unknown", Hostname: "a\tb"},
		wire.Endpoint{IP: "2001:db8::1", MAC: "00:11:22:33:44:55", SeenBy: []string{"nd"}, Role: "workstation", Names: []wire.Name{{Name: "pc1", Source: "ptr"}}})
	seed, _ = json.Marshal(multi)
	f.Add(seed)
	f.Add([]byte(`{"schema":"egovnet.scan/v1","report_id":"11111111-1111-4111-8111-111111111111"}`))

	db := storetest.NewSQLite(f)
	ctx := context.Background()
	inv := inventory.New(db)
	if err := inv.SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "区财政局"}}, now); err != nil {
		f.Fatal(err)
	}
	in := New(db, auditlog.New(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	src := Source{Kind: inventory.SourceImport, AgentID: "agent-1", Actor: auditlog.Entry{ActorKind: auditlog.KindOperator, Actor: "fuzz"}}

	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := wire.DecodeReport(bytes.NewReader(data), 1<<20)
		if err != nil {
			return
		}
		// One store for all runs: start each from an empty inventory.
		for _, q := range []string{`DELETE FROM endpoints`, `DELETE FROM endpoint_chains`, `DELETE FROM reports`} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		res, err := in.Ingest(ctx, rep, "CZJ", src)
		if err != nil || !res.Stored {
			t.Fatalf("ingest of a decoded report: %+v %v", res, err)
		}
		raw, err := inv.RawReport(ctx, rep.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		back, err := wire.DecodeReport(bytes.NewReader(raw), 1<<20)
		if err != nil {
			t.Fatalf("stored report does not decode: %v\n%s", err, raw)
		}
		want, _ := json.Marshal(rep)
		got, _ := json.Marshal(back)
		if !bytes.Equal(want, got) {
			t.Fatalf("store changed the report:\n%s\n%s", want, got)
		}
		eps, err := inv.Endpoints(ctx, "CZJ", 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[netip.Addr]bool{}
		for _, e := range eps {
			a, err := netip.ParseAddr(e.IP)
			if err != nil {
				t.Fatalf("stored endpoint address %q: %v", e.IP, err)
			}
			stored[a.Unmap()] = true
		}
		for _, e := range rep.Endpoints {
			if a := netip.MustParseAddr(e.IP).Unmap(); !stored[a] {
				t.Fatalf("endpoint %s not in the inventory (stored %v)", e.IP, stored)
			}
		}
		if res, err := in.Ingest(ctx, rep, "CZJ", src); err != nil || res.Stored {
			t.Fatalf("retry: %+v %v, want recognised", res, err)
		}
		other := *back
		other.Agent.Hostname += "x"
		if len(other.Agent.Hostname) > wire.MaxShortString {
			return
		}
		if _, err := in.Ingest(ctx, &other, "CZJ", src); !errors.Is(err, ErrDifferentContent) {
			t.Fatalf("same id, other content: %v, want ErrDifferentContent", err)
		}
		if raw2, _ := inv.RawReport(ctx, rep.ReportID); !bytes.Equal(raw, raw2) {
			t.Fatal("the original report was not kept")
		}
	})
}
