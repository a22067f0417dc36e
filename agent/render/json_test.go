package render

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestJSONIsEncodingJSONByteForByte(t *testing.T) {
	at := time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)
	base := wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: "r1", Agent: wire.Agent{ID: "a", Hostname: "h<1>&"},
		StartedAt: at, FinishedAt: at, Scope: []string{"192.0.2.0/24"}}
	eps := []wire.Endpoint{
		{IP: "192.0.2.1", SeenBy: []string{"icmp"}, Role: "router", SysDescr: "a <b> & \"c\" 区"},
		{IP: "192.0.2.2", SeenBy: []string{"tcp"}, OpenPorts: []int{80}, HTTP: []wire.HTTPInfo{{Port: 80, Title: "门户 <x>"}},
			Names: []wire.Name{{Name: "www.example.gov.cn", Source: "ptr"}}},
		{IP: "192.0.2.3"},
	}
	tests := []struct {
		name string
		eps  []wire.Endpoint
	}{
		{"no endpoints", nil},
		{"one", eps[:1]},
		{"several with HTML characters and names", eps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			r.Endpoints = tt.eps
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(&r); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := JSON(&got, &r); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("got\n%s\nwant\n%s", got.String(), want.String())
			}
		})
	}
}
