package ledger

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

func endpointReport(id, dept string, at time.Time, h *wire.Host) *wire.ScanReport {
	rep := report(id, dept, at, nil, h)
	rep.Agent.ID, rep.Agent.Hostname, rep.Agent.Profile = "ep-"+h.Hostname, h.Hostname, "endpoint"
	return rep
}

// TestDevicesInDetails: the 明细表 carries each endpoint's user, OS and
// hardware beside its installs; a later report without a serial keeps the
// stored one; an older report imported late changes no fact; compliance
// counts devices (all, compliant, endpoint-reported).
func TestDevicesInDetails(t *testing.T) {
	yes, no := true, false
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		pcs := []*wire.Host{
			{Hostname: "pc-zhang", OS: "Windows 10 Pro", User: "zhangsan",
				OSInfo:   &wire.OSInfo{Name: "Microsoft Windows 10 专业版", Version: "22H2", Edition: "Professional", Arch: "amd64", Activated: &yes},
				Hardware: &wire.Hardware{Vendor: "Lenovo", Model: "ThinkCentre M720", Serial: "SN-ZHANG"},
				Software: []wire.Software{{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Source: "registry"}}},
			{Hostname: "pc-li", OS: "Kylin V10", User: "lisi",
				OSInfo:   &wire.OSInfo{Name: "Kylin", Version: "V10", Edition: "Desktop", Arch: "arm64"},
				Hardware: &wire.Hardware{Vendor: "Great Wall", Model: "TD120A2", Serial: "SN-LI"},
				Software: []wire.Software{{Name: "WPS Office", Version: "11.8", Source: "dpkg"}}},
			{Hostname: "pc-empty", User: "wangwu", OSInfo: &wire.OSInfo{Name: "UOS", Activated: &no}, Software: []wire.Software{}},
		}
		for i, h := range pcs {
			if err := s.RecordReport(ctx, endpointReport("r"+string(rune('a'+i)), "CZJ", t0, h), ""); err != nil {
				t.Fatal(err)
			}
		}
		// pc-zhang again, newer, without a serial (a non-root agent): the serial stays
		later := *pcs[0]
		later.Hardware = &wire.Hardware{Vendor: "Lenovo", Model: "ThinkCentre M720"}
		if err := s.RecordReport(ctx, endpointReport("r-later", "CZJ", t0.Add(time.Hour), &later), ""); err != nil {
			t.Fatal(err)
		}
		// pc-li, older, imported late with another user: the newer facts stay
		old := *pcs[1]
		old.User = "previous-owner"
		if err := s.RecordReport(ctx, endpointReport("r-old", "CZJ", t0.Add(-time.Hour), &old), ""); err != nil {
			t.Fatal(err)
		}
		ev, err := s.Evaluate(ctx, "CZJ", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		devs := map[string]Device{}
		for _, d := range ev.Devices {
			devs[d.Device] = d
		}
		tests := []struct {
			name, device, user, serial, os string
			activated                      *bool
			installs                       int
		}{
			{"windows pc keeps its serial", "pc-zhang", "zhangsan", "SN-ZHANG", "Microsoft Windows 10 专业版", &yes, 2},
			{"kylin pc keeps the newer user", "pc-li", "lisi", "SN-LI", "Kylin", nil, 2},
			{"pc without software is listed", "pc-empty", "wangwu", "", "UOS", &no, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				d, ok := devs[tc.device]
				if !ok {
					t.Fatalf("device %s missing: %+v", tc.device, ev.Devices)
				}
				serial := ""
				if d.Hardware != nil {
					serial = d.Hardware.Serial
				}
				if d.User != tc.user || serial != tc.serial || d.OSInfo == nil || d.OSInfo.Name != tc.os || d.Source != DeviceEndpoint {
					t.Fatalf("device %s = %+v (os %+v hw %+v)", tc.device, d, d.OSInfo, d.Hardware)
				}
				if (d.OSInfo.Activated == nil) != (tc.activated == nil) || (tc.activated != nil && *d.OSInfo.Activated != *tc.activated) {
					t.Fatalf("device %s activated = %v, want %v", tc.device, d.OSInfo.Activated, tc.activated)
				}
				if d.Installs != tc.installs {
					t.Fatalf("device %s: %d installs, want %d", tc.device, d.Installs, tc.installs)
				}
				for _, dt := range ev.Details {
					if dt.Device == tc.device && (dt.User != tc.user || dt.OSInfo == nil) {
						t.Fatalf("detail of %s lacks the device facts: %+v", tc.device, dt)
					}
				}
			})
		}
		ds := ev.Department("CZJ")
		// pc-zhang has unlicensed Office (no licence); pc-li's WPS and Kylin are free or unlicensed per catalog
		compliant := 0
		for _, d := range ev.Devices {
			if d.Compliant {
				compliant++
			}
		}
		if ds.Devices != 3 || ds.EndpointDevices != 3 || ds.CompliantDevices != compliant || devs["pc-zhang"].Compliant || !devs["pc-empty"].Compliant {
			t.Fatalf("department figures %+v, devices %+v", ds, ev.Devices)
		}
		head, rows := DetailsTable(ev.Details)
		if !strings.Contains(strings.Join(head, ","), "使用人") || !strings.Contains(strings.Join(head, ","), "序列号") {
			t.Fatalf("明细表 head: %v", head)
		}
		found := false
		for _, r := range rows {
			if r[1] == "pc-zhang" && strings.Contains(strings.Join(r, ","), "zhangsan") && strings.Contains(strings.Join(r, ","), "已激活") {
				found = true
			}
		}
		if !found {
			t.Fatalf("明细表 rows lack pc-zhang's user and activation: %v", rows)
		}
		exp, err := ExportSource{S: s}.Ledger(ctx, "CZJ", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var emptyRow bool
		for _, r := range exp.Detail {
			if r.Host == "pc-empty" && r.User == "wangwu" && r.Product == "" {
				emptyRow = true
			}
		}
		if !emptyRow {
			t.Fatalf("export 明细表 misses the device without installs: %+v", exp.Detail)
		}
	})
}
