package devices

import (
	"context"

	"github.com/egovnet/egovnet/internal/wire"
)

// Processor is the ingest processor that files each report's devices and
// endpoint addresses (collector/ingest.Processor).
type Processor struct{ S *Store }

// NewProcessor returns the processor over s.
func NewProcessor(s *Store) Processor { return Processor{S: s} }

// Name implements ingest.Processor.
func (Processor) Name() string { return "devices" }

// Process implements ingest.Processor; it is idempotent.
func (p Processor) Process(ctx context.Context, rep *wire.ScanReport, department string) error {
	return p.S.Apply(ctx, department, rep.ReportID, rep.FinishedAt, rep.Devices, rep.Endpoints)
}
