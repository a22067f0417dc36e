package lifecycle

import (
	"context"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// deviceLocator is the collector's adapter (collector/server) over the
// real device inventory.
type deviceLocator struct{ st *devices.Store }

func (l deviceLocator) LocateMACs(ctx context.Context, dept string, macs []string) (map[string]Location, error) {
	var keys []devices.Key
	for _, m := range macs {
		keys = append(keys, devices.Key{Department: dept, MAC: m})
	}
	locs, err := l.st.Locate(ctx, keys)
	out := map[string]Location{}
	for k, v := range locs {
		out[k.MAC] = Location{Device: v.Device, Port: v.Port, VLAN: v.VLAN}
	}
	return out, err
}

// TestFindingsNameTheSwitchPort (issue 13): a finding about a host whose
// MAC an access switch learned names that switch, port and VLAN in its
// evidence; a host the switch does not place gets no location.
func TestFindingsNameTheSwitchPort(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		p := NewProcessorWith(districtEngine(t), st, ProcessorOptions{ResolveAfter: 3, Locator: deviceLocator{devices.NewStore(db)}})
		rep := cloneReport(t, loadReports(t, "rsj")[0], "6f1c2a10-0013-4c00-8000-000000000001", time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC))
		// an access switch: 10.3.0.50's MAC learned on Gi0/0/5 in VLAN 30;
		// its uplink port carries many MACs and is no access port
		sw := wire.DeviceInventory{Target: "10.3.0.2:161", System: wire.System{Name: "rsj-acc-1", ObjectID: "1.3.6.1.4.1.2011.2.23.1"},
			Interfaces: []wire.Interface{{Index: 5, Name: "GigabitEthernet0/0/5"}, {Index: 24, Name: "GigabitEthernet0/0/24"}},
			FDB:        []wire.FDBEntry{{MAC: "52:54:00:03:00:32", VLAN: 30, BridgePort: 5, IfIndex: 5, Status: 3}}}
		for i := 0; i < 6; i++ {
			sw.FDB = append(sw.FDB, wire.FDBEntry{MAC: "52:54:00:03:01:0" + string(rune('0'+i)), VLAN: 30, BridgePort: 24, IfIndex: 24, Status: 3})
		}
		sw.FDB = append(sw.FDB, wire.FDBEntry{MAC: "52:54:00:03:00:33", VLAN: 30, BridgePort: 24, IfIndex: 24, Status: 3})
		rep.Devices = append(rep.Devices, sw)
		if err := file(ctx, p, rep, "RSJ"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			subject string
			want    map[string]any // nil: no location
		}{
			{"server on an access port", "10.3.0.50", map[string]any{"device": "rsj-acc-1", "port": "GigabitEthernet0/0/5", "vlan": float64(30)}},
			{"server seen only behind the uplink", "10.3.0.51", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				v, err := st.Get(ctx, rules.ViolationID("RSJ", wire.RuleLocalServer, tc.subject))
				if err != nil {
					t.Fatal(err)
				}
				if len(v.Evidence) == 0 {
					t.Fatal("no evidence")
				}
				for _, ev := range v.Evidence {
					got, ok := ev.Detail["location"].(map[string]any)
					switch {
					case tc.want == nil && ev.Detail["location"] != nil:
						t.Errorf("location %v for a host no access port places", ev.Detail["location"])
					case tc.want != nil && (!ok || got["device"] != tc.want["device"] || got["port"] != tc.want["port"] || got["vlan"] != tc.want["vlan"]):
						t.Errorf("location %v, want %v", ev.Detail["location"], tc.want)
					}
				}
			})
		}
	})
}
