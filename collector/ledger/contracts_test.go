package ledger

import (
	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/rules"
)

// The interfaces other collector packages define and the ledger fills.
var (
	_ ingest.Processor       = (*Processor)(nil)
	_ rules.Detector         = (*Detector)(nil)
	_ progress.SoftwareStats = (*Store)(nil)
	_ export.LedgerSource    = ExportSource{}
)
