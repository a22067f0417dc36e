package progress

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

func init() {
	cols := func(real string) string {
		return `CREATE TABLE progress_snapshots (
  department TEXT NOT NULL,
  day TEXT NOT NULL,
  district TEXT NOT NULL,
  at TEXT NOT NULL,
  report_id TEXT NOT NULL,
  internet_egress BIGINT NOT NULL,
  private_links BIGINT NOT NULL,
  isolation_breaches BIGINT NOT NULL,
  local_servers BIGINT NOT NULL,
  websites BIGINT NOT NULL,
  endpoints BIGINT NOT NULL,
  open_violations BIGINT NOT NULL,
  software_installs BIGINT NOT NULL,
  unlicensed_installs BIGINT NOT NULL,
  license_compliance ` + real + ` NOT NULL,
  domestic_share ` + real + ` NOT NULL,
  cloud_ratio ` + real + ` NOT NULL,
  servers BIGINT NOT NULL,
  servers_in_cloud BIGINT NOT NULL,
  PRIMARY KEY (department, day)
);
CREATE INDEX progress_snapshots_day ON progress_snapshots (day);
`
	}
	store.Register(store.Migration{ID: "progress/0001_snapshots", SQLite: cols("REAL"), Postgres: cols("DOUBLE PRECISION")})
}

// DateLayout is the calendar-day format of snapshots and query parameters.
const DateLayout = "2006-01-02"

// atLayout stores instants with a fixed-width fraction so that they compare
// correctly as text (RFC3339Nano drops trailing zeros and would not).
const atLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Snapshot is a department's figures on one day: the last evaluation of
// that day wins.
type Snapshot struct {
	Department string    `json:"department"`
	District   string    `json:"district,omitempty"`
	Date       string    `json:"date"` // YYYY-MM-DD in the district's time zone
	At         time.Time `json:"at"`   // the finish time of the scan behind it
	ReportID   string    `json:"report_id,omitempty"`
	Fields
}

// Store reads and writes the daily snapshots.
type Store struct {
	db  *store.DB
	loc *time.Location
}

// NewStore returns the snapshot store of db; loc decides the day of a scan
// (nil: ChinaStandardTime).
func NewStore(db *store.DB, loc *time.Location) *Store {
	if loc == nil {
		loc = ChinaStandardTime
	}
	return &Store{db: db, loc: loc}
}

// Location is the time zone days are counted in.
func (s *Store) Location() *time.Location { return s.loc }

const snapCols = `department, day, district, at, report_id, internet_egress, private_links, isolation_breaches,
  local_servers, websites, endpoints, open_violations, software_installs, unlicensed_installs,
  license_compliance, domestic_share, cloud_ratio, servers, servers_in_cloud`

// Save stores snap in its own transaction.
func (s *Store) Save(ctx context.Context, snap Snapshot) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error { return s.SaveTx(ctx, tx, snap) })
}

// SaveTx stores snap as its department's snapshot of the day of snap.At,
// unless a later scan of that day is already stored (an offline import of an
// older scan never overwrites newer figures).
func (s *Store) SaveTx(ctx context.Context, tx *store.Tx, snap Snapshot) error {
	if snap.Department == "" || snap.At.IsZero() {
		return fmt.Errorf("save progress snapshot: department and time required")
	}
	day := snap.At.In(s.loc).Format(DateLayout)
	f := snap.Fields
	_, err := tx.Exec(ctx, `INSERT INTO progress_snapshots (`+snapCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (department, day) DO UPDATE SET
  district = excluded.district, at = excluded.at, report_id = excluded.report_id,
  internet_egress = excluded.internet_egress, private_links = excluded.private_links,
  isolation_breaches = excluded.isolation_breaches, local_servers = excluded.local_servers,
  websites = excluded.websites, endpoints = excluded.endpoints, open_violations = excluded.open_violations,
  software_installs = excluded.software_installs, unlicensed_installs = excluded.unlicensed_installs,
  license_compliance = excluded.license_compliance, domestic_share = excluded.domestic_share,
  cloud_ratio = excluded.cloud_ratio, servers = excluded.servers, servers_in_cloud = excluded.servers_in_cloud
WHERE progress_snapshots.at <= excluded.at`,
		snap.Department, day, snap.District, snap.At.UTC().Format(atLayout), snap.ReportID,
		f.InternetEgress, f.PrivateLinks, f.IsolationBreaches, f.LocalServers, f.Websites, f.Endpoints,
		f.OpenViolations, f.SoftwareInstalls, f.UnlicensedInstalls, f.LicenseCompliance, f.DomesticShare,
		f.CloudRatio, f.Servers, f.ServersInCloud)
	if err != nil {
		return fmt.Errorf("save progress snapshot of %s: %w", snap.Department, err)
	}
	return nil
}

// Series returns the snapshots of department (all departments when empty)
// with from <= day <= to (days in the store's time zone), ordered by day
// then department.
func (s *Store) Series(ctx context.Context, department string, from, to time.Time) ([]Snapshot, error) {
	q := `SELECT ` + snapCols + ` FROM progress_snapshots WHERE day >= ? AND day <= ?`
	args := []any{s.day(from), s.day(to)}
	if department != "" {
		q += ` AND department = ?`
		args = append(args, department)
	}
	return s.query(ctx, q+` ORDER BY day, department`, args...)
}

// District sums all departments per day over [from, to]: on each day that
// has a snapshot, every department contributes its latest snapshot up to
// that day (departments not scanned that day carry their last figures).
// Ratios are weighted: compliance and domestic share by installs, cloud
// ratio by servers.
func (s *Store) District(ctx context.Context, from, to time.Time) ([]Snapshot, error) {
	before, err := s.query(ctx, `SELECT `+snapCols+` FROM progress_snapshots s
WHERE s.day = (SELECT MAX(p.day) FROM progress_snapshots p WHERE p.department = s.department AND p.day < ?)
ORDER BY s.department`, s.day(from))
	if err != nil {
		return nil, err
	}
	in, err := s.Series(ctx, "", from, to)
	if err != nil {
		return nil, err
	}
	latest := map[string]Snapshot{}
	for _, sn := range before {
		latest[sn.Department] = sn
	}
	var out []Snapshot
	for i := 0; i < len(in); {
		day := in[i].Date
		for ; i < len(in) && in[i].Date == day; i++ {
			latest[in[i].Department] = in[i]
		}
		out = append(out, sum(day, latest))
	}
	return out, nil
}

// Latest returns each department's most recent snapshot on or before the
// day of at (only department's when not empty): where every department
// stands now, or stood then.
func (s *Store) Latest(ctx context.Context, department string, at time.Time) ([]Snapshot, error) {
	q := `SELECT ` + snapCols + ` FROM progress_snapshots s
WHERE s.day = (SELECT MAX(p.day) FROM progress_snapshots p WHERE p.department = s.department AND p.day <= ?)`
	args := []any{s.day(at)}
	if department != "" {
		q += ` AND s.department = ?`
		args = append(args, department)
	}
	return s.query(ctx, q+` ORDER BY s.department`, args...)
}

func sum(day string, latest map[string]Snapshot) Snapshot {
	depts := make([]string, 0, len(latest))
	for d := range latest {
		depts = append(depts, d)
	}
	sort.Strings(depts)
	t := Snapshot{Date: day}
	var compl, dom float64
	for _, d := range depts {
		sn := latest[d]
		if t.District == "" {
			t.District = sn.District
		}
		if sn.At.After(t.At) {
			t.At = sn.At
		}
		f := sn.Fields
		t.InternetEgress += f.InternetEgress
		t.PrivateLinks += f.PrivateLinks
		t.IsolationBreaches += f.IsolationBreaches
		t.LocalServers += f.LocalServers
		t.Websites += f.Websites
		t.Endpoints += f.Endpoints
		t.OpenViolations += f.OpenViolations
		t.SoftwareInstalls += f.SoftwareInstalls
		t.UnlicensedInstalls += f.UnlicensedInstalls
		t.Servers += f.Servers
		t.ServersInCloud += f.ServersInCloud
		compl += f.LicenseCompliance * float64(f.SoftwareInstalls)
		dom += f.DomesticShare * float64(f.SoftwareInstalls)
	}
	t.CloudRatio = ratio(t.ServersInCloud, t.Servers)
	t.LicenseCompliance = 1
	if t.SoftwareInstalls > 0 {
		t.LicenseCompliance = compl / float64(t.SoftwareInstalls)
		t.DomesticShare = dom / float64(t.SoftwareInstalls)
	}
	return t
}

func (s *Store) day(t time.Time) string { return t.In(s.loc).Format(DateLayout) }

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Snapshot, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read progress snapshots: %w", err)
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		var sn Snapshot
		var at string
		f := &sn.Fields
		if err := rows.Scan(&sn.Department, &sn.Date, &sn.District, &at, &sn.ReportID,
			&f.InternetEgress, &f.PrivateLinks, &f.IsolationBreaches, &f.LocalServers, &f.Websites, &f.Endpoints,
			&f.OpenViolations, &f.SoftwareInstalls, &f.UnlicensedInstalls, &f.LicenseCompliance, &f.DomesticShare,
			&f.CloudRatio, &f.Servers, &f.ServersInCloud); err != nil {
			return nil, fmt.Errorf("read progress snapshots: %w", err)
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(at))
		if err != nil {
			return nil, fmt.Errorf("read progress snapshot of %s: %w", sn.Department, err)
		}
		sn.At = t
		out = append(out, sn)
	}
	return out, rows.Err()
}
