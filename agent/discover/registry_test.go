package discover

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover/method"
	"github.com/egovnet/egovnet/agent/uplink"
)

func TestEnabled(t *testing.T) {
	cfg := config.Config{Scope: config.Scope{UDP: true, HTTP: true}}
	noExtras := config.Config{}
	tests := []struct {
		name  string
		in    string
		given bool
		cfg   config.Config
		want  string
		bad   bool
	}{
		{"default is all", "", false, cfg, allOn(), false},
		{"default without udp and http", "", false, noExtras, allOnBut("http", "udp"), false},
		{"tcp brings http titles", "tcp", true, cfg, "map[http:true tcp:true]", false},
		{"explicit udp", "udp, ICMP", true, noExtras, "map[icmp:true udp:true]", false},
		{"unknown", "tcp,ftp", true, cfg, "", true},
		{"empty", ",", true, cfg, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Enabled(tc.in, tc.given, &tc.cfg)
			if (err != nil) != tc.bad || (!tc.bad && fmt.Sprint(got) != tc.want) {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func TestMergePrefixes(t *testing.T) {
	in := []netip.Prefix{
		netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("10.1.0.5/32"),
		netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("2001:db8::/64"),
	}
	if got := fmt.Sprint(MergePrefixes(in)); got != "[10.1.0.0/24 10.0.0.0/16 2001:db8::/64]" {
		t.Fatalf("got %s", got)
	}
}

// allOn is every registered method enabled, as fmt prints the map.
func allOn() string { return allOnBut() }

// allOnBut: every method enabled but those listed (absent when they
// follow another method, false otherwise).
func allOnBut(off ...string) string {
	m := map[string]bool{}
	for _, n := range Names() {
		m[n] = true
	}
	for _, n := range off {
		if n == "http" {
			delete(m, n)
		} else {
			m[n] = false
		}
	}
	return fmt.Sprint(m)
}

// TestSeenByNamesAgreeWithWire: every method that marks seen_by is a name
// wire validation accepts, and the extras (http, dns) are not seen_by names.
func TestSeenByNamesAgreeWithWire(t *testing.T) {
	valid := func(name string) error {
		rep := RunList(context.Background(), []Method{{Name: name, Phase: method.Sweep, Run: func(ctx context.Context, in Input) (Batch, error) {
			return Batch{Alive: []Alive{{Addr: addr("192.0.2.7"), RTT: time.Millisecond}}}, nil
		}}}, Hooks{}, Request{Scope: scope24, Enabled: map[string]bool{name: true}, Agent: agent()})
		if len(rep.Endpoints) != 1 {
			t.Fatalf("%s: endpoints %v", name, rep.Endpoints)
		}
		return rep.Validate()
	}
	for _, n := range SeenByNames() {
		t.Run(n, func(t *testing.T) {
			if err := valid(n); err != nil {
				t.Fatalf("wire rejects seen_by %q: %v", n, err)
			}
		})
	}
	for _, n := range Names() {
		if slices.Contains(SeenByNames(), n) {
			continue
		}
		t.Run(n+" is not a seen_by name", func(t *testing.T) {
			if err := valid(n); err == nil {
				t.Fatalf("wire accepts seen_by %q, which no method marks", n)
			}
		})
	}
}

func TestCheckScope(t *testing.T) {
	cfg := config.Config{Scope: config.Scope{UDP: true, HTTP: true}}
	scoped := cfg
	scoped.Scope.Targets = []string{"192.0.2.0/24"}
	tests := []struct {
		name    string
		enabled map[string]bool
		cfg     config.Config
		wantErr string
	}{
		{"sweep without targets", map[string]bool{"tcp": true}, cfg, "no targets: give --targets CIDR[,CIDR...] or set scope.targets in the config " +
			"(egovnet-agent never sweeps a network it was not told to; --methods path,host need no targets)"},
		{"sweep with targets", map[string]bool{"tcp": true}, scoped, ""},
		{"host facts need no targets", map[string]bool{"host": true, "path": true}, cfg, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckScope(tc.enabled, &tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error %v\nwant %s", err, tc.wantErr)
			}
		})
	}
}

func TestReportAgent(t *testing.T) {
	id := &uplink.Identity{AgentID: "a-1", Department: "fgw"}
	tests := []struct {
		name, cfgDept string
		id            *uplink.Identity
		wantID        string
		wantDept      string
	}{
		{"unenrolled", "", nil, "unenrolled-pc1", ""},
		{"unenrolled with a configured department", "jyj", nil, "unenrolled-pc1", "jyj"},
		{"enrolled takes the identity's department", "", id, "a-1", "fgw"},
		{"the configuration's department wins", "jyj", id, "a-1", "jyj"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := ReportAgent(&config.Config{Department: tc.cfgDept}, "pc1", "1.2.3", tc.id)
			if a.ID != tc.wantID || a.Department != tc.wantDept || a.Hostname != "pc1" || a.Version != "1.2.3" {
				t.Fatalf("got %+v, want id %s department %s", a, tc.wantID, tc.wantDept)
			}
		})
	}
}
