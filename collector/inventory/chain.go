package inventory

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/egovnet/egovnet/collector/store"
)

// Sighting chains. An agent's bulk scan sees mostly what its last one saw:
// rewriting every row only to move last_seen and last_report was most of
// a 10,000-endpoint report's cost, on both stores. So the rows an agent's
// newest bulk report saw exactly as its previous one did are not written;
// they are "chained" to the agent (endpoints.chain_agent), and their
// newest sighting is the chain's (endpoint_chains: the time and report of
// the agent's newest chained report). The endpoint_now view reads the
// row's own columns or its chain's.
//
// The invariant: a row chained to agent A was seen by A's chain report,
// and nothing newer has been recorded for it. Kept by:
//   - a chained report of A writes the rows it sees that are new, changed
//     or not chained to A, chained to A; and freezes the rows chained to A
//     it does not see (their last sighting is the chain's until now), all
//     before the chain moves;
//   - every other write of a row compares with its chained sighting
//     (storedSeen) and, when newer, takes the row off the chain.
// Only an agent's newest report (later than its chain) moves the chain;
// an older one is written as any report is.
//
// Concurrency: on SQLite the writer is one. On PostgreSQL a chained
// report decides which rows to skip from what it read, so no other report
// may write the department's endpoints between that read and its commit:
// it holds the department's endpoints lock exclusively, every other
// report holds it shared (reports without chains still run side by side).

// chainAt is the size from which a report is chained: below it a report
// writes its rows in the statements it would send anyway, where a chain
// costs a read first (a round trip on PostgreSQL).
const chainAt = 1000

// upsertChained records rows seen by reportID, agentID's report at at.
func upsertChained(ctx context.Context, tx *store.Tx, dept, reportID, agentID, at string, rows []endpointRow) error {
	if err := lockEndpoints(ctx, tx, dept, true); err != nil {
		return err
	}
	ch, err := loadChain(ctx, tx, dept, agentID)
	if err != nil {
		return err
	}
	if ch.exists && at <= ch.seenAt {
		// not the agent's newest: as any report (the upsert keeps newer facts)
		return writeEndpoints(ctx, tx, dept, reportID, agentID, at, "", rows)
	}
	write := make([]endpointRow, 0, len(rows)/8)
	for i := range rows {
		r := &rows[i]
		r.digest = digestOf(r, agentID)
		if d, ok := ch.rows[r.ip]; ok {
			delete(ch.rows, r.ip)
			if d == r.digest {
				continue // seen as before: the chain moves its sighting
			}
		}
		write = append(write, *r)
	}
	if err := freeze(ctx, tx, dept, agentID, ch); err != nil {
		return err
	}
	if err := writeEndpoints(ctx, tx, dept, reportID, agentID, at, agentID, write); err != nil {
		return err
	}
	if err := tx.ExecLater(ctx, `INSERT INTO endpoint_chains (department, agent_id, seen_at, report_id) VALUES (?, ?, ?, ?)
ON CONFLICT (department, agent_id) DO UPDATE SET seen_at = excluded.seen_at, report_id = excluded.report_id`,
		dept, agentID, at, reportID); err != nil {
		return fmt.Errorf("move the sightings of %s: %w", agentID, err)
	}
	return nil
}

// chain is an agent's chain as stored: its newest sighting and the rows on
// it (address -> digest).
type chain struct {
	exists           bool
	seenAt, reportID string
	rows             map[string]string
}

func loadChain(ctx context.Context, tx *store.Tx, dept, agentID string) (chain, error) {
	ch := chain{rows: map[string]string{}}
	// ScanRow: on PostgreSQL the statements held back so far (the lock
	// among them) go with it, in one round trip
	err := tx.ScanRow(ctx, []any{&ch.seenAt, &ch.reportID}, `SELECT seen_at, report_id FROM endpoint_chains WHERE department = ? AND agent_id = ?`, dept, agentID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ch, nil
		}
		return ch, fmt.Errorf("load the sightings of %s: %w", agentID, err)
	}
	ch.exists = true
	// "chain_agent <> ''" names the partial index endpoints_chained, which
	// SQLite uses only when the query says so in its text
	rs, err := tx.Query(ctx, `SELECT ip, digest FROM endpoints WHERE department = ? AND chain_agent = ? AND chain_agent <> ''`, dept, agentID)
	if err != nil {
		return ch, fmt.Errorf("load the rows %s saw: %w", agentID, err)
	}
	defer rs.Close()
	for rs.Next() {
		var ip, d string
		if err := rs.Scan(&ip, &d); err != nil {
			return ch, fmt.Errorf("load the rows %s saw: %w", agentID, err)
		}
		ch.rows[ip] = d
	}
	if err := rs.Err(); err != nil {
		return ch, fmt.Errorf("load the rows %s saw: %w", agentID, err)
	}
	return ch, nil
}

// freeze takes the rows left in ch.rows (on the chain, not seen again)
// off it: their newest sighting stays the chain's until now.
func freeze(ctx context.Context, tx *store.Tx, dept, agentID string, ch chain) error {
	ips := make([]string, 0, len(ch.rows))
	for ip := range ch.rows {
		ips = append(ips, ip)
	}
	slices.Sort(ips) // one lock order (PostgreSQL)
	args := make([]any, 0, 4+freezeChunk)
	for _, n := range store.RowBatches(len(ips), freezeChunk) {
		args = append(args[:0], ch.seenAt, ch.reportID, dept, agentID)
		for _, ip := range ips[:n] {
			args = append(args, ip)
		}
		if err := tx.ExecLater(ctx, freezeSQL.SQL(n), args...); err != nil {
			return fmt.Errorf("record %d endpoints %s no longer sees: %w", n, agentID, err)
		}
		ips = ips[n:]
	}
	return nil
}

const freezeChunk = 500

var freezeSQL = &store.MultiRow{
	Head: `UPDATE endpoints SET last_seen = ?, last_report = ?, chain_agent = '' WHERE department = ? AND chain_agent = ? AND ip IN (`,
	Row:  "?",
	Tail: ")",
}

// digestOf identifies what a row's sighting says (everything the upsert
// would write but the times and the report), so an unchanged row is
// recognised without reading it back. Writing the same sighting twice
// leaves a row as writing it once, which is what makes skipping it right.
func digestOf(r *endpointRow, agentID string) string {
	h := sha256.New()
	for _, s := range []string{agentID, r.mac, r.vendor, r.hostname, r.role, r.ports, r.titles, r.seenBy} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// lockEndpoints takes the department's endpoints lock for the
// transaction on PostgreSQL (see the concurrency note above).
func lockEndpoints(ctx context.Context, tx *store.Tx, dept string, exclusive bool) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	if err := tx.ExecLater(ctx, `SELECT `+fn+`(?)`, store.LockKey("egovnet/endpoints/"+dept)); err != nil {
		return fmt.Errorf("lock the endpoints of %s: %w", dept, err)
	}
	return nil
}
