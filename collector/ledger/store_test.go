package ledger

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/wire"
)

func newStore(db *store.DB) *Store {
	s := New(db, catalog.MustDefault())
	s.now = func() time.Time { return t0.Add(24 * time.Hour) }
	return s
}

func TestLicenseStore(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		l, err := s.CreateLicense(ctx, License{Product: "WPS Office 2019", Seats: 10, Department: "CZJ", Cost: 12000.5, Purpose: "日常办公",
			ContractNo: "HT-2026-01", PurchaseDate: "2026/01/15", Expiry: "", FilingStatus: "已备案"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if l.Product != "wps" || l.Category != "office" || !l.Domestic || l.PurchaseDate != "2026-01-15" || l.FilingStatus != FilingFiled || l.ID == "" {
			t.Errorf("created = %+v", l)
		}
		pool, err := s.CreateLicense(ctx, License{ID: "pool-av", Product: "qianxin-tianqing", Seats: 100, Expiry: "2027-12-31"})
		if err != nil {
			t.Fatalf("create pool: %v", err)
		}
		if pool.FilingStatus != FilingUnfiled || pool.Department != "" {
			t.Errorf("pool = %+v", pool)
		}
		// a bad licence names every problem and stores nothing
		_, err = s.CreateLicense(ctx, License{Product: "no such product", Seats: 0, Expiry: "soon", FilingStatus: "maybe"})
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 4 {
			t.Fatalf("bad licence: err = %v, want 4 problems", err)
		}
		if _, err := s.CreateLicense(ctx, License{ID: "pool-av", Product: "wps", Seats: 1}); !errors.As(err, &ve) {
			t.Errorf("duplicate id: err = %v", err)
		}
		got, err := s.GetLicense(ctx, l.ID)
		if err != nil || got.Cost != 12000.5 || got.ContractNo != "HT-2026-01" || !got.CreatedAt.Equal(l.CreatedAt) {
			t.Errorf("get = %+v, %v", got, err)
		}
		list, _ := s.ListLicenses(ctx, LicenseFilter{Department: "CZJ"})
		withPool, _ := s.ListLicenses(ctx, LicenseFilter{Department: "CZJ", WithPool: true})
		other, _ := s.ListLicenses(ctx, LicenseFilter{Department: "XXJ"})
		if len(list) != 1 || len(withPool) != 2 || len(other) != 0 {
			t.Errorf("lists: %d %d %d", len(list), len(withPool), len(other))
		}
		got.Seats = 20
		got.Product = "wps"
		up, err := s.UpdateLicense(ctx, l.ID, got)
		if err != nil || up.Seats != 20 || !up.CreatedAt.Equal(l.CreatedAt) {
			t.Errorf("update = %+v, %v", up, err)
		}
		if _, err := s.UpdateLicense(ctx, "missing", got); !errors.Is(err, ErrNotFound) {
			t.Errorf("update missing: %v", err)
		}
		bad := got
		bad.Seats = -1
		if _, err := s.UpdateLicense(ctx, l.ID, bad); !errors.As(err, &ve) {
			t.Errorf("bad update: %v", err)
		}
		if again, _ := s.GetLicense(ctx, l.ID); again.Seats != 20 {
			t.Errorf("a rejected update changed the licence: %+v", again)
		}
		if err := s.DeleteLicense(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLicense(ctx, l.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		// import: all rows or none
		_, _, err = s.ImportLicenses(ctx, []License{{Product: "dmdbms", Seats: 2, Department: "CZJ"}, {Product: "nonsense", Seats: 1}})
		if !errors.As(err, &ve) || !strings.Contains(ve.Problems[0], "row 2") {
			t.Fatalf("bad import: %v", err)
		}
		if all, _ := s.ListLicenses(ctx, LicenseFilter{}); len(all) != 1 {
			t.Errorf("a rejected import stored %d licences", len(all)-1)
		}
		c, u, err := s.ImportLicenses(ctx, []License{{Product: "达梦数据库", Seats: 2, Department: "CZJ"}, {ID: "pool-av", Product: "奇安信天擎", Seats: 150, FilingStatus: "filed"}})
		if err != nil || c != 1 || u != 1 {
			t.Fatalf("import = %d created %d updated, %v", c, u, err)
		}
		if p, _ := s.GetLicense(ctx, "pool-av"); p.Seats != 150 || p.FilingStatus != FilingFiled {
			t.Errorf("imported update = %+v", p)
		}
	})
}

// TestRecordReportsFromRecordings feeds the ledger the real hrSWInstalled
// rows of the shared recordings and this host's dpkg database, then checks
// installs, removal, late imports, maintenance events and compliance.
func TestRecordReportsFromRecordings(t *testing.T) {
	xp := recordedDevice(t, "snmpsim-data/ssd-windows-xp.snmprec", "10.1.0.21:161")
	w2k3 := recordedDevice(t, "snmpsim-data/ssd-windows-server-2003.snmprec", "10.1.0.22:161")
	rhel := recordedDevice(t, "snmpsim-data/ssd-linux-unknown-001.snmprec", "10.1.0.23:161")
	host := &wire.Host{Hostname: "agent-czj", OS: "Debian GNU/Linux 12 (bookworm)", Software: hostPackages(t)}
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		p := NewProcessor(s)
		if err := p.Process(ctx, report("r1", "CZJ", t0, []wire.DeviceInventory{xp, w2k3, rhel}, host), "CZJ"); err != nil {
			t.Fatalf("process r1: %v", err)
		}
		ins, err := s.Installs(ctx, "CZJ", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, in := range ins {
			got[in.Device+"/"+in.Product] = in.Category
		}
		for k, cat := range map[string]string{
			"10.1.0.21/windows": "os", "10.1.0.21/ms-office": "office", "10.1.0.21/adobe-reader": "layout",
			"10.1.0.22/windows-server": "os", "10.1.0.22/ms-office": "office", "10.1.0.22/eset": "antivirus",
			"10.1.0.23/rhel": "os", "agent-czj/debian": "os",
		} {
			if got[k] != cat {
				t.Errorf("install %s = %q, want %q", k, got[k], cat)
			}
		}
		osPer := map[string]int{}
		for _, in := range ins {
			if in.Category == "os" {
				osPer[in.Device]++
			}
		}
		for dev, n := range osPer {
			if n != 1 {
				t.Errorf("device %s has %d OS installs, want 1", dev, n)
			}
		}
		if len(osPer) != 4 {
			t.Errorf("OS installs on %d devices, want 4: %v", len(osPer), osPer)
		}
		all, _ := s.ListSoftware(ctx, SoftwareFilter{Department: "CZJ", All: true})
		if n := len(all); n < len(xp.Software)/2 {
			t.Errorf("stored %d rows only", n)
		}
		// second scan: ESET gone from the 2003 server, Office upgraded on XP
		w2k3b := w2k3
		w2k3b.Software = nil
		for _, sw := range w2k3.Software {
			if !strings.Contains(sw.Name, "ESET") {
				w2k3b.Software = append(w2k3b.Software, sw)
			}
		}
		xpb := xp
		xpb.Software = append([]wire.Software{{Name: "Microsoft Office Professional Plus 2016", Source: "snmp"}}, removeOffice2003(xp.Software)...)
		t1 := t0.Add(24 * time.Hour)
		if err := p.Process(ctx, report("r2", "CZJ", t1, []wire.DeviceInventory{xpb, w2k3b, {Target: "10.1.0.23:161"}}, nil), "CZJ"); err != nil {
			t.Fatalf("process r2: %v", err)
		}
		now, _ := s.Installs(ctx, "CZJ", time.Time{})
		has := func(ins []Install, key string) bool {
			for _, in := range ins {
				if in.Device+"/"+in.Product == key {
					return true
				}
			}
			return false
		}
		if has(now, "10.1.0.22/eset") {
			t.Error("ESET still installed after a scan without it")
		}
		if !has(now, "10.1.0.23/rhel") {
			t.Error("a device whose software list was empty lost its installs")
		}
		if !has(now, "agent-czj/debian") {
			t.Error("a report without host facts removed the host's installs")
		}
		before, _ := s.Installs(ctx, "CZJ", t0.Add(time.Hour))
		if !has(before, "10.1.0.22/eset") {
			t.Error("as of the first scan ESET must be installed")
		}
		// a late import of an older report changes nothing current
		if err := p.Process(ctx, report("r0", "CZJ", t0.Add(-48*time.Hour), []wire.DeviceInventory{w2k3}, nil), "CZJ"); err != nil {
			t.Fatal(err)
		}
		again, _ := s.Installs(ctx, "CZJ", time.Time{})
		if has(again, "10.1.0.22/eset") {
			t.Error("an older report brought ESET back")
		}
		evs, err := s.Maintenance(ctx, "CZJ")
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range evs {
			if e.At.Equal(t1) {
				actions = append(actions, e.Device+" "+e.Product+" "+e.Action+" "+e.From+">"+e.Version)
			}
		}
		sort.Strings(actions)
		want := []string{"10.1.0.21 ms-office upgrade 2003>2016", "10.1.0.22 eset uninstall >"}
		if strings.Join(actions, "|") != strings.Join(want, "|") {
			t.Errorf("maintenance at t1 = %q, want %q", actions, want)
		}
		// compliance: licences for Office and Windows on the XP host only
		if _, err := s.CreateLicense(ctx, License{Product: "ms-office", Seats: 1, Department: "CZJ", FilingStatus: "filed"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateLicense(ctx, License{Product: "windows", Seats: 1, Department: "CZJ", FilingStatus: "filed"}); err != nil {
			t.Fatal(err)
		}
		installs, unlicensed, rate, domestic, err := s.Compliance(ctx, "CZJ")
		if err != nil {
			t.Fatal(err)
		}
		// 10.1.0.21: windows, ms-office, adobe-reader(free); .22: windows-server, ms-office; .23: rhel; agent: debian(free) + postgresql(free)...
		if installs < 7 || unlicensed < 3 || rate <= 0 || rate >= 1 || domestic != 0 {
			t.Errorf("compliance = %d installs, %d unlicensed, rate %.2f, domestic %.2f", installs, unlicensed, rate, domestic)
		}
		sum, err := s.Summary(ctx, "CZJ")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range sum {
			if r.Product == "ms-office" && (r.Installs != 2 || r.Licensed != 1 || r.OverDeployed != 1) {
				t.Errorf("ms-office summary = %+v", r)
			}
		}
		ds, _ := s.Details(ctx, "CZJ")
		if len(ds) != installs {
			t.Errorf("details %d rows, compliance %d installs", len(ds), installs)
		}
	})
}

func removeOffice2003(sws []wire.Software) []wire.Software {
	var out []wire.Software
	for _, sw := range sws {
		if !strings.HasPrefix(sw.Name, "Microsoft Office - ") {
			out = append(out, sw)
		}
	}
	return out
}
