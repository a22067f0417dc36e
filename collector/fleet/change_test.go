package fleet

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestChangeApply(t *testing.T) {
	s := func(v string) *string { return &v }
	dir := t.TempDir()
	commFile := filepath.Join(dir, "communities")
	if err := os.WriteFile(commFile, []byte(" alpha \n\nbeta\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cur wire.AgentConfig
	cur.Scope.Targets = []string{"10.1.0.0/24"}
	cur.Scope.Ports = []int{22}
	cur.Schedule.Interval = "1h"
	cur.SNMP.Communities = []string{"old"}
	cur.Profile = "network"
	tests := []struct {
		name    string
		change  Change
		want    func(c *wire.AgentConfig)
		wantErr string
	}{
		{"nothing given keeps everything", Change{}, func(*wire.AgentConfig) {}, ""},
		{"lists split and trimmed", Change{Targets: s(" 10.2.0.0/24, ,10.3.0.0/24"), Ports: s("80, 443"), Paths: s("a,b")}, func(c *wire.AgentConfig) {
			c.Scope.Targets = []string{"10.2.0.0/24", "10.3.0.0/24"}
			c.Scope.Ports = []int{80, 443}
			c.Paths.Targets = []string{"a", "b"}
		}, ""},
		{"empty targets clears (the plan's prefixes)", Change{Targets: s("")}, func(c *wire.AgentConfig) { c.Scope.Targets = nil }, ""},
		{"interval and profile", Change{Interval: s("2h"), Profile: s("endpoint")}, func(c *wire.AgentConfig) {
			c.Schedule.Interval, c.Profile = "2h", "endpoint"
		}, ""},
		{"bad port", Change{Ports: s("80,http")}, nil, `"http" is not a port number`},
		{"communities inline", Change{Communities: s("x,y")}, func(c *wire.AgentConfig) { c.SNMP.Communities = []string{"x", "y"} }, ""},
		{"communities from a file, one per line", Change{CommunityFile: &commFile}, func(c *wire.AgentConfig) { c.SNMP.Communities = []string{"alpha", "beta"} }, ""},
		{"both community sources", Change{Communities: s("x"), CommunityFile: &commFile}, nil, "give one"},
		{"missing community file", Change{CommunityFile: s(filepath.Join(dir, "absent"))}, nil, "--snmp-community-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.change.Apply(cur)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := cur
			want.Scope.Targets = append([]string(nil), cur.Scope.Targets...)
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}
