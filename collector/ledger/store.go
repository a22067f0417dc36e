package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/google/uuid"
)

func init() {
	store.Register(store.Migration{
		ID: "ledger/0001_init",
		SQLite: `
CREATE TABLE ledger_licenses (
  id TEXT PRIMARY KEY,
  product TEXT NOT NULL,
  product_name TEXT NOT NULL,
  category TEXT NOT NULL,
  version_range TEXT NOT NULL DEFAULT '',
  edition TEXT NOT NULL DEFAULT '',
  seats BIGINT NOT NULL,
  department TEXT NOT NULL DEFAULT '',
  cost_cents BIGINT NOT NULL DEFAULT 0,
  purpose TEXT NOT NULL DEFAULT '',
  contract_no TEXT NOT NULL DEFAULT '',
  purchase_date TEXT NOT NULL DEFAULT '',
  expiry TEXT NOT NULL DEFAULT '',
  filing_status TEXT NOT NULL DEFAULT 'unfiled',
  notes TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX ledger_licenses_dept ON ledger_licenses (department, product);
CREATE TABLE ledger_installs (
  id TEXT PRIMARY KEY,
  department TEXT NOT NULL,
  device TEXT NOT NULL,
  device_name TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  version TEXT NOT NULL DEFAULT '',
  vendor TEXT NOT NULL DEFAULT '',
  product TEXT NOT NULL DEFAULT '',
  product_name TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT '',
  domestic INTEGER NOT NULL DEFAULT 0,
  commercial INTEGER NOT NULL DEFAULT 0,
  edition TEXT NOT NULL DEFAULT '',
  home_edition INTEGER NOT NULL DEFAULT 0,
  agent TEXT NOT NULL DEFAULT '',
  report_id TEXT NOT NULL DEFAULT '',
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  removed_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ledger_installs_dev ON ledger_installs (department, device);
CREATE INDEX ledger_installs_product ON ledger_installs (product, category)`,
	})
	// ledger_versions counts each department's install changes, so readers
	// can keep a department's installs until they change (installsCache).
	store.Register(store.Migration{
		ID: "ledger/0002_versions",
		SQLite: `
CREATE TABLE ledger_versions (
  department TEXT PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO ledger_versions (department, version) SELECT DISTINCT department, 1 FROM ledger_installs`,
	})
}

// Store keeps licences and installs in the collector database.
type Store struct {
	db    *store.DB
	cat   *catalog.Catalog
	now   func() time.Time
	cache installsCache
	pool  poolMemo
}

// New returns a ledger store over db using cat to normalise names.
func New(db *store.DB, cat *catalog.Catalog) *Store {
	return &Store{db: db, cat: cat, now: time.Now}
}

// Catalog returns the catalog the store normalises with.
func (s *Store) Catalog() *catalog.Catalog { return s.cat }

const licenseCols = `id, product, product_name, category, version_range, edition, seats, department, cost_cents, purpose, contract_no, purchase_date, expiry, filing_status, notes, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func (s *Store) scanLicense(sc scanner) (License, error) {
	var l License
	var cents int64
	var created, updated string
	if err := sc.Scan(&l.ID, &l.Product, &l.ProductName, &l.Category, &l.VersionRange, &l.Edition, &l.Seats, &l.Department,
		&cents, &l.Purpose, &l.ContractNo, &l.PurchaseDate, &l.Expiry, &l.FilingStatus, &l.Notes, &created, &updated); err != nil {
		return License{}, err
	}
	l.Cost = float64(cents) / 100
	l.CreatedAt, _ = store.ParseTime(created)
	l.UpdatedAt, _ = store.ParseTime(updated)
	if p, ok := s.cat.Product(l.Product); ok {
		l.Vendor, l.Domestic = p.Vendor, p.Domestic
	}
	return l, nil
}

type execer interface {
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func insertLicense(ctx context.Context, ex execer, l License) error {
	_, err := ex.Exec(ctx, `INSERT INTO ledger_licenses (`+licenseCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.Product, l.ProductName, l.Category, l.VersionRange, l.Edition, l.Seats, l.Department, cents(l.Cost),
		l.Purpose, l.ContractNo, l.PurchaseDate, l.Expiry, l.FilingStatus, l.Notes, store.Time(l.CreatedAt), store.Time(l.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert licence %s: %w", l.ID, err)
	}
	return nil
}

func cents(yuan float64) int64 { return int64(math.Round(yuan * 100)) }

// CreateLicense validates and stores a new licence; an id is generated
// when l has none. A duplicate id is a ValidationError.
func (s *Store) CreateLicense(ctx context.Context, l License) (License, error) {
	if err := l.Normalize(s.cat); err != nil {
		return License{}, err
	}
	if l.ID == "" {
		l.ID = uuid.NewString()
	}
	now := s.now().UTC()
	l.CreatedAt, l.UpdatedAt = now, now
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_licenses WHERE id = ?`, l.ID).Scan(&n); err != nil {
			return fmt.Errorf("check licence id: %w", err)
		}
		if n > 0 {
			return &ValidationError{Problems: []string{fmt.Sprintf("id: licence %q already exists", l.ID)}}
		}
		return insertLicense(ctx, tx, l)
	})
	if err != nil {
		return License{}, err
	}
	return l, nil
}

// GetLicense returns one licence or ErrNotFound.
func (s *Store) GetLicense(ctx context.Context, id string) (License, error) {
	l, err := s.scanLicense(s.db.QueryRow(ctx, `SELECT `+licenseCols+` FROM ledger_licenses WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return License{}, ErrNotFound
	}
	if err != nil {
		return License{}, fmt.Errorf("get licence %s: %w", id, err)
	}
	return l, nil
}

// UpdateLicense replaces licence id with l (the id in l is ignored).
func (s *Store) UpdateLicense(ctx context.Context, id string, l License) (License, error) {
	l.ID = id
	if err := l.Normalize(s.cat); err != nil {
		return License{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var created string
		err := tx.QueryRow(ctx, `SELECT created_at FROM ledger_licenses WHERE id = ?`, id).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("get licence %s: %w", id, err)
		}
		l.CreatedAt, _ = store.ParseTime(created)
		l.UpdatedAt = s.now().UTC()
		_, err = tx.Exec(ctx, `UPDATE ledger_licenses SET product = ?, product_name = ?, category = ?, version_range = ?, edition = ?, seats = ?,
			department = ?, cost_cents = ?, purpose = ?, contract_no = ?, purchase_date = ?, expiry = ?, filing_status = ?, notes = ?, updated_at = ?
			WHERE id = ?`, l.Product, l.ProductName, l.Category, l.VersionRange, l.Edition, l.Seats, l.Department, cents(l.Cost), l.Purpose,
			l.ContractNo, l.PurchaseDate, l.Expiry, l.FilingStatus, l.Notes, store.Time(l.UpdatedAt), id)
		if err != nil {
			return fmt.Errorf("update licence %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return License{}, err
	}
	return l, nil
}

// DeleteLicense removes licence id, or returns ErrNotFound.
func (s *Store) DeleteLicense(ctx context.Context, id string) error {
	res, err := s.db.Exec(ctx, `DELETE FROM ledger_licenses WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete licence %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// LicenseFilter selects licences. Department "" lists every licence;
// otherwise the department's own, plus the shared pool when WithPool.
type LicenseFilter struct {
	Department string
	WithPool   bool
	Product    string
}

// ListLicenses lists licences by department, product and id.
func (s *Store) ListLicenses(ctx context.Context, f LicenseFilter) ([]License, error) {
	where, args := licenseWhere(f)
	q := `SELECT ` + licenseCols + ` FROM ledger_licenses WHERE ` + where
	q += ` ORDER BY department, product, id`
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list licences: %w", err)
	}
	defer rows.Close()
	out := []License{}
	for rows.Next() {
		l, err := s.scanLicense(rows)
		if err != nil {
			return nil, fmt.Errorf("list licences: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ImportLicenses stores ls in one transaction: all of them or none. Rows
// with an id that exists replace it (an export edited and imported again
// updates the ledger); rows without one get a new id. Every row is
// validated first and every problem is reported with its row number.
// It does not scope the rows to a caller: see ImportLicensesAs.
func (s *Store) ImportLicenses(ctx context.Context, ls []License) (created, updated int, err error) {
	return s.ImportLicensesAs(ctx, ls, nil)
}
