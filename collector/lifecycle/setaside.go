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
// cannot be read at all (gone, compacted, or not JSON) would fail its
// department's batched judgement on every round, and every scan queued
// behind it would wait for ever; so would an agent's kept latest report
// (rules_reports) that cannot be read, which every judgement of the
// department reads. When a judgement fails, the reports it was to read are
// checked one by one:
//   - a queued scan whose report is unreadable is moved to rules_set_aside
//     with the reason (an operator sees it in the log and in
//     egovnet_scans_set_aside, and the row names the report to look at);
//     where it was its agent's latest, the agent's latest goes back to the
//     report it replaced, and a later queued scan of the agent leans on
//     that one instead;
//   - a kept latest report that is unreadable (and not queued) is set aside
//     the same way and its agent counts as unseen until its next scan;
//   - a queued scan whose previous report is unreadable keeps its place
//     but no longer leans on that report (its agent counts as unseen
//     before it).
// Any other failure (the database away, a timeout) sets nothing aside: it
// is retried, as before.

// unreadable says whether err means the report can never be read, as
// opposed to not read this time.
func unreadable(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.Is(err, inventory.ErrNotFound) || errors.Is(err, inventory.ErrCompacted) || errors.Is(err, inventory.ErrUnreadable) ||
		errors.As(err, &syntax) || errors.As(err, &typ)
}

// setAsideUnreadable checks the reports a failed judgement of dept was to
// read (the queued scans qs and the agents' kept reports base) and takes
// the unreadable ones out of the way. It returns how many it set aside or
// freed; 0 means the failure lies elsewhere.
func (p *Processor) setAsideUnreadable(ctx context.Context, dept string, qs []queuedScan, base []keptReport) (int, error) {
	// check says whether a report is unreadable for good (ok false: the
	// check itself failed for another reason, so nothing is decided).
	check := func(agentKey, id string) (reason string, ok bool) {
		_, err := p.load(ctx, dept, keptReport{agentKey: agentKey, reportID: id, earlier: true})
		switch {
		case err == nil:
			return "", true
		case unreadable(err):
			return err.Error(), true
		default:
			return "", false
		}
	}
	type aside struct {
		q      queuedScan
		reason string
	}
	var out []aside
	var freed []string
	queued := map[string]bool{}
	for _, q := range qs {
		queued[q.reportID] = true
		reason, ok := check(q.agentKey, q.reportID)
		if !ok {
			return 0, nil
		}
		if reason != "" {
			out = append(out, aside{q, reason})
			continue
		}
		if q.prev.reportID == "" {
			continue
		}
		if reason, ok = check(q.agentKey, q.prev.reportID); !ok {
			return 0, nil
		}
		if reason != "" {
			p.log.Error("queued scan's previous report is unreadable; its agent counts as unseen before the scan",
				"department", dept, "report", q.reportID, "previous", q.prev.reportID, "err", reason)
			freed = append(freed, q.reportID)
		}
	}
	var keptBad []aside
	for _, k := range base {
		if queued[k.reportID] || k.body != "" {
			continue // a queued one is checked above; a kept body is read from rules_reports
		}
		reason, ok := check(k.agentKey, k.reportID)
		if !ok {
			return 0, nil
		}
		if reason != "" {
			keptBad = append(keptBad, aside{queuedScan{reportID: k.reportID, agentKey: k.agentKey, finishedAt: k.finishedAt}, reason})
		}
	}
	if len(out) == 0 && len(freed) == 0 && len(keptBad) == 0 {
		return 0, nil
	}
	err := p.db.InTx(ctx, func(tx *store.Tx) error {
		record := func(a aside, agent string) error {
			if _, err := tx.Exec(ctx, `INSERT INTO rules_set_aside (report_id, department, agent, finished_at, reason, set_aside_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING`, a.q.reportID, dept, agent, ts(a.q.finishedAt), a.reason, ts(time.Now())); err != nil {
				return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
			}
			return nil
		}
		for _, a := range out {
			if err := record(a, a.q.agent); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM rules_pending WHERE report_id = ?`, a.q.reportID); err != nil {
				return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
			}
			// The agent's latest, and a scan queued later of the same
			// agent, lean on the report this scan replaced instead.
			prevAt := ""
			if a.q.prev.reportID != "" {
				prevAt = ts(a.q.prev.finishedAt)
			}
			if _, err := tx.Exec(ctx, `UPDATE rules_pending SET prev_report_id = ?, prev_finished_at = ? WHERE prev_report_id = ?`,
				a.q.prev.reportID, prevAt, a.q.reportID); err != nil {
				return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
			}
			if a.q.prev.reportID != "" && p.opt.Facts != nil {
				_, err := tx.Exec(ctx, `UPDATE rules_reports SET report_id = ?, finished_at = ?, body = '' WHERE department = ? AND agent_key = ? AND report_id = ?`,
					a.q.prev.reportID, prevAt, dept, a.q.agentKey, a.q.reportID)
				if err != nil {
					return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
				}
			} else if _, err := tx.Exec(ctx, `DELETE FROM rules_reports WHERE department = ? AND agent_key = ? AND report_id = ?`,
				dept, a.q.agentKey, a.q.reportID); err != nil {
				return fmt.Errorf("set aside scan %s: %w", a.q.reportID, err)
			}
		}
		for _, a := range keptBad {
			if err := record(a, a.q.agentKey); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM rules_reports WHERE department = ? AND agent_key = ? AND report_id = ?`,
				dept, a.q.agentKey, a.q.reportID); err != nil {
				return fmt.Errorf("set aside kept report %s: %w", a.q.reportID, err)
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
	for _, a := range keptBad {
		p.log.Error("agent's latest report set aside: it cannot be read; the agent counts as unseen until its next scan",
			"department", dept, "report", a.q.reportID, "agent", a.q.agentKey, "err", a.reason)
	}
	return len(out) + len(freed) + len(keptBad), nil
}
