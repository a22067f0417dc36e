package devices_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// fixture: an access switch (engine ID) whose port 1 holds one PC, port 3 a
// hub with five MACs, port 4 the LLDP uplink to the router; and a router
// known only by sysName and chassis MAC.
func fixtureSwitch() wire.DeviceInventory {
	d := wire.DeviceInventory{
		Target:   "10.1.0.2:161",
		EngineID: "80000009030000AABBCC0001",
		System:   wire.System{Name: "czj-sw1", Descr: "Cisco IOS", ObjectID: "1.3.6.1.4.1.9.1.1208"},
		Interfaces: []wire.Interface{
			{Index: 1, Name: "Gi0/1", MAC: "00:aa:bb:cc:00:01"}, {Index: 2, Name: "Gi0/2", MAC: "00:aa:bb:cc:00:02"},
			{Index: 3, Name: "Gi0/3", MAC: "00:aa:bb:cc:00:03"}, {Index: 4, Name: "Gi0/24", MAC: "00:aa:bb:cc:00:04"},
		},
		IPAddresses: []wire.IPAddress{{Address: "10.1.0.2", PrefixLen: 24, IfIndex: 1}},
		Routes:      []wire.Route{{Destination: "0.0.0.0/0", NextHop: "10.1.0.1", Protocol: 3}, {Destination: "10.9.0.0/16", NextHop: "10.1.0.1", Protocol: 3}},
		Neighbors:   []wire.Neighbor{{Protocol: "lldp", LocalIfIndex: 4, ChassisID: "00:bb:00:00:00:01", PortID: "Gi0/0", SysName: "czj-r1", Address: "10.1.0.1"}},
		FDB: []wire.FDBEntry{
			{MAC: "00:11:22:33:44:55", VLAN: 10, BridgePort: 1, IfIndex: 1, Status: 3},
			{MAC: "00:bb:00:00:00:01", VLAN: 10, BridgePort: 24, IfIndex: 4, Status: 3},
			{MAC: "00:11:22:33:44:66", VLAN: 10, BridgePort: 24, IfIndex: 4, Status: 3},
			{MAC: "00:aa:bb:cc:00:01", VLAN: 10, BridgePort: 1, IfIndex: 1, Status: 4},
		},
		Entities: []wire.Entity{{Index: 1, Class: 3, Model: "WS-C2960X-24TS-L", Serial: "FOC1234X0AB", Name: "chassis"}},
	}
	for i := 0; i < 5; i++ {
		d.FDB = append(d.FDB, wire.FDBEntry{MAC: "00:22:00:00:00:0" + string(rune('1'+i)), VLAN: 20, BridgePort: 3, IfIndex: 3, Status: 3})
	}
	return d
}

func fixtureRouter() wire.DeviceInventory {
	return wire.DeviceInventory{
		Target:      "10.1.0.1:161",
		System:      wire.System{Name: "czj-r1", ObjectID: "1.3.6.1.4.1.2011.2.23.1"},
		Interfaces:  []wire.Interface{{Index: 1, Name: "GE0/0/0", MAC: "00:bb:00:00:00:01"}},
		IPAddresses: []wire.IPAddress{{Address: "10.1.0.1", PrefixLen: 24, IfIndex: 1}},
	}
}

func TestStore(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := devices.NewStore(db)
		t0 := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
		t1, t2 := t0.Add(24*time.Hour), t0.Add(48*time.Hour)
		sw, r1 := fixtureSwitch(), fixtureRouter()
		eps := []wire.Endpoint{{IP: "10.1.0.10", MAC: "00:11:22:33:44:55"}}
		if err := st.Apply(ctx, "CZJ", "rep-1", t1, []wire.DeviceInventory{sw, r1}, eps); err != nil {
			t.Fatal(err)
		}
		if err := st.Apply(ctx, "GAJ", "rep-g", t1, []wire.DeviceInventory{{Target: "10.2.0.1:161", System: wire.System{Name: "gaj-sw"}}}, nil); err != nil {
			t.Fatal(err)
		}

		all, total, err := st.List(ctx, "", paging.Page{Limit: 10})
		if err != nil || total != 3 || len(all) != 3 {
			t.Fatalf("list all: %d/%d %v", len(all), total, err)
		}
		czj, total, err := st.List(ctx, "CZJ", paging.Page{Limit: 1, Offset: 1})
		if err != nil || total != 2 || len(czj) != 1 || czj[0].Name != "czj-sw1" {
			t.Fatalf("CZJ page 2: %+v total %d %v", czj, total, err)
		}
		s := czj[0]
		if s.Vendor != "Cisco" || s.Model != "WS-C2960X-24TS-L" || s.Serial != "FOC1234X0AB" || s.Interfaces != 4 || s.Routes != 2 || s.Neighbors != 1 || s.FDB != 9 {
			t.Errorf("summary: %+v", s)
		}
		for _, tc := range []struct {
			q    string
			want int
		}{{"HUAWEI", 1}, {"10.1.0.2", 1}, {"foc1234", 1}, {"czj-", 2}, {"nothing", 0}, {"10_1", 0}} {
			_, n, err := st.List(ctx, "CZJ", paging.Page{Limit: 10, Q: tc.q})
			if err != nil || n != tc.want {
				t.Errorf("q=%q: %d, want %d (%v)", tc.q, n, tc.want, err)
			}
		}

		loc, err := st.Locate(ctx, []devices.Key{{"CZJ", "00:11:22:33:44:55"}, {"CZJ", "00:11:22:33:44:66"}, {"CZJ", "00:22:00:00:00:01"}, {"GAJ", "00:11:22:33:44:55"}})
		if err != nil {
			t.Fatal(err)
		}
		want := devices.Location{Device: "czj-sw1", DeviceID: s.ID, IfIndex: 1, Port: "Gi0/1", VLAN: 10}
		if len(loc) != 1 || loc[devices.Key{"CZJ", "00:11:22:33:44:55"}] != want {
			t.Errorf("locations: %+v (uplink and hub ports must not place; other departments neither)", loc)
		}

		// Next day: an interface appears, a route and the neighbour go away.
		sw2 := fixtureSwitch()
		sw2.Target = "10.1.0.3:161" // readdressed: same engine ID, same device
		sw2.Interfaces = append(sw2.Interfaces, wire.Interface{Index: 5, Name: "Gi0/5"})
		sw2.Routes = sw2.Routes[:1]
		sw2.Neighbors = nil
		eps2 := []wire.Endpoint{{IP: "10.1.0.20", MAC: "00:11:22:33:44:55"}}
		for i := 0; i < 2; i++ { // the second apply is a processor re-run
			if err := st.Apply(ctx, "CZJ", "rep-2", t2, []wire.DeviceInventory{sw2}, eps2); err != nil {
				t.Fatal(err)
			}
		}
		// An old offline import only moves first_seen back.
		old := fixtureSwitch()
		old.Interfaces = old.Interfaces[:1]
		if err := st.Apply(ctx, "CZJ", "rep-0", t0, []wire.DeviceInventory{old}, nil); err != nil {
			t.Fatal(err)
		}
		d, err := st.Get(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Target != "10.1.0.3:161" || len(d.Interfaces) != 5 || !d.FirstSeen.Equal(t0) || !d.LastSeen.Equal(t2) || d.Department != "CZJ" {
			t.Errorf("device: target %s, %d interfaces, first %v last %v", d.Target, len(d.Interfaces), d.FirstSeen, d.LastSeen)
		}
		var got []string
		for _, c := range d.History {
			got = append(got, c.At.Format("01-02")+" "+c.Change+" "+c.Detail)
		}
		wantH := []string{
			"12-02 interface-added 5 Gi0/5",
			"12-02 neighbor-removed lldp Gi0/24 ↔ czj-r1 Gi0/0",
			"12-02 route-removed 10.9.0.0/16 via 10.1.0.1",
			"12-01 first-seen 10.1.0.2:161",
		}
		if !slices.Equal(got, wantH) {
			t.Errorf("history:\n got %q\nwant %q", got, wantH)
		}
		if _, err := st.Get(ctx, "nope"); err != devices.ErrNotFound {
			t.Errorf("missing device: %v", err)
		}

		h, err := st.AddressHistory(ctx, "CZJ", "00-11-22-33-44-55")
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Addresses) != 2 || h.Addresses[0].IP != "10.1.0.10" || h.Addresses[1].IP != "10.1.0.20" || !h.Addresses[1].FirstSeen.Equal(t2) {
			t.Errorf("address moves: %+v", h)
		}
		macs, err := st.MACsOf(ctx, "CZJ", "10.1.0.20")
		if err != nil || len(macs) != 1 || macs[0] != "00:11:22:33:44:55" {
			t.Errorf("MACs of 10.1.0.20: %v %v", macs, err)
		}
	})
}

func TestIdentity(t *testing.T) {
	sw := fixtureSwitch()
	r := fixtureRouter()
	bare := wire.DeviceInventory{Target: "10.1.0.9:161", System: wire.System{Name: "x"}}
	tests := []struct {
		name string
		d    *wire.DeviceInventory
		want string
	}{
		{"engine id wins", &sw, "engine:80000009030000aabbcc0001"},
		{"sysname and chassis mac", &r, "sysname:czj-r1/00:bb:00:00:00:01"},
		{"target last", &bare, "target:10.1.0.9:161"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := devices.Identity(tc.d); got != tc.want {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
}
