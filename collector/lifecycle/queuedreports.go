package lifecycle

import (
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/internal/wire"
)

// A queued scan's report is kept decoded until its batched judgement has
// committed (issue 16): the judgement reads every queued scan's report as
// its agent's facts for a segment, and reading it back from the store
// cost a query (a round trip on PostgreSQL) and a JSON decode per scan,
// a quarter of the judgement's time, for the very report the processor
// held a moment before. Only what this process queued is kept, so after a
// restart (or beyond the bounds) the store is read as before; the report
// held is the one stored (the ingester stores the report it hands the
// processors), so the judgement is the same either way.
//
// A kept report is dropped when this process's judgement of it commits,
// or when it has been kept for maxKeptFor: another collector on the same
// PostgreSQL may judge it, a report whose transaction was undone never
// is, and the back-pressure (rules.max_judgement_lag) keeps a scan queued
// far less long than that.

// Bounds of the keep: reports, their facts in all (about 450 bytes
// decoded each: some 60 MB at most), a report's own facts (a bulk
// report is read back when judged), and how long one is kept.
const (
	maxKeptReports = 1 << 13
	maxKeptFacts   = 1 << 17
	maxReportFacts = 2000
	maxKeptFor     = 2 * time.Minute
)

// keptReport is a queued scan's report, kept decoded.
type keptQueued struct {
	rep   *wire.ScanReport
	dept  string // the department it was queued in
	key   string // and its agent (rules.AgentKey)
	facts int
	at    time.Time
}

// keepQueued keeps rep, queued for a batched judgement, decoded, if the
// bounds allow; otherwise it is read back when judged.
func (p *Processor) keepQueued(rep *wire.ScanReport, dept string) {
	n := factsSize([]*wire.ScanReport{rep})
	key := rules.AgentKey(rep)
	if n > maxReportFacts {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.queuedReps[rep.ReportID]; ok {
		p.keptFacts -= old.facts
	} else if len(p.queuedReps) >= maxKeptReports || p.keptFacts+n > maxKeptFacts {
		return
	}
	p.queuedReps[rep.ReportID] = keptQueued{rep: rep, dept: dept, key: key, facts: n, at: time.Now()}
	p.keptFacts += n
}

// queuedReport is the kept report of a queued scan, or nil.
func (p *Processor) queuedReport(reportID string) *wire.ScanReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queuedReps[reportID].rep
}

// queuedReportOf is queuedReport if it was queued in dept by the agent
// agentKey names: a report id another agent reused is not the stored one.
func (p *Processor) queuedReportOf(reportID, dept, agentKey string) *wire.ScanReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	kq, ok := p.queuedReps[reportID]
	if !ok || kq.dept != dept || kq.key != agentKey {
		return nil
	}
	return kq.rep
}

// forgetQueued drops the reports of scans whose judgement committed.
func (p *Processor) forgetQueued(segs [][]queuedScan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, seg := range segs {
		for _, q := range seg {
			p.dropKept(q.reportID)
		}
	}
}

// pruneKept drops the reports kept for maxKeptFor at now.
func (p *Processor) pruneKept(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, k := range p.queuedReps {
		if now.Sub(k.at) >= maxKeptFor {
			p.dropKept(id)
		}
	}
}

// dropKept drops one kept report; p.mu is held.
func (p *Processor) dropKept(id string) {
	if k, ok := p.queuedReps[id]; ok {
		p.keptFacts -= k.facts
		delete(p.queuedReps, id)
	}
}
