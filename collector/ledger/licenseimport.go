package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/google/uuid"
)

// MaxProblems bounds the problems one import reports: a sheet of 100,000
// bad rows must not answer with a 100 MB error body.
const MaxProblems = 100

// ForbiddenError lists the rows of an import that would have changed a
// licence the caller may not write. Nothing of the import is stored.
type ForbiddenError struct {
	Problems []string
}

func (e *ForbiddenError) Error() string {
	return "licence import refused: " + strings.Join(e.Problems, "; ")
}

// problemList collects per-row problems up to MaxProblems and counts the
// rest, so the error stays small whatever the input.
type problemList struct {
	items   []string
	dropped int
}

func (p *problemList) add(format string, args ...any) {
	if len(p.items) >= MaxProblems {
		p.dropped++
		return
	}
	p.items = append(p.items, fmt.Sprintf(format, args...))
}

func (p *problemList) len() int { return len(p.items) + p.dropped }

// list is the problems with a closing "and M more" line when some were dropped.
func (p *problemList) list() []string {
	if p.dropped == 0 {
		return p.items
	}
	return append(append([]string(nil), p.items...), fmt.Sprintf("… and %d more problems", p.dropped))
}

// ImportLicensesAs is ImportLicenses for a caller whose writes are limited
// by may (nil: may write everything). A row whose id names an existing
// licence may update it only when the caller may write that licence's
// current department: otherwise a department administrator could take
// over another department's or the shared pool's licence by its id. The
// check runs inside the import's transaction, so a refused row leaves
// every licence unchanged.
func (s *Store) ImportLicensesAs(ctx context.Context, ls []License, may func(dept string) bool) (created, updated int, err error) {
	var problems problemList
	for i := range ls {
		if e := ls[i].Normalize(s.cat); e != nil {
			var ve *ValidationError
			if errors.As(e, &ve) {
				for _, p := range ve.Problems {
					problems.add("row %d: %s", i+1, p)
				}
			}
		}
	}
	seen := make(map[string]int, len(ls))
	for i, l := range ls {
		if l.ID == "" {
			continue
		}
		if j, dup := seen[l.ID]; dup {
			problems.add("row %d: id %q repeats row %d", i+1, l.ID, j+1)
		}
		seen[l.ID] = i
	}
	if problems.len() > 0 {
		return 0, 0, &ValidationError{Problems: problems.list()}
	}
	now := s.now().UTC()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if may != nil {
			var refused problemList
			for i, l := range ls {
				if l.ID == "" {
					continue
				}
				var dept string
				err := tx.QueryRow(ctx, `SELECT department FROM ledger_licenses WHERE id = ?`, l.ID).Scan(&dept)
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					return fmt.Errorf("read licence %s: %w", l.ID, err)
				}
				if !may(dept) {
					refused.add("row %d: licence %q exists and belongs to another department or the shared pool; a department administrator updates only their own department's licences (leave id empty to add a new one)", i+1, l.ID)
				}
			}
			if refused.len() > 0 {
				return &ForbiddenError{Problems: refused.list()}
			}
		}
		for _, l := range ls {
			l.UpdatedAt = now
			if l.ID != "" {
				res, err := tx.Exec(ctx, `UPDATE ledger_licenses SET product = ?, product_name = ?, category = ?, version_range = ?, edition = ?, seats = ?,
					department = ?, cost_cents = ?, purpose = ?, contract_no = ?, purchase_date = ?, expiry = ?, filing_status = ?, notes = ?, updated_at = ?
					WHERE id = ?`, l.Product, l.ProductName, l.Category, l.VersionRange, l.Edition, l.Seats, l.Department, cents(l.Cost), l.Purpose,
					l.ContractNo, l.PurchaseDate, l.Expiry, l.FilingStatus, l.Notes, store.Time(now), l.ID)
				if err != nil {
					return fmt.Errorf("import licence %s: %w", l.ID, err)
				}
				if n, _ := res.RowsAffected(); n > 0 {
					updated++
					continue
				}
			} else {
				l.ID = uuid.NewString()
			}
			l.CreatedAt = now
			if err := insertLicense(ctx, tx, l); err != nil {
				return err
			}
			created++
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return created, updated, nil
}
