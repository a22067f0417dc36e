package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// SortableTime formats t with a fixed-width fraction so that stored instants
// compare correctly as strings in SQL (RFC3339Nano trims trailing zeros, and
// "…05Z" sorts after "…05.5Z"). store.ParseTime reads it back.
func SortableTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

// Store reads and writes the inventory tables.
type Store struct {
	db *store.DB
}

// New returns the inventory over db (migrated by store.Migrate).
func New(db *store.DB) *Store { return &Store{db: db} }

// Department is one connected unit of the plan.
type Department struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// SyncDepartments upserts the plan's departments (code and name). Departments
// dropped from the plan are kept: their history still refers to them.
func (s *Store) SyncDepartments(ctx context.Context, deps []Department, now time.Time) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range deps {
			if d.Code == "" {
				return errors.New("sync departments: empty department code")
			}
			_, err := tx.Exec(ctx, `INSERT INTO departments (code, name, updated_at) VALUES (?, ?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`, d.Code, d.Name, SortableTime(now))
			if err != nil {
				return fmt.Errorf("upsert department %s: %w", d.Code, err)
			}
		}
		return nil
	})
}

// Departments lists every known department by code.
func (s *Store) Departments(ctx context.Context) ([]Department, error) {
	rows, err := s.db.Query(ctx, `SELECT code, name FROM departments ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	defer rows.Close()
	out := []Department{}
	for rows.Next() {
		var d Department
		if err := rows.Scan(&d.Code, &d.Name); err != nil {
			return nil, fmt.Errorf("scan department: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DepartmentExists reports whether code is a known department.
func (s *Store) DepartmentExists(ctx context.Context, code string) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM departments WHERE code = ?`, code).Scan(&n); err != nil {
		return false, fmt.Errorf("look up department %s: %w", code, err)
	}
	return n > 0, nil
}

// DepartmentExistsTx is DepartmentExists inside a transaction.
func DepartmentExistsTx(ctx context.Context, tx *store.Tx, code string) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM departments WHERE code = ?`, code).Scan(&n); err != nil {
		return false, fmt.Errorf("look up department %s: %w", code, err)
	}
	return n > 0, nil
}

// Report is the stored metadata of one scan report.
type Report struct {
	ReportID     string    `json:"report_id"`
	AgentID      string    `json:"agent_id"`
	Department   string    `json:"department"`
	Source       string    `json:"source"` // upload or import
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	ReceivedAt   time.Time `json:"received_at"`
	Endpoints    int       `json:"endpoints"`
	Processed    bool      `json:"processed"`
	ProcessError string    `json:"process_error,omitempty"`
}

// Report sources.
const (
	SourceUpload = "upload"
	SourceImport = "import"
)

const reportCols = `report_id, agent_id, department, source, started_at, finished_at, received_at, endpoints, processed, process_error`

type scanner interface{ Scan(dest ...any) error }

func scanReport(sc scanner) (Report, error) {
	var r Report
	var started, finished, received string
	var processed int
	if err := sc.Scan(&r.ReportID, &r.AgentID, &r.Department, &r.Source, &started, &finished, &received, &r.Endpoints, &processed, &r.ProcessError); err != nil {
		return r, err
	}
	r.Processed = processed != 0
	var err error
	if r.StartedAt, err = store.ParseTime(started); err != nil {
		return r, err
	}
	if r.FinishedAt, err = store.ParseTime(finished); err != nil {
		return r, err
	}
	r.ReceivedAt, err = store.ParseTime(received)
	return r, err
}

// InsertReport stores a report inside tx unless one with the same id exists.
// It returns inserted=false and the stored metadata when it already exists.
// meta.Processed stores it as processed already: for a caller whose
// transaction commits only after the processors ran, and that marks it
// pending (MarkProcessed) when one failed.
func InsertReport(ctx context.Context, tx *store.Tx, meta Report, raw []byte) (inserted bool, existing Report, err error) {
	return insertReport(ctx, tx, meta, PackBody(raw))
}

func insertReport(ctx context.Context, tx *store.Tx, meta Report, body Body) (inserted bool, existing Report, err error) {
	processed := 0
	if meta.Processed {
		processed = 1
	}
	res, err := tx.Exec(ctx, `INSERT INTO reports (`+reportCols+`, raw, raw_z) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?)
ON CONFLICT (report_id) DO NOTHING`,
		meta.ReportID, meta.AgentID, meta.Department, meta.Source, SortableTime(meta.StartedAt), SortableTime(meta.FinishedAt),
		SortableTime(meta.ReceivedAt), meta.Endpoints, processed, body.packed)
	if err != nil {
		return false, Report{}, fmt.Errorf("insert report %s: %w", meta.ReportID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, Report{}, fmt.Errorf("insert report %s: %w", meta.ReportID, err)
	}
	if n == 1 {
		if _, err := tx.Exec(ctx, upsertLatestSQL, meta.Department, meta.AgentID, SortableTime(meta.FinishedAt)); err != nil {
			return false, Report{}, fmt.Errorf("record latest report of %s: %w", meta.AgentID, err)
		}
		return true, meta, nil
	}
	existing, err = scanReport(tx.QueryRow(ctx, `SELECT `+reportCols+` FROM reports WHERE report_id = ?`, meta.ReportID))
	if err != nil {
		return false, Report{}, fmt.Errorf("load existing report %s: %w", meta.ReportID, err)
	}
	return false, existing, nil
}

// ErrUnknownDepartment: InsertKnownReport's department is not in the
// departments table (the plan).
var ErrUnknownDepartment = errors.New("unknown department")

// InsertKnownReport is InsertReport for a department that must be known:
// ErrUnknownDepartment when it is not, checked before anything else. On
// PostgreSQL the check, the report and the agent's latest scan time are
// one statement, where they were three round trips on every report;
// the check and the lookup of an existing report run only when nothing
// was inserted. The caller packs the body (PackBody) before the
// transaction, so the writer does not wait while it is.
func InsertKnownReport(ctx context.Context, tx *store.Tx, meta Report, body Body) (inserted bool, existing Report, err error) {
	if tx.Dialect() != store.Postgres {
		ok, err := DepartmentExistsTx(ctx, tx, meta.Department)
		if err != nil {
			return false, Report{}, err
		}
		if !ok {
			return false, Report{}, fmt.Errorf("%w %q", ErrUnknownDepartment, meta.Department)
		}
		return insertReport(ctx, tx, meta, body)
	}
	processed := 0
	if meta.Processed {
		processed = 1
	}
	args := []any{meta.ReportID, meta.AgentID, meta.Department, meta.Source, SortableTime(meta.StartedAt),
		SortableTime(meta.FinishedAt), SortableTime(meta.ReceivedAt), meta.Endpoints, processed, body.packed, meta.Department}
	if tx.InFlat() {
		// Almost every report is new: held back, the insert goes with the
		// transaction's next round trip. A report not inserted (a retry, a
		// taken id, an unknown department) fails it, and the attempt
		// (store.ErrRowsDiffer), and the attempt with savepoints that
		// follows takes the path below and tells which.
		if err := tx.ExecLater(ctx, insertNewSQL, args...); err != nil {
			return false, Report{}, fmt.Errorf("insert report %s: %w", meta.ReportID, err)
		}
		return true, meta, nil
	}
	var n int
	if err := tx.QueryRow(ctx, insertKnownSQL, args...).Scan(&n); err != nil {
		return false, Report{}, fmt.Errorf("insert report %s: %w", meta.ReportID, err)
	}
	if n == 1 {
		return true, meta, nil
	}
	ok, err := DepartmentExistsTx(ctx, tx, meta.Department)
	if err != nil {
		return false, Report{}, err
	}
	if !ok {
		return false, Report{}, fmt.Errorf("%w %q", ErrUnknownDepartment, meta.Department)
	}
	existing, err = scanReport(tx.QueryRow(ctx, `SELECT `+reportCols+` FROM reports WHERE report_id = ?`, meta.ReportID))
	if err != nil {
		return false, Report{}, fmt.Errorf("load existing report %s: %w", meta.ReportID, err)
	}
	return false, existing, nil
}

// insertKnownSQL (PostgreSQL) inserts a report of a known department and
// moves its agent's latest scan time, counting the reports inserted (0:
// the department is unknown or the id is taken). The casts type the
// parameters, which PostgreSQL cannot infer from a SELECT list.
const insertKnownSQL = insertKnownSQL0 + `SELECT COUNT(*) FROM ins`

// insertKnownSQL0 is insertKnownSQL up to its final SELECT.
const insertKnownSQL0 = `WITH ins AS (
INSERT INTO reports (` + reportCols + `, raw, raw_z)
SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
 CAST(? AS INTEGER), CAST(? AS INTEGER), '', '', CAST(? AS BYTEA)
WHERE EXISTS (SELECT 1 FROM departments WHERE code = ?)
ON CONFLICT (report_id) DO NOTHING
RETURNING department, agent_id, finished_at
), latest AS (
INSERT INTO report_latest (department, agent_id, finished_at) SELECT department, agent_id, finished_at FROM ins
ON CONFLICT (department, agent_id) DO UPDATE SET finished_at = excluded.finished_at
WHERE report_latest.finished_at < excluded.finished_at
)
`

// insertNewSQL is insertKnownSQL failing unless the report was inserted
// (store.ErrRowsDiffer).
const insertNewSQL = insertKnownSQL0 + `SELECT egovnet_expect_rows(COUNT(*), 1) FROM ins`

// upsertLatestSQL moves the agent's latest scan time in the department to
// the report's, if later: an offline import of an old scan leaves it alone.
const upsertLatestSQL = `INSERT INTO report_latest (department, agent_id, finished_at) VALUES (?, ?, ?)
ON CONFLICT (department, agent_id) DO UPDATE SET finished_at = excluded.finished_at
WHERE report_latest.finished_at < excluded.finished_at`

// Reports lists stored reports, newest scan first; dept "" means all.
func (s *Store) Reports(ctx context.Context, dept string, limit int) ([]Report, error) {
	q := `SELECT ` + reportCols + ` FROM reports`
	var args []any
	if dept != "" {
		q += ` WHERE department = ?`
		args = append(args, dept)
	}
	q += ` ORDER BY finished_at DESC, report_id LIMIT ?`
	args = append(args, limit)
	return s.queryReports(ctx, q, args...)
}

// Pending lists reports whose processors have not all succeeded, oldest scan
// first, so derived state is rebuilt in scan order.
func (s *Store) Pending(ctx context.Context, limit int) ([]Report, error) {
	return s.queryReports(ctx, `SELECT `+reportCols+` FROM reports WHERE processed = 0 ORDER BY finished_at, report_id LIMIT ?`, limit)
}

func (s *Store) queryReports(ctx context.Context, q string, args ...any) ([]Report, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, fmt.Errorf("scan report: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("not found")

// RawReport returns the stored JSON of a report; ErrCompacted when only its
// header is left (CompactReports).
func (s *Store) RawReport(ctx context.Context, reportID string) ([]byte, error) {
	var raw string
	var packed []byte
	var compacted int
	err := s.db.QueryRow(ctx, `SELECT raw, raw_z, compacted FROM reports WHERE report_id = ?`, reportID).Scan(&raw, &packed, &compacted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load report %s: %w", reportID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load report %s: %w", reportID, err)
	}
	if compacted != 0 {
		return nil, fmt.Errorf("load report %s: %w", reportID, ErrCompacted)
	}
	return unpack(reportID, raw, packed)
}

// CountReports counts stored reports with the given id ("" = all).
func (s *Store) CountReports(ctx context.Context, reportID string) (int, error) {
	q, args := `SELECT COUNT(*) FROM reports`, []any{}
	if reportID != "" {
		q += ` WHERE report_id = ?`
		args = append(args, reportID)
	}
	var n int
	if err := s.db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count reports: %w", err)
	}
	return n, nil
}

// MarkProcessed records the outcome of the processors for a report: an empty
// errText marks it processed, anything else keeps it pending with the reason.
func (s *Store) MarkProcessed(ctx context.Context, reportID, errText string) error {
	processed := 0
	if errText == "" {
		processed = 1
	}
	if len(errText) > 4096 {
		errText = errText[:4096]
	}
	_, err := s.db.Exec(ctx, `UPDATE reports SET processed = ?, process_error = ? WHERE report_id = ?`, processed, errText, reportID)
	if err != nil {
		return fmt.Errorf("mark report %s processed: %w", reportID, err)
	}
	return nil
}

// Endpoint is the current state of one address of one department.
type Endpoint struct {
	Department string          `json:"department"`
	IP         string          `json:"ip"`
	MAC        string          `json:"mac"`
	Vendor     string          `json:"vendor"`
	Hostname   string          `json:"hostname"`
	Role       string          `json:"role"`
	OpenPorts  []int           `json:"open_ports"`
	HTTP       []wire.HTTPInfo `json:"http"`
	SeenBy     []string        `json:"seen_by"`
	FirstSeen  time.Time       `json:"first_seen"`
	LastSeen   time.Time       `json:"last_seen"`
	LastReport string          `json:"last_report"`
	LastAgent  string          `json:"last_agent"`
}

// Endpoints lists endpoints ordered by department and address; dept ""
// means all departments.
func (s *Store) Endpoints(ctx context.Context, dept string, limit int) ([]Endpoint, error) {
	q := `SELECT department, ip, first_seen, last_seen, mac, vendor, hostname, role, open_ports, http_titles, seen_by, last_report, last_agent FROM endpoint_now`
	var args []any
	if dept != "" {
		q += ` WHERE department = ?`
		args = append(args, dept)
	}
	// The same numeric address order as EndpointsPage (one definition:
	// ipOrder), right also for rows stored before ip_key existed.
	q += ` ORDER BY department, ` + ipOrder(s.db.Dialect) + ` LIMIT ?`
	args = append(args, limit)
	return s.scanEndpoints(ctx, q, args...)
}
