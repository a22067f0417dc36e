package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

// ErrCompacted is returned by RawReport for a report whose raw content was
// compacted to its header: what it said about the network is in the
// endpoints table and the derived state, no longer in the report.
var ErrCompacted = errors.New("report compacted")

// compactKeep are the report fields a compacted report keeps: who sent it,
// when, for which scope, and the agent's spool figures. History (report
// lists, endpoint first/last sightings, last_report) and evidence (report
// ids in findings, ledger rows and snapshots) refer to a report by id and
// times, which stay; the per-endpoint bodies are what takes the room.
var compactKeep = []string{"schema", "report_id", "agent", "started_at", "finished_at", "scope", "stats"}

// CompactRaw returns the compacted form of a stored raw report: its
// header with a "compacted" marker.
func CompactRaw(raw []byte) ([]byte, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("compact report: %w", err)
	}
	out := make(map[string]json.RawMessage, len(compactKeep)+1)
	for _, k := range compactKeep {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	out["compacted"] = json.RawMessage("true")
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("compact report: %w", err)
	}
	return b, nil
}

// SameRawTx reports whether the stored report reportID has the content raw
// (canonical JSON of the decoded report); for a compacted report the
// compacted forms are compared, so an agent's late retry of an old report
// is still recognised as a retry.
func SameRawTx(ctx context.Context, tx *store.Tx, reportID string, raw []byte) (bool, error) {
	var text string
	var packed []byte
	var compacted int
	if err := tx.QueryRow(ctx, `SELECT raw, raw_z, compacted FROM reports WHERE report_id = ?`, reportID).Scan(&text, &packed, &compacted); err != nil {
		return false, fmt.Errorf("load stored report %s: %w", reportID, err)
	}
	stored, err := unpack(reportID, text, packed)
	if err != nil {
		return false, err
	}
	if compacted != 0 {
		c, err := CompactRaw(raw)
		if err != nil {
			return false, err
		}
		raw = c
	}
	return bytes.Equal(stored, raw), nil
}

// compactBatch is how many reports one compaction transaction rewrites.
const compactBatch = 200

// CompactReports compacts the raw content of reports received before
// cutoff to its header (CompactRaw), except the reports still needed whole:
// pending ones (ProcessPending replays them), the newest of each department
// (its path probes are shown) and of each agent in a department (the
// department's current facts), and those named by the keep queries, each a
// SELECT of report ids other packages read raw (for example the reports
// the rules engine keeps as each agent's latest facts). Rows stay: only
// raw shrinks. It returns how many reports it compacted and the ids of
// those it could not read (damaged rows, left as they are and passed over,
// so they never hold the others back).
func (s *Store) CompactReports(ctx context.Context, cutoff time.Time, keep ...string) (int64, []string, error) {
	q := `SELECT report_id, received_at, raw, raw_z FROM reports r WHERE compacted = 0 AND processed = 1 AND received_at < ?
 AND finished_at < (SELECT MAX(r2.finished_at) FROM reports r2 WHERE r2.department = r.department)
 AND finished_at < (SELECT MAX(r3.finished_at) FROM reports r3 WHERE r3.department = r.department AND r3.agent_id = r.agent_id)`
	for _, k := range keep {
		q += ` AND report_id NOT IN (` + k + `)`
	}
	// Paged by (received_at, report_id) from where the last batch ended,
	// not from the start: rows passed over stay uncompacted.
	q += ` AND (received_at > ? OR (received_at = ? AND report_id > ?)) ORDER BY received_at, report_id LIMIT ?`
	var done int64
	var unreadable []string
	var afterAt, afterID string
	for {
		var n int64
		selected := 0
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			type row struct {
				id, at, raw string
				packed      []byte
			}
			var batch []row
			rows, err := tx.Query(ctx, q, SortableTime(cutoff), afterAt, afterAt, afterID, compactBatch)
			if err != nil {
				return fmt.Errorf("select reports to compact: %w", err)
			}
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.at, &r.raw, &r.packed); err != nil {
					rows.Close()
					return fmt.Errorf("select reports to compact: %w", err)
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("select reports to compact: %w", err)
			}
			selected = len(batch)
			for _, r := range batch {
				afterAt, afterID = r.at, r.id
				raw, err := unpack(r.id, r.raw, r.packed)
				if errors.Is(err, ErrUnreadable) {
					unreadable = append(unreadable, r.id)
					continue
				}
				if err != nil {
					return err
				}
				c, err := CompactRaw(raw)
				if err != nil {
					unreadable = append(unreadable, r.id) // text that is not JSON
					continue
				}
				// the header is small: kept as text, the whole report's packed form dropped
				res, err := tx.Exec(ctx, `UPDATE reports SET raw = ?, raw_z = NULL, compacted = 1 WHERE report_id = ? AND compacted = 0`, string(c), r.id)
				if err != nil {
					return fmt.Errorf("compact report %s: %w", r.id, err)
				}
				k, _ := res.RowsAffected()
				n += k
			}
			return nil
		})
		if err != nil {
			return done, unreadable, err
		}
		done += n
		if selected < compactBatch {
			return done, unreadable, nil
		}
		if err := ctx.Err(); err != nil {
			return done, unreadable, err
		}
	}
}
