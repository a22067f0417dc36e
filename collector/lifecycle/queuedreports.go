package lifecycle

import "github.com/egovnet/egovnet/internal/wire"

// A queued scan's report is kept decoded until its batched judgement has
// committed (issue 16): the judgement reads every queued scan's report as
// its agent's facts for a segment, and reading it back from the store
// cost a query (a round trip on PostgreSQL) and a JSON decode per scan,
// a quarter of the judgement's time, for the very report the processor
// held a moment before. Only what this process queued is kept, so after a
// restart (or beyond the bound) the store is read as before; the report
// held is the one stored (the ingester stores the report it hands the
// processors), so the judgement is the same either way.

// maxQueuedReports bounds the reports kept; beyond it the keep starts
// over, which only costs reads.
const maxQueuedReports = 1 << 13

// queuedReportFacts: a report holding more facts than this is not kept (a
// bulk report's decoded form is large; it is read back when judged).
const queuedReportFacts = 2000

// keepQueued keeps rep, queued for a batched judgement, decoded.
func (p *Processor) keepQueued(rep *wire.ScanReport) {
	if factsSize([]*wire.ScanReport{rep}) > queuedReportFacts {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.queuedReps[rep.ReportID]; !ok && len(p.queuedReps) >= maxQueuedReports {
		clear(p.queuedReps)
	}
	p.queuedReps[rep.ReportID] = rep
}

// queuedReport is the kept report of a queued scan, or nil.
func (p *Processor) queuedReport(reportID string) *wire.ScanReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queuedReps[reportID]
}

// forgetQueued drops the reports of scans whose judgement committed.
func (p *Processor) forgetQueued(segs [][]queuedScan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, seg := range segs {
		for _, q := range seg {
			delete(p.queuedReps, q.reportID)
		}
	}
}
