package endpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

func TestFactsFile(t *testing.T) {
	tests := []struct {
		name, body string
		wantErr    bool
		host, user string
		serial     string
	}{
		{name: "full identity", body: `{"hostname":"pc-017","user":"zhangsan","os_info":{"name":"Kylin","version":"V10","edition":"Desktop","arch":"arm64","activated":true},"hardware":{"vendor":"Lenovo","model":"M720","serial":"SN017"}}`,
			host: "pc-017", user: "zhangsan", serial: "SN017"},
		{name: "no hostname keeps the machine's", body: `{"user":"lisi"}`, host: "real-host", user: "lisi"},
		{name: "misspelt key refused", body: `{"hostnme":"x"}`, wantErr: true},
		{name: "not json", body: `hostname: x`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "facts.json")
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := ReadFactsFile(p)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			h := &wire.Host{Hostname: "real-host", User: "root", Hardware: &wire.Hardware{Serial: "REAL"}}
			f.Apply(h)
			serial := ""
			if h.Hardware != nil {
				serial = h.Hardware.Serial
			}
			if h.Hostname != tc.host || h.User != tc.user || serial != tc.serial {
				t.Fatalf("host = %+v hw %+v", h, h.Hardware)
			}
		})
	}
	if _, err := ReadFactsFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("a missing file reads")
	}
}
