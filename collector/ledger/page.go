package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/egovnet/egovnet/collector/store"
)

// Page is one window of a list in SQL (the CONTRACT's ?limit, ?offset and
// ?q): Limit 0 means no limit; Q matches case-insensitively in the row's
// names (LIKE, with %, _ and \ taken literally).
type Page struct {
	Limit, Offset int
	Q             string
}

// like returns the clause matching p.Q in any of cols and its arguments;
// "" when there is no search text.
func (p Page) like(cols ...string) (string, []any) {
	if p.Q == "" {
		return "", nil
	}
	pat := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(p.Q)) + "%"
	parts := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		parts[i] = `LOWER(` + c + `) LIKE ? ESCAPE '\'`
		args[i] = pat
	}
	return ` AND (` + strings.Join(parts, " OR ") + `)`, args
}

// softwareSearch lists the columns ?q= searches in software rows.
var softwareSearch = []string{"name", "device", "device_name", "product_name", "vendor", "version"}

// ListSoftwarePage is ListSoftware for one page (f.Limit is ignored; p
// windows the result) with the number of rows matching before the window.
func (s *Store) ListSoftwarePage(ctx context.Context, f SoftwareFilter, p Page) ([]Software, int, error) {
	where, args := softwareWhere(f)
	cl, qa := p.like(softwareSearch...)
	where += cl
	args = append(args, qa...)
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_installs WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count software: %w", err)
	}
	if total == 0 || p.Offset >= total {
		return []Software{}, total, nil
	}
	out, err := s.querySoftware(ctx, `SELECT `+installCols+` FROM ledger_installs WHERE `+where+softwareOrder+p.sqlWindow(s.db.Dialect), args)
	return out, total, err
}

// sqlWindow is the LIMIT/OFFSET suffix; without a limit, an offset needs
// the dialect's spelling of "no limit".
func (p Page) sqlWindow(d store.Dialect) string {
	switch {
	case p.Limit > 0:
		return fmt.Sprintf(` LIMIT %d OFFSET %d`, p.Limit, p.Offset)
	case p.Offset == 0:
		return ""
	case d == store.Postgres:
		return fmt.Sprintf(` OFFSET %d`, p.Offset)
	default:
		return fmt.Sprintf(` LIMIT -1 OFFSET %d`, p.Offset)
	}
}

// licenseSearch lists the columns ?q= searches in licences.
var licenseSearch = []string{"id", "product", "product_name", "department", "contract_no", "purpose", "notes", "edition"}

// ListLicensesPage is ListLicenses for one page with the number of licences
// matching before the window.
func (s *Store) ListLicensesPage(ctx context.Context, f LicenseFilter, p Page) ([]License, int, error) {
	where, args := licenseWhere(f)
	cl, qa := p.like(licenseSearch...)
	where += cl
	args = append(args, qa...)
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_licenses WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count licences: %w", err)
	}
	if total == 0 || p.Offset >= total {
		return []License{}, total, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+licenseCols+` FROM ledger_licenses WHERE `+where+licenseOrder+p.sqlWindow(s.db.Dialect), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list licences: %w", err)
	}
	defer rows.Close()
	out := []License{}
	for rows.Next() {
		l, err := s.scanLicense(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list licences: %w", err)
		}
		out = append(out, l)
	}
	return out, total, rows.Err()
}

// The filters below repeat ListSoftware's and ListLicenses' (kept apart so
// this paging stays self-contained); a test checks both agree.

const (
	softwareOrder = ` ORDER BY department, device, category, product, name, version, id`
	licenseOrder  = ` ORDER BY department, product, id`
)

func softwareWhere(f SoftwareFilter) (string, []any) {
	q := `1 = 1`
	var args []any
	if f.AsOf.IsZero() {
		q += ` AND removed_at = ''`
	} else {
		at := store.Time(f.AsOf.UTC())
		q += ` AND first_seen <= ? AND (removed_at = '' OR removed_at > ?)`
		args = append(args, at, at)
	}
	if f.Department != "" {
		q += ` AND department = ?`
		args = append(args, f.Department)
	}
	if f.Device != "" {
		q += ` AND device = ?`
		args = append(args, f.Device)
	}
	if f.Category != "" {
		q += ` AND category = ?`
		args = append(args, f.Category)
	}
	if f.Product != "" {
		q += ` AND product = ?`
		args = append(args, f.Product)
	}
	if !f.All {
		q += ` AND product <> '' AND kind = 'install' AND category <> 'other'`
	}
	return q, args
}

func licenseWhere(f LicenseFilter) (string, []any) {
	q := `1 = 1`
	var args []any
	if f.Department != "" {
		if f.WithPool {
			q += ` AND (department = ? OR department = '')`
		} else {
			q += ` AND department = ?`
		}
		args = append(args, f.Department)
	}
	if f.Product != "" {
		q += ` AND product = ?`
		args = append(args, f.Product)
	}
	return q, args
}

func (s *Store) querySoftware(ctx context.Context, q string, args []any) ([]Software, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list software: %w", err)
	}
	defer rows.Close()
	out := []Software{}
	for rows.Next() {
		var sw Software
		var dom, com, home int
		var first, last, removed string
		if err := rows.Scan(&sw.ID, &sw.Department, &sw.Device, &sw.DeviceName, &sw.Source, &sw.Name, &sw.Version, &sw.Vendor, &sw.Product,
			&sw.ProductName, &sw.Category, &sw.Kind, &dom, &com, &sw.Edition, &home, &sw.Agent, &sw.ReportID, &first, &last, &removed); err != nil {
			return nil, fmt.Errorf("list software: %w", err)
		}
		sw.Domestic, sw.Commercial, sw.HomeEdition = dom != 0, com != 0, home != 0
		sw.FirstSeen, _ = store.ParseTime(first)
		sw.LastSeen, _ = store.ParseTime(last)
		if removed != "" {
			t, _ := store.ParseTime(removed)
			sw.RemovedAt = &t
		}
		out = append(out, sw)
	}
	return out, rows.Err()
}
