package inventory

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// UpsertEndpoints records every endpoint of one report of department dept.
// first_seen and last_seen are scan times (finished_at), so an offline import
// of an old scan extends history backwards without overwriting newer facts:
// attributes are replaced only by a report at least as new as the last one.
// A report of chainAt endpoints or more that is its agent's newest writes
// only the rows it changes (chain.go); the others write every row.
func UpsertEndpoints(ctx context.Context, tx *store.Tx, dept, reportID, agentID string, seenAt time.Time, eps []wire.Endpoint) error {
	return upsertEndpoints(ctx, tx, dept, reportID, agentID, seenAt, eps, chainAt)
}

// upsertEndpoints is UpsertEndpoints chaining reports of chainFrom
// endpoints or more.
func upsertEndpoints(ctx context.Context, tx *store.Tx, dept, reportID, agentID string, seenAt time.Time, eps []wire.Endpoint, chainFrom int) error {
	rows, err := endpointRows(eps)
	if err != nil {
		return err
	}
	at := SortableTime(seenAt)
	if len(rows) == 0 {
		return nil // nothing to write: no lock to wait for
	}
	if len(rows) >= chainFrom {
		return upsertChained(ctx, tx, dept, reportID, agentID, at, rows)
	}
	if err := lockEndpoints(ctx, tx, dept, false); err != nil {
		return err
	}
	return writeEndpoints(ctx, tx, dept, reportID, agentID, at, "", rows)
}

// endpointRow is one address of a report as its endpoints row stores it.
type endpointRow struct {
	addr                            netip.Addr
	ip, mac, vendor, hostname, role string
	ports, titles, seenBy           string // JSON
	digest                          string // chained rows only (digestOf)
}

// endpointRows turns a report's endpoints into rows, in address order and
// one row per address.
func endpointRows(eps []wire.Endpoint) ([]endpointRow, error) {
	// Address order: concurrent reports of one department then lock
	// endpoint rows in the same order and cannot deadlock (PostgreSQL).
	type item struct {
		addr netip.Addr
		e    *wire.Endpoint
	}
	items := make([]item, 0, len(eps))
	for i := range eps {
		addr, err := netip.ParseAddr(eps[i].IP)
		if err != nil {
			return nil, fmt.Errorf("upsert endpoint %q: %w", eps[i].IP, err)
		}
		items = append(items, item{addr.Unmap(), &eps[i]})
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.addr.Compare(b.addr) })
	// One address once per statement: a multi-row upsert may not touch a
	// row twice (PostgreSQL). Repeats merge as the upsert would apply them
	// one after the other: a later non-empty attribute wins.
	dedup := items[:0]
	for _, it := range items {
		if n := len(dedup); n > 0 && dedup[n-1].addr == it.addr {
			m := *dedup[n-1].e
			e := it.e
			for _, f := range [][2]*string{{&m.MAC, &e.MAC}, {&m.Vendor, &e.Vendor}, {&m.Hostname, &e.Hostname}} {
				if *f[1] != "" {
					*f[0] = *f[1]
				}
			}
			if e.Role != "" && e.Role != wire.RoleUnknown {
				m.Role = e.Role
			}
			m.OpenPorts, m.HTTP, m.SeenBy = e.OpenPorts, e.HTTP, e.SeenBy
			dedup[n-1].e = &m
			continue
		}
		dedup = append(dedup, it)
	}
	out := make([]endpointRow, len(dedup))
	for i, it := range dedup {
		e := it.e
		role := e.Role
		if role == "" {
			role = wire.RoleUnknown
		}
		httpInfo := e.HTTP
		if httpInfo == nil {
			httpInfo = []wire.HTTPInfo{}
		}
		titles, _ := json.Marshal(httpInfo)
		seenBy, _ := json.Marshal(e.SeenBy)
		out[i] = endpointRow{addr: it.addr, ip: it.addr.String(), mac: e.MAC, vendor: e.Vendor, hostname: e.Hostname, role: role,
			ports: intsJSON(e.OpenPorts), titles: string(titles), seenBy: string(seenBy)}
	}
	return out, nil
}

// intsJSON is json.Marshal of a port list ([] for none), without its
// reflection: a bulk report has ten thousand of them.
func intsJSON(p []int) string {
	b := make([]byte, 0, 2+6*len(p))
	b = append(b, '[')
	for i, v := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return string(append(b, ']'))
}

// writeEndpoints upserts rows as seen by report reportID of agentID at
// at; chain is the agent whose chain the rows join ("" for none).
func writeEndpoints(ctx context.Context, tx *store.Tx, dept, reportID, agentID, at, chain string, rows []endpointRow) error {
	// Many rows per statement (set-based).
	const cols = 16
	const chunk = 500 // 8,000 parameters: under SQLite's 32,766 and PostgreSQL's 65,535
	// Statements come in the sizes store.RowBatches hands out, so their
	// texts repeat and stay prepared (the store's statement cache on
	// SQLite, pgx's own on PostgreSQL) instead of being parsed per report.
	args := make([]any, 0, cols*min(chunk, len(rows)))
	for _, n := range store.RowBatches(len(rows), chunk) {
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, dept, r.ip, at, at, r.mac, r.vendor, r.hostname, r.role, r.ports, r.titles, r.seenBy,
				reportID, agentID, IPKey(r.addr), chain, r.digest)
		}
		if err := tx.ExecLater(ctx, endpointUpsert.SQL(n), args...); err != nil {
			return fmt.Errorf("upsert %d endpoints: %w", n, err)
		}
		rows = rows[n:]
	}
	return nil
}

// endpointUpsert is the endpoint upsert, n rows a statement.
var endpointUpsert = &store.MultiRow{
	Head: `INSERT INTO endpoints (department, ip, first_seen, last_seen, mac, vendor, hostname, role, open_ports, http_titles, seen_by, last_report, last_agent, ip_key, chain_agent, digest) VALUES `,
	Row:  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	Tail: upsertTail,
}

// upsertTail merges a sighting into a stored row. In DO UPDATE,
// "endpoints.x" is the stored row and "excluded.x" this sighting; every
// expression reads the stored row as it was (both backends). The stored
// row's newest sighting is storedSeen, which for a chained row is its
// chain's (chain.go): comparing with the row's own last_seen there would
// let a sighting older than the chain's overwrite newer facts.
var upsertTail = strings.ReplaceAll(`
ON CONFLICT (department, ip) DO UPDATE SET
	ip_key = excluded.ip_key,
	first_seen = CASE WHEN endpoints.first_seen > excluded.first_seen THEN excluded.first_seen ELSE endpoints.first_seen END,
	mac = CASE WHEN excluded.last_seen >= {seen} AND excluded.mac <> '' THEN excluded.mac ELSE endpoints.mac END,
	vendor = CASE WHEN excluded.last_seen >= {seen} AND excluded.vendor <> '' THEN excluded.vendor ELSE endpoints.vendor END,
	hostname = CASE WHEN excluded.last_seen >= {seen} AND excluded.hostname <> '' THEN excluded.hostname ELSE endpoints.hostname END,
	role = CASE WHEN excluded.last_seen >= {seen} AND excluded.role <> 'unknown' THEN excluded.role ELSE endpoints.role END,
	open_ports = CASE WHEN excluded.last_seen >= {seen} THEN excluded.open_ports ELSE endpoints.open_ports END,
	http_titles = CASE WHEN excluded.last_seen >= {seen} THEN excluded.http_titles ELSE endpoints.http_titles END,
	seen_by = CASE WHEN excluded.last_seen >= {seen} THEN excluded.seen_by ELSE endpoints.seen_by END,
	last_agent = CASE WHEN excluded.last_seen >= {seen} THEN excluded.last_agent ELSE endpoints.last_agent END,
	chain_agent = CASE WHEN excluded.last_seen >= {seen} THEN excluded.chain_agent ELSE endpoints.chain_agent END,
	digest = CASE WHEN excluded.last_seen >= {seen} THEN excluded.digest ELSE endpoints.digest END,
	last_report = CASE WHEN excluded.last_seen >= {seen} THEN excluded.last_report ELSE endpoints.last_report END,
	last_seen = CASE WHEN excluded.last_seen > {seen} THEN excluded.last_seen ELSE {seen} END`, "{seen}", storedSeen)

// storedSeen is the stored row's newest sighting: its chain's for a
// chained row, whose own last_seen then holds when it was last written.
// (Its last_report needs no such care: a write that does not take a
// chained row over leaves it on its chain, which answers for it.)
const storedSeen = `(CASE WHEN endpoints.chain_agent = '' THEN endpoints.last_seen ELSE COALESCE((SELECT c.seen_at FROM endpoint_chains c
 WHERE c.department = endpoints.department AND c.agent_id = endpoints.chain_agent), endpoints.last_seen) END)`

// IPKey is the numeric sort key of an address (endpoints.ip_key).
func IPKey(a netip.Addr) string {
	b := a.As16()
	return hex.EncodeToString(b[:])
}
