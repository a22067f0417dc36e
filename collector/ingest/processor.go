// Package ingest accepts scan reports: validates them, deduplicates by
// report id, commits the facts, acknowledges, and then hands each report to
// the processors (rules, ledger, progress) that derive state from it.
package ingest

import (
	"context"

	"github.com/egovnet/egovnet/internal/wire"
)

// Processor derives state from a committed report. Processors run after the
// commit, in registration order; a failing processor leaves the report marked
// pending so it is processed again, and never un-acknowledges it.
type Processor interface {
	Name() string
	Process(ctx context.Context, rep *wire.ScanReport, department string) error
}
