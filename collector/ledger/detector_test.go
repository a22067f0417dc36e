package ledger

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/wire"
)

var update = flag.Bool("update", false, "rewrite golden files")

var _ rules.Detector = (*Detector)(nil)

type findingSummary struct {
	Rule, Subject, Title string
	Devices              []string
	Aggregate            map[string]any
}

func summarise(fs []rules.Finding) []findingSummary {
	var out []findingSummary
	for _, f := range fs {
		s := findingSummary{Rule: f.Rule, Subject: f.Subject, Title: f.Title}
		for i, e := range f.Evidence {
			if i == 0 {
				s.Aggregate = e.Detail
				continue
			}
			s.Devices = append(s.Devices, e.Detail["device"].(string)+" "+e.Detail["status"].(string))
		}
		out = append(out, s)
	}
	return out
}

func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if string(want) != string(b) {
		t.Errorf("%s differs from golden (rerun with -update and review the diff):\n%s", path, b)
	}
}

// TestOfflineDetector is the audit's case: licences from the plan's CSV
// file, installs from real recordings, no database.
func TestOfflineDetector(t *testing.T) {
	cat := catalog.MustDefault()
	ls, err := ReadLicensesFile(filepath.Join("testdata", "licenses.csv"), cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 3 || ls[0].Product != "ms-office" || ls[0].Cost != 3200 || ls[2].Department != "" || ls[2].Expiry != "2021-01-09" {
		t.Fatalf("licences = %+v", ls)
	}
	xp := recordedDevice(t, "snmpsim-data/ssd-windows-xp.snmprec", "10.1.0.21:161")
	w2k3 := recordedDevice(t, "snmpsim-data/ssd-windows-server-2003.snmprec", "10.1.0.22:161")
	d := NewOfflineDetector(cat, ls)
	at := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	fs, err := d.Detect(context.Background(), rules.Input{Department: "CZJ", Reports: []*wire.ScanReport{report("r1", "CZJ", at, []wire.DeviceInventory{xp, w2k3}, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	got := summarise(fs)
	rulesSeen := map[string]bool{}
	for _, f := range fs {
		rulesSeen[f.Rule+" "+f.Subject] = true
		if f.Department != "CZJ" || len(f.Evidence) == 0 || f.Title == "" || f.TitleEN == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
	for _, want := range []string{
		"unlicensed-software windows-server", // no licence at all
		"unlicensed-software eset",           // pool licence expired 2021-01-09
		"license-over-deployment ms-office",  // 2 installs, 1 seat
		"unfiled-software windows",           // the Windows licence is not filed
	} {
		if !rulesSeen[want] {
			t.Errorf("missing finding %s; got %v", want, rulesSeen)
		}
	}
	if rulesSeen["unlicensed-software adobe-reader"] {
		t.Error("Adobe Reader is free: it needs no licence")
	}
	goldenJSON(t, "offline_findings.json", got)
}

// TestDetectorSharesPoolAcrossDepartments: the collector's detector gives
// pool seats to the other departments' stored installs first when their
// codes sort first, whatever order the processors run in.
func TestDetectorSharesPoolAcrossDepartments(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		mk := func(name string) wire.DeviceInventory {
			return wire.DeviceInventory{Target: name, System: wire.System{Name: name}, Software: []wire.Software{{Name: "金山毒霸企业版", Source: "snmp"}, {Name: "Kylin-Desktop V10 SP1", Source: "snmp"}}}
		}
		// department AAA already recorded with two installs; BBB is being judged
		if err := s.RecordReport(ctx, report("a1", "AAA", t0, []wire.DeviceInventory{mk("10.9.0.1"), mk("10.9.0.2")}, nil), "AAA"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateLicense(ctx, License{ID: "pool", Product: "kingsoft-antivirus", Seats: 3, FilingStatus: "filed"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateLicense(ctx, License{ID: "kylin-bbb", Product: "kylin-os", Seats: 5, Department: "BBB", FilingStatus: "pending"}); err != nil {
			t.Fatal(err)
		}
		d := NewDetector(s)
		rep := report("b1", "BBB", t0.Add(time.Hour), []wire.DeviceInventory{mk("10.8.0.1"), mk("10.8.0.2")}, nil)
		fs, err := d.Detect(ctx, rules.Input{Department: "BBB", Reports: []*wire.ScanReport{rep}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			got = append(got, f.Rule+" "+f.Subject)
		}
		want := "license-over-deployment kingsoft-antivirus|unfiled-software kylin-os"
		if strings.Join(got, "|") != want {
			t.Errorf("findings %q, want %q", got, want)
		}
		for _, f := range fs {
			if f.Rule == wire.RuleLicenseOverDeployment {
				agg := f.Evidence[0].Detail
				if agg["installs"] != 2 || agg["licensed"] != 1 || agg["over_deployed"] != 1 {
					t.Errorf("over-deployment evidence = %v", agg)
				}
				if len(f.Evidence) != 2 || f.Evidence[1].Method != "snmp" || f.Evidence[1].Agent != "agent-BBB" {
					t.Errorf("device evidence = %+v", f.Evidence[1:])
				}
			}
		}
	})
}

// TestLedgerTablesGolden renders the inspectors' tables (汇总表, 明细表)
// for the two Windows recordings judged against the sample licence sheet.
func TestLedgerTablesGolden(t *testing.T) {
	cat := catalog.MustDefault()
	ls, err := ReadLicensesFile(filepath.Join("testdata", "licenses.csv"), cat)
	if err != nil {
		t.Fatal(err)
	}
	xp := recordedDevice(t, "snmpsim-data/ssd-windows-xp.snmprec", "10.1.0.21:161")
	w2k3 := recordedDevice(t, "snmpsim-data/ssd-windows-server-2003.snmprec", "10.1.0.22:161")
	at := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	var rows []Row
	for _, d := range Extract(cat, report("r1", "CZJ", at, []wire.DeviceInventory{xp, w2k3}, nil), "CZJ") {
		rows = append(rows, d.Rows...)
	}
	ev := Evaluate(installsFromRows(rows), ls, at)
	var buf strings.Builder
	for _, tbl := range []struct {
		name string
		head []string
		rows [][]string
	}{
		{"summary", nil, nil}, {"details", nil, nil},
	} {
		switch tbl.name {
		case "summary":
			tbl.head, tbl.rows = SummaryTable(ev.Summary)
		case "details":
			tbl.head, tbl.rows = DetailsTable(ev.Details)
		}
		buf.WriteString("## " + TableTitles[tbl.name] + "\n")
		if err := writeCSV(&buf, tbl.head, tbl.rows); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join("testdata", "tables.golden.csv")
	if *update {
		if err := os.WriteFile(path, []byte(buf.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if string(want) != buf.String() {
		t.Errorf("%s differs (rerun with -update and review):\n%s", path, buf.String())
	}
	d := ev.Department("CZJ")
	if d.Installs != 6 || d.Legal != 3 || d.Unlicensed != 3 || d.Rate != 0.5 {
		t.Errorf("department = %+v", d)
	}
}
