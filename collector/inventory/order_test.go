package inventory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestEndpointsSetBased: endpoints list in address order (not text order),
// a report larger than one statement's chunk is stored whole, and an
// address listed twice in one report merges as it would row by row.
func TestEndpointsSetBased(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		eps := []wire.Endpoint{
			{IP: "10.0.0.10", SeenBy: []string{"icmp"}},
			{IP: "10.0.0.2", MAC: "00:00:00:00:00:02", SeenBy: []string{"icmp"}},
			{IP: "10.0.0.2", Hostname: "two", SeenBy: []string{"arp"}},
			{IP: "2001:db8::10", SeenBy: []string{"icmp"}},
			{IP: "2001:db8::9", SeenBy: []string{"icmp"}},
			{IP: "2001:db8::a", SeenBy: []string{"icmp"}},
		}
		for i := 0; i < 1200; i++ {
			eps = append(eps, wire.Endpoint{IP: fmt.Sprintf("10.1.%d.%d", i/200, i%200+1), SeenBy: []string{"tcp"}})
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return UpsertEndpoints(ctx, tx, "CZJ", "r1", "a1", at, eps)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := New(db).Endpoints(ctx, "CZJ", 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1205 {
			t.Fatalf("%d endpoints, want 1205", len(got))
		}
		// IPv6 after IPv4, by value: ::9 < ::a < ::10.
		if v6 := got[1202:]; v6[0].IP != "2001:db8::9" || v6[1].IP != "2001:db8::a" || v6[2].IP != "2001:db8::10" {
			t.Errorf("IPv6 order %s %s %s", v6[0].IP, v6[1].IP, v6[2].IP)
		}
		if got[0].IP != "10.0.0.2" || got[1].IP != "10.0.0.10" || got[2].IP != "10.1.0.1" || got[3].IP != "10.1.0.2" || got[11].IP != "10.1.0.10" {
			t.Errorf("order %s %s %s %s ... %s", got[0].IP, got[1].IP, got[2].IP, got[3].IP, got[11].IP)
		}
		if two := got[0]; two.MAC != "00:00:00:00:00:02" || two.Hostname != "two" || fmt.Sprint(two.SeenBy) != "[arp]" {
			t.Errorf("merged repeat = %+v", two)
		}
	})
}
