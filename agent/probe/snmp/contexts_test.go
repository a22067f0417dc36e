package snmp

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/snmpsim"
	"github.com/egovnet/egovnet/internal/testenv"
)

// contextSimulator serves testdata/contexts: a synthetic Cisco router whose
// default context lists VRFs blue and red and VLANs 1, 10 and 1002 (vtp)
// but holds no FDB, with one file per context: community@context for
// v1/v2c ("ctx-router@blue", "ctx-router@10"), and the bare context name
// for SNMPv3 ("blue", "vlan-10"), which is how snmpsim maps both.
func contextSimulator(t *testing.T) *snmpsim.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (snmpsimd) skipped in -short mode")
	}
	testenv.Binary(t, "snmpsimd")
	dir, err := filepath.Abs(filepath.Join("testdata", "contexts"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := snmpsim.Start(ctx, snmpsim.Config{DataDirs: []string{dir}})
	if err != nil {
		t.Fatalf("start snmpsimd: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}

// TestContextWalks: VRF routes and ARP come from each VRF's context with
// routes[].vrf set (the default context's stay global), and a Cisco switch
// without a default-context FDB is read per VLAN, bridge ports mapped in
// each VLAN's own dot1dBasePortTable (port 7 of VLAN 10 is unmapped: 0).
func TestContextWalks(t *testing.T) {
	sim := contextSimulator(t)
	wantRoutes := []string{"/0.0.0.0/0", "blue/10.10.0.0/24", "blue/172.20.0.0/16", "red/10.20.0.0/24"}
	wantFDB := `[{"mac":"00:1a:2b:3c:4d:01","vlan":1,"bridge_port":1,"if_index":1,"status":3},` +
		`{"mac":"00:1a:2b:3c:4d:02","vlan":1,"bridge_port":2,"if_index":2,"status":3},` +
		`{"mac":"00:1a:2b:3c:4d:10","vlan":10,"bridge_port":5,"if_index":11,"status":3},` +
		`{"mac":"00:1a:2b:3c:4d:11","vlan":10,"bridge_port":7,"if_index":0,"status":0}]`
	// OID order: the shorter name first (the index is length-prefixed).
	wantVRFs := `[{"name":"red","rd":"65000:20","if_indexes":[3]},{"name":"blue","rd":"65000:10","if_indexes":[10,11]}]`
	for _, tc := range []struct {
		name string
		cred Credential
	}{
		{"v2c community@context", Credential{Version: V2c, Community: "ctx-router"}},
		{"v3 context names", Credential{Version: V3, User: V3User{User: "simulator", AuthProto: "MD5", AuthPass: "auctoritas",
			PrivProto: "DES", PrivPass: "privatus", Context: "ctx-router"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := Walk(context.Background(), sim.Endpoint(), tc.cred, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Errors) != 0 {
				t.Errorf("errors: %+v", inv.Errors)
			}
			var routes []string
			for _, r := range inv.Routes {
				routes = append(routes, r.VRF+"/"+r.Destination)
			}
			sort.Strings(routes)
			if mustJSON(t, routes) != mustJSON(t, wantRoutes) {
				t.Errorf("routes %v, want %v", routes, wantRoutes)
			}
			if len(inv.ARP) != 2 || inv.ARP[1].IP != "10.10.0.254" || inv.ARP[1].IfIndex != 10 {
				t.Errorf("arp %+v, want the global entry and blue's 10.10.0.254 on ifIndex 10", inv.ARP)
			}
			if got := mustJSON(t, inv.FDB); got != wantFDB {
				t.Errorf("fdb:\n got %s\nwant %s", got, wantFDB)
			}
			if got := mustJSON(t, inv.VRFs); got != wantVRFs {
				t.Errorf("vrfs:\n got %s\nwant %s", got, wantVRFs)
			}
			if err := inv.Validate(); err != nil {
				t.Errorf("wire validation: %v", err)
			}
		})
	}
	t.Run("contexts off", func(t *testing.T) {
		o := testOpts()
		o.NoContexts = true
		inv, err := Walk(context.Background(), sim.Endpoint(), Credential{Version: V2c, Community: "ctx-router"}, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Routes) != 1 || len(inv.FDB) != 0 || len(inv.VRFs) != 2 {
			t.Errorf("routes %d fdb %d vrfs %d, want 1 0 2", len(inv.Routes), len(inv.FDB), len(inv.VRFs))
		}
	})
}

// TestContextWalksAreBounded: a device that lists VRFs but answers no
// context costs one context probe, not one per VRF, and records no error.
func TestContextWalksAreBounded(t *testing.T) {
	view := fakeView()
	for _, n := range "abcdefgh" {
		view = append(view, gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.10.166.11.1.2.2.1.4.1." + itoa(int(n)), Type: gosnmp.OctetString, Value: []byte("65000:1")})
	}
	a := startFakeAgent(t, view, nil)
	o := fakeOpts()
	o.ContextProbeTimeout = 200 * time.Millisecond
	o.NoContexts = true
	if _, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, o); err != nil {
		t.Fatal(err)
	}
	without := a.requests.Load()
	o.NoContexts = false
	inv, err := Walk(context.Background(), a.addr(), Credential{Version: V2c, Community: "fake"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if extra := a.requests.Load() - 2*without; extra != 1 {
		t.Errorf("context walks cost %d requests, want 1 silent probe for 9 VRFs", extra)
	}
	if len(inv.VRFs) != 9 { // the fake view's "dj" and these 8
		t.Errorf("vrfs = %d, want 9", len(inv.VRFs))
	}
	if len(inv.Errors) != 0 {
		t.Errorf("errors %+v: a device without contexts is not an error", inv.Errors)
	}
	for _, r := range inv.Routes {
		if r.VRF != "" {
			t.Errorf("route %+v from a context the device never answered", r)
		}
	}
}
