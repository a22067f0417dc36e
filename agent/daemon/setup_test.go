package daemon

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/scheduler"
	"github.com/egovnet/egovnet/agent/uplink"
	iconfig "github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/release"
	"github.com/egovnet/egovnet/internal/wire"
)

func TestResolveEndpoint(t *testing.T) {
	id := &uplink.Identity{Collector: "https://enrolled.example:8443", CAFile: "/id/ca.pem", Credential: "id-cred", ReleaseKey: "k"}
	tests := []struct {
		name  string
		local config.Collector
		id    *uplink.Identity
		want  Endpoint
	}{
		{"not enrolled, nothing local", config.Collector{}, nil, Endpoint{}},
		{"not enrolled, local only", config.Collector{URL: "https://local", CAFile: "/l.pem", Credential: "lc"}, nil,
			Endpoint{URL: "https://local", CAFile: "/l.pem", Credential: "lc"}},
		{"enrolled fills every empty setting", config.Collector{}, id,
			Endpoint{URL: id.Collector, CAFile: "/id/ca.pem", Credential: "id-cred", ReleaseKey: "k"}},
		{"local settings win, release key still from enrolment", config.Collector{URL: "https://local", CAFile: "/l.pem", Credential: "lc"}, id,
			Endpoint{URL: "https://local", CAFile: "/l.pem", Credential: "lc", ReleaseKey: "k"}},
		{"mixed: local URL, enrolled CA and credential", config.Collector{URL: "https://local"}, id,
			Endpoint{URL: "https://local", CAFile: "/id/ca.pem", Credential: "id-cred", ReleaseKey: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveEndpoint(tt.local, tt.id); got != tt.want {
				t.Errorf("ResolveEndpoint = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEnableManagement(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key := release.EncodeKey(pub)
	client, err := uplink.New("http://127.0.0.1:1", uplink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		client          *uplink.Client
		cred, key       string
		auto, once      bool
		poller, updater bool
	}{
		{"no collector: nothing", nil, "c", key, true, false, false, false},
		{"no credential: nothing", client, "", key, true, false, false, false},
		{"managed, auto update", client, "c", key, true, false, true, true},
		{"managed, update.auto off", client, "c", key, false, false, true, false},
		{"--once never updates", client, "c", key, true, true, true, false},
		{"no pinned release key: no updater", client, "c", "", true, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := &config.Config{DataDir: t.TempDir()}
			local.Update.Auto = tt.auto
			d := &Daemon{Local: local, Cycle: &scheduler.Cycle{Client: tt.client, Credential: tt.cred},
				Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			d.EnableManagement(Management{ReleaseKey: tt.key, Once: tt.once, Version: "1.0.0", Exe: "/x",
				Stats: func() (int64, int64) { return 0, 0 }})
			if (d.Poller != nil) != tt.poller || (d.Updater != nil) != tt.updater {
				t.Errorf("poller %v updater %v, want %v %v", d.Poller != nil, d.Updater != nil, tt.poller, tt.updater)
			}
		})
	}
}

func TestOnceOutcome(t *testing.T) {
	tests := []struct {
		name     string
		res      scheduler.Result
		wantKept bool
		wantErr  string
	}{
		{"sent", scheduler.Result{Flush: uplink.FlushResult{Sent: 1}}, false, ""},
		{"refused is a failure", scheduler.Result{Flush: uplink.FlushResult{Rejected: 2}, FlushErr: errors.New("x")}, false, "refused 2 report(s)"},
		{"collector down: kept for next run", scheduler.Result{FlushErr: errors.New("connection refused")}, true, ""},
		{"not enrolled: kept silently", scheduler.Result{FlushErr: uplink.ErrNotEnrolled}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, err := OnceOutcome(tt.res, "/sp")
			if kept != tt.wantKept {
				t.Errorf("kept = %v, want %v", kept, tt.wantKept)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want containing %q", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), filepath.Join("/sp", "rejected")) {
				t.Errorf("err %v does not name the rejected folder", err)
			}
		})
	}
}

// TestWriteOnce: `run --once --out F` writes a decodable report of this
// machine (no scope: host facts only), with mode 0600, and sends nothing.
func TestWriteOnce(t *testing.T) {
	t.Setenv("EGOVNET_DATA_DIR", t.TempDir())
	local, err := config.Load(iconfig.New(), "")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{Local: local, Cycle: &scheduler.Cycle{}, Agent: wire.Agent{ID: "unenrolled"},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	out := filepath.Join(t.TempDir(), "report.json")
	if err := d.WriteOnce(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("report file %v, %v: want mode 0600", st, err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := wire.DecodeReport(f, 64<<20)
	if err != nil || rep.Host == nil || rep.Agent.ID != "unenrolled" {
		t.Fatalf("decoded %+v, %v", rep, err)
	}
	if err := d.WriteOnce(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "r.json")); err == nil {
		t.Error("an unwritable path must be an error")
	}
}
