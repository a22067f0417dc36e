package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/wire"
)

// RecordReport records the software a report shows, device by device:
// rows present are inserted or refreshed (last_seen), rows of a reported
// device that are no longer present are marked removed at the report's
// finish time. A device whose software list is empty in this report keeps
// its rows (no data is not an uninstall). Reports older than what is
// stored never move a row back in time. All in one transaction.
func (s *Store) RecordReport(ctx context.Context, rep *wire.ScanReport, department string) error {
	if department == "" {
		department = rep.Agent.Department
	}
	devices := Extract(s.cat, rep, department)
	facts := reportDevices(rep, devices)
	if len(devices) == 0 && len(facts) == 0 {
		return nil
	}
	at := store.Time(rep.FinishedAt.UTC())
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		// The device rows first, in device order: their upsert locks each
		// device, so concurrent reports of one device take turns on its
		// installs (PostgreSQL), and every transaction locks in the same
		// order (devices, installs, version): no deadlock.
		if err := recordDevices(ctx, tx, facts, department, rep.Agent.ID, rep.ReportID, at); err != nil {
			return err
		}
		for _, d := range devices {
			if err := recordDevice(ctx, tx, d, department, rep.ReportID, at); err != nil {
				return fmt.Errorf("record software of %s: %w", d.Device, err)
			}
		}
		// the department's installs changed: readers reload it (installsCache).
		// A fresh random version, not version+1: this bump may be undone (its
		// report's transaction retried after a lost race, or its savepoint
		// rolled back), and a later bump must not reuse the number a cache
		// saw inside the undone one.
		if err := tx.ExecLater(ctx, `INSERT INTO ledger_versions (department, version) VALUES (?, ?)
ON CONFLICT (department) DO UPDATE SET version = excluded.version`, department, rand.Int64()); err != nil {
			return fmt.Errorf("bump installs version of %s: %w", department, err)
		}
		return nil
	})
}

// The installs upsert (one statement per installsPerStatement rows) lets
// agents of one department report the same device at once without a
// collision (PostgreSQL 23505 in the old read-then-insert): a new row is inserted; an existing one is
// refreshed by a report at least as new as its last_seen (installed again
// when it was removed before that report), and an older report imported
// late can only move first_seen back.
const insertInstalls = `INSERT INTO ledger_installs (id, department, device, device_name, source, name, version, vendor, product, product_name,
	category, kind, domestic, commercial, edition, home_edition, agent, report_id, first_seen, last_seen, removed_at) VALUES `

const installValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`

var onConflictInstall = ` ON CONFLICT (id) DO UPDATE SET
	first_seen = CASE WHEN excluded.first_seen < ledger_installs.first_seen THEN excluded.first_seen ELSE ledger_installs.first_seen END,
	` + newer("device_name") + `, ` + newer("source") + `, ` + newer("vendor") + `, ` + newer("product") + `, ` + newer("product_name") + `,
	` + newer("category") + `, ` + newer("kind") + `, ` + newer("domestic") + `, ` + newer("commercial") + `, ` + newer("edition") + `,
	` + newer("home_edition") + `, ` + newer("agent") + `, ` + newer("report_id") + `,
	removed_at = CASE WHEN excluded.last_seen >= ledger_installs.last_seen AND ledger_installs.removed_at <> ''
		AND excluded.last_seen > ledger_installs.removed_at THEN '' ELSE ledger_installs.removed_at END,
	last_seen = CASE WHEN excluded.last_seen >= ledger_installs.last_seen THEN excluded.last_seen ELSE ledger_installs.last_seen END`

// installsPerStatement bounds a multi-row upsert (20 parameters a row,
// well under SQLite's and PostgreSQL's parameter limits).
const installsPerStatement = 200

// newer sets col from the report when it is at least as new as the row.
func newer(col string) string {
	return col + ` = CASE WHEN excluded.last_seen >= ledger_installs.last_seen THEN excluded.` + col + ` ELSE ledger_installs.` + col + ` END`
}

// installUpsert is the install upsert, n rows a statement.
var installUpsert = &store.MultiRow{Head: insertInstalls, Row: installValues, Tail: onConflictInstall}

func recordDevice(ctx context.Context, tx *store.Tx, d DeviceRows, department, reportID, at string) error {
	// rows in id order: two reports of one device lock its rows in the same
	// order (no deadlock between concurrent transactions on PostgreSQL)
	rows := append([]Row(nil), d.Rows...)
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID() < rows[j].ID() })
	for _, n := range store.RowBatches(len(rows), installsPerStatement) {
		chunk := rows[:n]
		rows = rows[n:]
		args := make([]any, 0, 20*len(chunk))
		for _, r := range chunk {
			res := r.Result
			args = append(args, r.ID(), department, d.Device, d.DeviceName, r.Source, res.Name, res.Version, res.Vendor,
				res.ProductKey, displayName(res), res.Category, res.Kind, b2i(res.Domestic), b2i(res.Commercial), res.Edition, b2i(res.HomeEdition),
				r.Agent, reportID, at, at)
		}
		if err := tx.ExecLater(ctx, installUpsert.SQL(n), args...); err != nil {
			return err
		}
	}
	// Rows of the device this report does not show are removed at its
	// time: every row it shows now has last_seen >= at, so "older than
	// this report and still present" is exactly "not in this report".
	if err := tx.ExecLater(ctx, `UPDATE ledger_installs SET removed_at = ? WHERE department = ? AND device = ? AND removed_at = '' AND last_seen < ?`,
		at, department, d.Device, at); err != nil {
		return err
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Software is one stored software row (GET /api/v1/software).
type Software struct {
	ID          string     `json:"id"`
	Department  string     `json:"department"`
	Device      string     `json:"device"`
	DeviceName  string     `json:"device_name,omitempty"`
	Source      string     `json:"source"`
	Name        string     `json:"name"`
	Version     string     `json:"version,omitempty"`
	Vendor      string     `json:"vendor,omitempty"`
	Product     string     `json:"product"` // catalog key; "" when unknown
	ProductName string     `json:"product_name,omitempty"`
	Category    string     `json:"category"`
	Kind        string     `json:"kind,omitempty"`
	Domestic    bool       `json:"domestic"`
	Commercial  bool       `json:"commercial"`
	Edition     string     `json:"edition,omitempty"`
	HomeEdition bool       `json:"home_edition,omitempty"`
	Agent       string     `json:"agent,omitempty"`
	ReportID    string     `json:"report_id,omitempty"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    time.Time  `json:"last_seen"`
	RemovedAt   *time.Time `json:"removed_at,omitempty"`
}

// SoftwareFilter selects stored software rows.
type SoftwareFilter struct {
	Department string    // "" = every department
	Device     string    // exact device
	Category   string    // os, database, ...
	Product    string    // catalog key
	All        bool      // include unknown software, libraries, clients, updates and components
	AsOf       time.Time // zero = now (rows not removed)
	Limit      int       // 0 = no limit
}

const installCols = `id, department, device, device_name, source, name, version, vendor, product, product_name, category, kind, domestic, commercial,
	edition, home_edition, agent, report_id, first_seen, last_seen, removed_at`

// ListSoftware lists stored rows: by default the installs of in-scope
// products present now (or as of f.AsOf).
func (s *Store) ListSoftware(ctx context.Context, f SoftwareFilter) ([]Software, error) {
	where, args := softwareWhere(f)
	q := `SELECT ` + installCols + ` FROM ledger_installs WHERE ` + where
	q += ` ORDER BY department, device, category, product, name, version`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	return s.querySoftware(ctx, q, args)
}

// Installs returns the counted installs of a department ("" = all) now
// (asOf zero) or as of a past moment. The current installs come from a
// per-department cache checked against ledger_versions, so a report costs
// a reload of the departments that changed, not of the district.
func (s *Store) Installs(ctx context.Context, department string, asOf time.Time) ([]Install, error) {
	if asOf.IsZero() {
		return s.cache.current(ctx, s, department)
	}
	return s.installs(ctx, department, asOf)
}

func (s *Store) installs(ctx context.Context, department string, asOf time.Time) ([]Install, error) {
	sws, err := s.ListSoftware(ctx, SoftwareFilter{Department: department, AsOf: asOf})
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(sws))
	for _, sw := range sws {
		rows = append(rows, rowFromSoftware(sw))
	}
	ins := installsFromRows(rows)
	// installsFromRows keys first/last seen on ObservedAt; restore the stored span
	span := map[string][2]time.Time{}
	for _, sw := range sws {
		k := sw.Department + "\x00" + sw.Device + "\x00" + sw.Product
		v, ok := span[k]
		if !ok || sw.FirstSeen.Before(v[0]) {
			v[0] = sw.FirstSeen
		}
		if sw.LastSeen.After(v[1]) {
			v[1] = sw.LastSeen
		}
		span[k] = v
	}
	for i := range ins {
		v := span[ins[i].Department+"\x00"+ins[i].Device+"\x00"+ins[i].Product]
		ins[i].FirstSeen, ins[i].LastSeen = v[0], v[1]
	}
	return ins, nil
}

func rowFromSoftware(sw Software) Row {
	return Row{
		Department: sw.Department, Device: sw.Device, DeviceName: sw.DeviceName, Source: sw.Source, Agent: sw.Agent, ObservedAt: sw.LastSeen,
		Result: catalog.Result{Name: sw.Name, Version: sw.Version, Vendor: sw.Vendor, Product: sw.ProductName, ProductZH: sw.ProductName,
			ProductKey: sw.Product, Category: sw.Category, Kind: sw.Kind, Domestic: sw.Domestic, Commercial: sw.Commercial,
			Edition: sw.Edition, HomeEdition: sw.HomeEdition},
	}
}

// Evaluate judges the installs against the licences now (asOf zero) or as
// of a past moment, and returns the part of department ("" = all). The
// current state of one department is judged alone (evaluateDepartment),
// with the pool seats the departments before it take; everything else
// judges the district, the pool being shared.
func (s *Store) Evaluate(ctx context.Context, department string, asOf time.Time) (*Evaluation, error) {
	if department != "" && asOf.IsZero() {
		return s.evaluateCurrent(ctx, department)
	}
	ins, err := s.Installs(ctx, "", asOf)
	if err != nil {
		return nil, err
	}
	ls, err := s.ListLicenses(ctx, LicenseFilter{})
	if err != nil {
		return nil, err
	}
	devs, err := s.ListDevices(ctx, "", asOf)
	if err != nil {
		return nil, err
	}
	at := asOf
	if at.IsZero() {
		at = s.now()
	}
	ev := Evaluate(ins, ls, at)
	ev.attachDevices(devs)
	return ev.ForDepartment(department), nil
}

// evaluateCurrent judges one department now: its cached installs, its
// licences, the pool seats left by the departments before it.
func (s *Store) evaluateCurrent(ctx context.Context, department string) (*Evaluation, error) {
	ls, err := s.ListLicenses(ctx, LicenseFilter{})
	if err != nil {
		return nil, err
	}
	plan := newLicencePlan(ls, s.now())
	_, own, err := s.cache.load(ctx, s, department)
	if err != nil {
		return nil, err
	}
	var ins []Install
	for _, e := range own {
		ins = append(ins, e.ins...)
	}
	used, err := s.poolUsedBefore(ctx, plan, department, productsOf(ins))
	if err != nil {
		return nil, err
	}
	ev := evaluateDepartment(plan, department, ins, used)
	devs, err := s.ListDevices(ctx, department, time.Time{})
	if err != nil {
		return nil, err
	}
	ev.attachDevices(devs)
	return ev, nil
}

// poolUsedBefore gives the ledger detector the pool seats the departments
// before department take now, for the given products (see poolUsedBefore).
func (s *Store) poolUsedBefore(ctx context.Context, plan *licencePlan, department string, products map[string]bool) (map[string]int, error) {
	pooled := false
	for p := range products {
		pooled = pooled || len(plan.pool[p]) > 0
	}
	if !pooled {
		return nil, nil // no pool licence for its products: the other departments do not matter
	}
	depts, snap, err := s.cache.snapshot(ctx, s)
	if err != nil {
		return nil, err
	}
	return poolUsedBefore(plan, department, products, depts, func(d string) (deptInstalls, bool) {
		e, ok := snap[d]
		return e.idx, ok
	}, &s.pool), nil
}

// Summary is the 汇总表 of a department ("" = all).
func (s *Store) Summary(ctx context.Context, department string) ([]SummaryRow, error) {
	ev, err := s.Evaluate(ctx, department, time.Time{})
	if err != nil {
		return nil, err
	}
	return ev.Summary, nil
}

// Details is the 明细表 of a department ("" = all).
func (s *Store) Details(ctx context.Context, department string) ([]Detail, error) {
	ev, err := s.Evaluate(ctx, department, time.Time{})
	if err != nil {
		return nil, err
	}
	return ev.Details, nil
}

// Compliance gives the progress recorder a department's figures: counted
// installs, installs that are not legal, the legalization rate (0..1) and
// the domestic share of installs (0..1).
func (s *Store) Compliance(ctx context.Context, department string) (installs, unlicensed int, compliance, domesticShare float64, err error) {
	ev, err := s.Evaluate(ctx, department, time.Time{})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	d := ev.Department(department)
	return d.Installs, d.Unlicensed, d.Rate, d.DomesticShare, nil
}

// Event is one line of the 软件安装维护情况明细表: an install, uninstall
// or upgrade of an in-scope product on a device.
type Event struct {
	Department  string    `json:"department"`
	Device      string    `json:"device"`
	DeviceName  string    `json:"device_name,omitempty"`
	Product     string    `json:"product"`
	ProductName string    `json:"product_name"`
	Category    string    `json:"category"`
	Action      string    `json:"action"` // install, uninstall, upgrade
	Version     string    `json:"version"`
	From        string    `json:"from_version,omitempty"`
	At          time.Time `json:"at"`
}

// Maintenance lists install, uninstall and upgrade events of in-scope
// products in a department ("" = all), oldest first. An uninstall and an
// install of the same product on the same device at the same report are
// one upgrade.
func (s *Store) Maintenance(ctx context.Context, department string) ([]Event, error) {
	q := `SELECT ` + installCols + ` FROM ledger_installs WHERE product <> '' AND kind = 'install' AND category <> 'other'`
	var args []any
	if department != "" {
		q += ` AND department = ?`
		args = append(args, department)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	defer rows.Close()
	type rec struct {
		sw             Software
		first, removed string
	}
	var recs []rec
	for rows.Next() {
		var sw Software
		var dom, com, home int
		var first, last, removed string
		if err := rows.Scan(&sw.ID, &sw.Department, &sw.Device, &sw.DeviceName, &sw.Source, &sw.Name, &sw.Version, &sw.Vendor, &sw.Product,
			&sw.ProductName, &sw.Category, &sw.Kind, &dom, &com, &sw.Edition, &home, &sw.Agent, &sw.ReportID, &first, &last, &removed); err != nil {
			return nil, fmt.Errorf("list maintenance: %w", err)
		}
		recs = append(recs, rec{sw: sw, first: first, removed: removed})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	type key struct{ dept, dev, product, at string }
	installs := map[key]int{}
	var out []Event
	for _, r := range recs {
		t, _ := store.ParseTime(r.first)
		installs[key{r.sw.Department, r.sw.Device, r.sw.Product, r.first}] = len(out)
		out = append(out, Event{Department: r.sw.Department, Device: r.sw.Device, DeviceName: r.sw.DeviceName, Product: r.sw.Product,
			ProductName: r.sw.ProductName, Category: r.sw.Category, Action: "install", Version: r.sw.Version, At: t})
	}
	for _, r := range recs {
		if r.removed == "" {
			continue
		}
		if i, ok := installs[key{r.sw.Department, r.sw.Device, r.sw.Product, r.removed}]; ok && out[i].Action == "install" {
			out[i].Action, out[i].From = "upgrade", r.sw.Version
			continue
		}
		t, _ := store.ParseTime(r.removed)
		out = append(out, Event{Department: r.sw.Department, Device: r.sw.Device, DeviceName: r.sw.DeviceName, Product: r.sw.Product,
			ProductName: r.sw.ProductName, Category: r.sw.Category, Action: "uninstall", Version: r.sw.Version, At: t})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return strings.Join([]string{out[i].Department, out[i].Device, out[i].Product, out[i].Action}, "\x00") <
			strings.Join([]string{out[j].Department, out[j].Device, out[j].Product, out[j].Action}, "\x00")
	})
	if out == nil {
		out = []Event{}
	}
	return out, nil
}

// Processor records every committed report's software (ingest.Processor).
// Mount it before the rules and progress processors.
type Processor struct{ s *Store }

// NewProcessor returns the ledger's ingest processor.
func NewProcessor(s *Store) *Processor { return &Processor{s: s} }

// Name implements ingest.Processor.
func (p *Processor) Name() string { return "ledger" }

// Process implements ingest.Processor.
func (p *Processor) Process(ctx context.Context, rep *wire.ScanReport, department string) error {
	return p.s.RecordReport(ctx, rep, department)
}
