package snmp

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/wire"
)

// Tables walked, by name (the names used in DeviceInventory.Errors).
const (
	tIfTable             = "ifTable"
	tIfXTable            = "ifXTable"
	tIPAddrTable         = "ipAddrTable"
	tIPAddressTable      = "ipAddressTable"
	tIPNetToMediaTable   = "ipNetToMediaTable"
	tIPNetToPhysical     = "ipNetToPhysicalTable"
	tInetCidrRouteTable  = "inetCidrRouteTable"
	tIPCidrRouteTable    = "ipCidrRouteTable"
	tIPRouteTable        = "ipRouteTable"
	tLldpRemTable        = "lldpRemTable"
	tLldpRemManAddrTable = "lldpRemManAddrTable"
	tLldpLocPortTable    = "lldpLocPortTable"
	tCdpCacheTable       = "cdpCacheTable"
	tHrSWInstalledTable  = "hrSWInstalledTable"
)

// tableOIDs are the table OIDs; rows live at OID.1.column.index.
var tableOIDs = map[string]string{
	tIfTable:             "1.3.6.1.2.1.2.2",
	tIfXTable:            "1.3.6.1.2.1.31.1.1",
	tIPAddrTable:         "1.3.6.1.2.1.4.20",
	tIPAddressTable:      "1.3.6.1.2.1.4.34",
	tIPNetToMediaTable:   "1.3.6.1.2.1.4.22",
	tIPNetToPhysical:     "1.3.6.1.2.1.4.35",
	tInetCidrRouteTable:  "1.3.6.1.2.1.4.24.7",
	tIPCidrRouteTable:    "1.3.6.1.2.1.4.24.4",
	tIPRouteTable:        "1.3.6.1.2.1.4.21",
	tLldpRemTable:        "1.0.8802.1.1.2.1.4.1",
	tLldpRemManAddrTable: "1.0.8802.1.1.2.1.4.2",
	tLldpLocPortTable:    "1.0.8802.1.1.2.1.3.7",
	tCdpCacheTable:       "1.3.6.1.4.1.9.9.23.1.2.1",
	tHrSWInstalledTable:  "1.3.6.1.2.1.25.6.3",
}

// table is one walked table, rows keyed by their OID index.
type table struct {
	name  string
	rows  map[string]map[int]gosnmp.SnmpPDU
	order []string // indexes in numeric OID order
	err   error
}

func (t *table) empty() bool { return t == nil || len(t.rows) == 0 }

func (t *table) col(index string, c int) (gosnmp.SnmpPDU, bool) {
	v, ok := t.rows[index][c]
	if !ok || v.Type == gosnmp.Null || v.Type == gosnmp.NoSuchObject || v.Type == gosnmp.NoSuchInstance {
		return gosnmp.SnmpPDU{}, false
	}
	return v, true
}

// newTable groups varbinds into rows by the index after table.1.column.
func newTable(name, oid string, pdus []gosnmp.SnmpPDU) *table {
	t := &table{name: name, rows: map[string]map[int]gosnmp.SnmpPDU{}}
	prefix := "." + oid + ".1."
	for _, p := range pdus {
		rest, ok := strings.CutPrefix(p.Name, prefix)
		if !ok {
			continue // e.g. scalars beside a table under the same subtree
		}
		cs, idx, ok := strings.Cut(rest, ".")
		if !ok || idx == "" {
			continue
		}
		c, err := strconv.Atoi(cs)
		if err != nil {
			continue
		}
		row := t.rows[idx]
		if row == nil {
			row = map[int]gosnmp.SnmpPDU{}
			t.rows[idx] = row
			t.order = append(t.order, idx)
		}
		row[c] = p
	}
	sort.Slice(t.order, func(i, j int) bool { return compareOID(t.order[i], t.order[j]) < 0 })
	return t
}

// group is one part of the inventory: the tables it needs and how to decode them.
type group struct {
	name   string   // Options.Tables name
	tables []string // walked in order
	// firstNonEmpty: walk the tables one at a time and stop at the first
	// that has rows (routes: the most complete table served wins).
	firstNonEmpty bool
	// columns, per table, are the only columns walked (all of the group's
	// tables together, one GETBULK per step with a repeater per column).
	// Each set holds a column every row has, so rows are still counted
	// exactly (checked on all 41 recordings); a table without an entry is
	// walked whole, and one failure walks every table whole, alone.
	columns map[string][]int
	// needs decides whether an optional table is worth walking given what was walked.
	needs  func(name string, got map[string]*table) bool
	decode func(inv *wire.DeviceInventory, got map[string]*table)
}

func defaultPlan(opts Options) []group {
	var plan []group
	for _, g := range allGroups {
		if opts.wants(g.name) {
			plan = append(plan, g)
		}
	}
	if opts.WholeTables {
		return wholeTables(plan)
	}
	return plan
}

// wholeTables returns the plan with every table walked whole (tests compare
// it with the column walks).
func wholeTables(plan []group) []group {
	out := make([]group, len(plan))
	for i, g := range plan {
		g.columns = nil
		out[i] = g
	}
	return out
}

var allGroups = []group{
	{name: TableInterfaces, tables: []string{tIfTable, tIfXTable}, decode: decodeInterfaces,
		columns: map[string][]int{
			// ifIndex too: a row may carry nothing else (iosxe_c9500h-svl).
			tIfTable:  {1, ifDescr, ifType, ifMtu, ifSpeed, ifPhysAddress, ifAdminStatus, ifOperStatus},
			tIfXTable: {ifName, ifHighSpeed, ifAlias},
		}},
	{name: TableIPAddresses, tables: []string{tIPAddressTable, tIPAddrTable}, decode: decodeAddresses},
	{name: TableARP, tables: []string{tIPNetToPhysical, tIPNetToMediaTable}, decode: decodeARP,
		columns: map[string][]int{
			// PhysAddress, Type, State and RowStatus: ssd-ruijie has a row
			// with only LastUpdated and RowStatus.
			tIPNetToPhysical:   {ipNetToPhysicalPhysAddress, 6, 7, 8},
			tIPNetToMediaTable: {ipNetToMediaPhysAddress, 4},
		}},
	{name: TableRoutes, tables: []string{tInetCidrRouteTable, tIPCidrRouteTable, tIPRouteTable}, firstNonEmpty: true, decode: decodeRoutes,
		columns: map[string][]int{
			tInetCidrRouteTable: {inetCidrRouteIfIndex, 8, inetCidrRouteProto, 17},
			tIPCidrRouteTable:   {1, ipCidrRouteIfIndex, 6, ipCidrRouteProto},
			tIPRouteTable:       {1, ipRouteIfIndex, ipRouteNextHop, 8, ipRouteProto, ipRouteMask},
		}},
	{name: TableNeighbors, tables: []string{tLldpRemTable, tLldpRemManAddrTable, tLldpLocPortTable, tCdpCacheTable},
		needs: func(name string, got map[string]*table) bool {
			if name == tLldpRemManAddrTable || name == tLldpLocPortTable {
				return !got[tLldpRemTable].empty()
			}
			return true
		}, decode: decodeNeighbors},
	{name: TableSoftware, tables: []string{tHrSWInstalledTable}, decode: decodeSoftware,
		columns: map[string][]int{tHrSWInstalledTable: {hrSWInstalledName}}},
}

// walkAll walks and decodes every group. Failures are recorded per table;
// nothing here stops the walk except the context.
func (w *walker) walkAll(ctx context.Context, inv *wire.DeviceInventory, plan []group) {
	w.c.Timeout = w.opts.Timeout
	got := map[string]*table{}
	record := func(name string, pdus []gosnmp.SnmpPDU, err error) *table {
		t := newTable(name, tableOIDs[name], pdus)
		t.err = err
		got[name] = t
		if err != nil {
			inv.Errors = append(inv.Errors, wire.TableError{Table: name, Error: fmt.Sprintf("walk %s: %v", name, err)})
		}
		return t
	}
	for _, g := range plan {
		var batch []string // tables walked together
		flush := func() {
			if len(batch) > 0 {
				w.walkTables(ctx, batch, g.columns, record)
				batch = nil
			}
		}
		for _, name := range g.tables {
			if g.needs != nil && !g.needs(name, got) {
				continue
			}
			batch = append(batch, name)
			if g.firstNonEmpty || g.needs != nil {
				// One at a time: what comes next depends on what came back.
				flush()
				if g.firstNonEmpty && !got[name].empty() {
					break
				}
			}
		}
		flush()
		decodeGuarded(inv, g, got)
	}
}

// walkTables walks tables together: their listed columns (or the whole
// table) as repeaters of one GETBULK per step. The interface tables' first
// step is sized from ifNumber so the agent is not made to read past their
// end. Any failure walks each table whole on its own, so a table that breaks
// costs only itself.
func (w *walker) walkTables(ctx context.Context, names []string, columns map[string][]int, record func(string, []gosnmp.SnmpPDU, error) *table) {
	if ctx.Err() != nil {
		for _, name := range names {
			record(name, nil, ctx.Err())
		}
		return
	}
	var roots, owner []string
	for _, name := range names {
		cols := columns[name]
		if len(cols) == 0 {
			roots = append(roots, tableOIDs[name])
			owner = append(owner, name)
			continue
		}
		for _, c := range cols {
			roots = append(roots, tableOIDs[name]+".1."+strconv.Itoa(c))
			owner = append(owner, name)
		}
	}
	if len(roots) == 1 && len(names) == 1 && len(columns[names[0]]) == 0 {
		pdus, err := w.walkSubtree(ctx, roots[0])
		record(names[0], pdus, err)
		return
	}
	var first uint32
	if names[0] == tIfTable && w.ifNumber > 0 && w.ifNumber < 1000 {
		if len(columns[tIfTable]) > 0 {
			first = uint32(w.ifNumber + 1) // one repetition per row, +1 to see the end
		} else {
			first = uint32(22*w.ifNumber + 1) // 22 ifTable columns
		}
	}
	var res [][]gosnmp.SnmpPDU
	err := errNoBulk
	if w.cred.Version != V1 && !w.noBulk {
		res, err = w.walkTogether(ctx, roots, first)
	}
	if err != nil {
		if ctx.Err() != nil {
			for _, name := range names {
				record(name, nil, ctx.Err())
			}
			return
		}
		for _, name := range names {
			pdus, err := w.walkSubtree(ctx, tableOIDs[name])
			record(name, pdus, err)
		}
		return
	}
	for _, name := range names {
		var pdus []gosnmp.SnmpPDU
		for i := range roots {
			if owner[i] == name {
				pdus = append(pdus, res[i]...)
			}
		}
		record(name, pdus, nil)
	}
}

// decodeGuarded runs one decoder; a panic (a device sent something no
// decoder expected) is recorded and whatever the decoder half-added is
// dropped, so the inventory never holds a partial group silently.
func decodeGuarded(inv *wire.DeviceInventory, g group, got map[string]*table) {
	n := [6]int{len(inv.Interfaces), len(inv.IPAddresses), len(inv.ARP), len(inv.Routes), len(inv.Neighbors), len(inv.Software)}
	defer func() {
		if r := recover(); r != nil {
			inv.Interfaces = inv.Interfaces[:n[0]]
			inv.IPAddresses = inv.IPAddresses[:n[1]]
			inv.ARP = inv.ARP[:n[2]]
			inv.Routes = inv.Routes[:n[3]]
			inv.Neighbors = inv.Neighbors[:n[4]]
			inv.Software = inv.Software[:n[5]]
			inv.Errors = append(inv.Errors, wire.TableError{Table: strings.Join(g.tables, ","), Error: fmt.Sprintf("decode %s: panic: %v", g.name, r)})
		}
	}()
	g.decode(inv, got)
}
