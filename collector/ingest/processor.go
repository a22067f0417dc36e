// Package ingest accepts scan reports: validates them, deduplicates by
// report id, and in one transaction per report (on SQLite, shared with
// concurrent reports: one commit for several) stores the facts, hands the
// report to the processors (rules, ledger, progress, ...) that derive state
// from it, and commits; the client is acknowledged after that commit.
package ingest

import (
	"context"

	"github.com/egovnet/egovnet/internal/wire"
)

// Processor derives state from a stored report. Processors run in
// registration order inside the report's transaction, each in a savepoint:
// ctx carries the transaction (store.WithTx), so their own db.InTx, Exec and
// Query join it. A failing processor is undone alone and leaves the report
// marked pending, so it is processed again; it never un-acknowledges it.
// Processors must be idempotent, and state they keep in memory must stay
// right if the transaction is undone (the whole report is re-run after a
// lost race).
type Processor interface {
	Name() string
	Process(ctx context.Context, rep *wire.ScanReport, department string) error
}
