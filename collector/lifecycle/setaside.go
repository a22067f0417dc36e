package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
)

// Setting aside what cannot be judged. A queued scan whose stored report
// cannot be read at all (gone, compacted, or not JSON) would fail its department's
// batched judgement on every round, and every scan queued behind it would
// wait for ever. When a judgement fails, the scans it was to cover are
// checked one by one: a report the store says is not there, or that does
// not decode, is moved to rules_set_aside with the reason (an operator
// sees it in the log and in egovnet_scans_set_aside, and the row names the
// report to look at); a queued scan whose previous report is unreadable
// keeps its place but no longer leans on that report (its agent counts as
// unseen before it). Any other failure (the database away, a timeout) sets
// nothing aside: it is retried, as before.

// unreadable says whether err means the report can never be read, as
// opposed to not read this time.
func unreadable(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.Is(err, inventory.ErrNotFound) || errors.Is(err, inventory.ErrCompacted) || errors.As(err, &syntax) || errors.As(err, &typ)
}

// setAsideUnreadable checks the reports of scans qs (of dept) after a
// judgement covering them failed and takes the unreadable ones out of the
// way. It returns how many scans it set aside or freed from an unreadable
// previous report; 0 means the failure lies elsewhere.
func (p *Processor) setAsideUnreadable(ctx context.Context, dept string, qs []queuedScan) (int, error) {
	type aside struct {
		q      queuedScan
		reason string
	}
	var out []aside
	var freed []string
	for _, q := range qs {
		if _, err := p.load(ctx, dept, keptReport{agentKey: q.agentKey, reportID: q.reportID, earlier: true}); err != nil {
			if !unreadable(err) {
				return 0, nil
			}
			out = append(out, aside{q, err.Error()})
			continue
		}
		if q.prev.reportID == "" {
			continue
		}
		if _, err := p.load(ctx, dept, keptReport{agentKey: q.agentKey, reportID: q.prev.reportID, earlier: true}); err != nil {
			if !unreadable(err) {
				return 0, nil
			}
			p.log.Error("queued scan's previous report is unreadable; its agent counts as unseen before the scan",
				"department", dept, "report", q.reportID, "previous", q.prev.reportID, "err", err)
			freed = append(freed, q.reportID)
		}
	}
	if len(out) == 0 && len(freed) == 0 {
		return 0, nil
	}
	err := p.db.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range out {
			if _, err := tx.Exec(ctx, `INSERT INTO rules_set_aside (report_id, department, agent, finished_at, reason, set_aside_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING`, a.q.reportID, dept, a.q.agent, ts(a.q.finishedAt), a.reason, ts(time.Now())); err != nil {
				return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM rules_pending WHERE report_id = ?`, a.q.reportID); err != nil {
				return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
			}
			// a scan queued later of the same agent leaned on this one
			if _, err := tx.Exec(ctx, `UPDATE rules_pending SET prev_report_id = '', prev_finished_at = '' WHERE prev_report_id = ?`, a.q.reportID); err != nil {
				return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
			}
		}
		for _, id := range freed {
			if _, err := tx.Exec(ctx, `UPDATE rules_pending SET prev_report_id = '', prev_finished_at = '' WHERE report_id = ?`, id); err != nil {
				return fmt.Errorf("free scan %s from its previous report: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, a := range out {
		p.log.Error("queued scan set aside: its report cannot be read", "department", dept, "report", a.q.reportID,
			"agent", a.q.agent, "err", a.reason)
	}
	return len(out) + len(freed), nil
}
