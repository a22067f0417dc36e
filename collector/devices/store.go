package devices

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// Store reads and writes the device tables.
type Store struct {
	db *store.DB
}

// NewStore returns the device store on db (migrated by store.Migrate).
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// maxParams bounds the placeholders of one batched statement (SQLite's
// historical limit is 999; PostgreSQL allows 65535).
const maxParams = 900

// insertRows writes rows in multi-row INSERT statements of at most maxParams
// placeholders: one round trip per few hundred rows instead of one per row.
func insertRows(ctx context.Context, tx *store.Tx, table string, cols []string, rows [][]any, suffix string) error {
	if len(rows) == 0 {
		return nil
	}
	per := max(1, maxParams/len(cols))
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += per {
		end := min(len(rows), start+per)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, rows[i]...)
		}
		b.WriteString(suffix)
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// inList returns "(?, ?, ...)" and the args for ids.
func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

// chunks splits ids into groups small enough for one IN list.
func chunks(ids []string) [][]string {
	var out [][]string
	for len(ids) > 0 {
		n := min(len(ids), maxParams)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

type existing struct {
	firstSeen, lastSeen time.Time
	lastReport          string
	inv                 wire.DeviceInventory
}

// Apply records one report's devices and endpoint addresses for dept at scan
// time at. It is idempotent (a report already applied changes nothing) and
// order-tolerant: an older scan imported late only moves first_seen back and
// never replaces newer facts or writes history.
func (s *Store) Apply(ctx context.Context, dept, reportID string, at time.Time, devs []wire.DeviceInventory, eps []wire.Endpoint) error {
	// One walk per identity: the last one of the report wins.
	byID := map[string]*wire.DeviceInventory{}
	idents := map[string]string{}
	var ids []string
	for i := range devs {
		ident := Identity(&devs[i])
		id := ID(dept, ident)
		if _, ok := byID[id]; !ok {
			ids = append(ids, id)
		}
		byID[id], idents[id] = &devs[i], ident
	}
	sort.Strings(ids) // lock rows in one order: concurrent reports cannot deadlock
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		old := map[string]*existing{}
		for _, part := range chunks(ids) {
			in, args := inList(part)
			rows, err := tx.Query(ctx, `SELECT id, first_seen, last_seen, last_report, inventory FROM devices WHERE id IN `+in, args...)
			if err != nil {
				return fmt.Errorf("load devices: %w", err)
			}
			for rows.Next() {
				var id, first, last, rep, raw string
				if err := rows.Scan(&id, &first, &last, &rep, &raw); err != nil {
					rows.Close()
					return fmt.Errorf("scan device: %w", err)
				}
				e := &existing{lastReport: rep}
				e.firstSeen, _ = store.ParseTime(first)
				e.lastSeen, _ = store.ParseTime(last)
				if err := json.Unmarshal([]byte(raw), &e.inv); err != nil {
					rows.Close()
					return fmt.Errorf("decode stored device %s: %w", id, err)
				}
				old[id] = e
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("load devices: %w", err)
			}
		}
		var replace, older []string
		var history [][]any
		for _, id := range ids {
			e := old[id]
			switch {
			case e == nil:
				replace = append(replace, id)
				history = append(history, []any{id, store.Time(at), ChangeFirstSeen, byID[id].Target})
			case e.lastReport == reportID:
				// Already applied (processors re-run after a crash).
			case at.Before(e.lastSeen):
				if at.Before(e.firstSeen) {
					older = append(older, id)
				}
			default:
				replace = append(replace, id)
				for _, c := range Diff(&e.inv, byID[id], at) {
					history = append(history, []any{id, store.Time(at), c.Change, c.Detail})
				}
			}
		}
		for _, part := range chunks(older) {
			in, args := inList(part)
			if _, err := tx.Exec(ctx, `UPDATE devices SET first_seen = ? WHERE id IN `+in, append([]any{store.Time(at)}, args...)...); err != nil {
				return fmt.Errorf("move first sighting back: %w", err)
			}
		}
		if err := s.replace(ctx, tx, dept, reportID, at, replace, byID, idents, old); err != nil {
			return err
		}
		if err := insertRows(ctx, tx, "device_history", []string{"device_id", "at", "change", "detail"}, history, ""); err != nil {
			return err
		}
		return upsertAddresses(ctx, tx, dept, at, eps)
	})
}

// replace writes the current state of the given devices: the device row and
// their FDB, neighbour and address rows, each table in batched statements.
func (s *Store) replace(ctx context.Context, tx *store.Tx, dept, reportID string, at time.Time, ids []string, byID map[string]*wire.DeviceInventory, idents map[string]string, old map[string]*existing) error {
	if len(ids) == 0 {
		return nil
	}
	for _, table := range []string{"device_fdb", "device_neighbors", "device_addresses"} {
		for _, part := range chunks(ids) {
			in, args := inList(part)
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE device_id IN `+in, args...); err != nil {
				return fmt.Errorf("clear %s: %w", table, err)
			}
		}
	}
	var devRows, fdbRows, nbrRows, addrRows [][]any
	for _, id := range ids {
		d := byID[id]
		raw, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode device %s: %w", d.Target, err)
		}
		first := at
		if e := old[id]; e != nil && e.firstSeen.Before(first) {
			first = e.firstSeen
		}
		model, serial := ModelSerial(d)
		devRows = append(devRows, []any{id, dept, idents[id], d.Target, d.System.Name, d.System.Descr, d.System.ObjectID,
			Vendor(d), model, serial, len(d.Interfaces), len(d.Routes), len(d.Neighbors), len(d.FDB),
			store.Time(first), store.Time(at), reportID, string(raw)})
		access := accessPorts(d)
		for _, f := range d.FDB {
			mac := NormMAC(f.MAC)
			if mac == "" {
				continue
			}
			acc := 0
			if learned(f.Status) && access[portKey{f.BridgePort, f.IfIndex}] {
				acc = 1
			}
			fdbRows = append(fdbRows, []any{id, dept, mac, f.VLAN, f.BridgePort, f.IfIndex, portName(d, f.IfIndex), f.Status, acc})
		}
		for _, n := range d.Neighbors {
			nbrRows = append(nbrRows, []any{id, dept, n.Protocol, n.LocalIfIndex, strings.ToLower(n.ChassisID), n.PortID, n.SysName, n.Address})
		}
		for _, a := range d.IPAddresses {
			addrRows = append(addrRows, []any{id, dept, a.Address, a.PrefixLen, a.IfIndex})
		}
	}
	cols := []string{"id", "department", "identity", "target", "name", "descr", "object_id", "vendor", "model", "serial",
		"n_interfaces", "n_routes", "n_neighbors", "n_fdb", "first_seen", "last_seen", "last_report", "inventory"}
	var set []string
	for _, c := range cols[1:] {
		set = append(set, c+" = excluded."+c)
	}
	if err := insertRows(ctx, tx, "devices", cols, devRows, " ON CONFLICT (id) DO UPDATE SET "+strings.Join(set, ", ")); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, "device_fdb", []string{"device_id", "department", "mac", "vlan", "bridge_port", "if_index", "port", "status", "access"}, fdbRows, ""); err != nil {
		return err
	}
	if err := insertRows(ctx, tx, "device_neighbors", []string{"device_id", "department", "protocol", "local_if_index", "chassis_id", "port_id", "sys_name", "address"}, nbrRows, ""); err != nil {
		return err
	}
	return insertRows(ctx, tx, "device_addresses", []string{"device_id", "department", "address", "prefix_len", "if_index"}, addrRows, "")
}

// upsertAddresses remembers which address each endpoint MAC used, so an
// endpoint that moves to another IP keeps its history by MAC.
func upsertAddresses(ctx context.Context, tx *store.Tx, dept string, at time.Time, eps []wire.Endpoint) error {
	seen := map[[2]string]bool{}
	var rows [][]any
	for _, e := range eps {
		mac := NormMAC(e.MAC)
		if mac == "" || e.IP == "" {
			continue
		}
		k := [2]string{mac, e.IP}
		if seen[k] {
			continue
		}
		seen[k] = true
		rows = append(rows, []any{dept, mac, e.IP, store.Time(at), store.Time(at)})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		return a[1].(string) < b[1].(string) || a[1] == b[1] && a[2].(string) < b[2].(string)
	})
	return insertRows(ctx, tx, "endpoint_addresses", []string{"department", "mac", "ip", "first_seen", "last_seen"}, rows,
		` ON CONFLICT (department, mac, ip) DO UPDATE SET
	first_seen = CASE WHEN excluded.first_seen < endpoint_addresses.first_seen THEN excluded.first_seen ELSE endpoint_addresses.first_seen END,
	last_seen = CASE WHEN excluded.last_seen > endpoint_addresses.last_seen THEN excluded.last_seen ELSE endpoint_addresses.last_seen END`)
}
