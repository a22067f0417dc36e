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

	tDot1dBasePortTable    = "dot1dBasePortTable"
	tDot1dTpFdbTable       = "dot1dTpFdbTable"
	tDot1qTpFdbTable       = "dot1qTpFdbTable"
	tDot1qVlanStaticTable  = "dot1qVlanStaticTable"
	tDot1qVlanCurrentTable = "dot1qVlanCurrentTable"
	tEntPhysicalTable      = "entPhysicalTable"
	tVrfTable              = "mplsL3VpnVrfTable"
	tVrfIfConfTable        = "mplsL3VpnIfConfTable"
	tVtpVlanTable          = "vtpVlanTable"
	tHwRUModuleInfoTable   = "hwRUModuleInfoTable"
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

	tDot1dBasePortTable:    "1.3.6.1.2.1.17.1.4",
	tDot1dTpFdbTable:       "1.3.6.1.2.1.17.4.3",
	tDot1qTpFdbTable:       "1.3.6.1.2.1.17.7.1.2.2",
	tDot1qVlanStaticTable:  "1.3.6.1.2.1.17.7.1.4.3",
	tDot1qVlanCurrentTable: "1.3.6.1.2.1.17.7.1.4.2",
	tEntPhysicalTable:      "1.3.6.1.2.1.47.1.1.1",
	tVrfTable:              "1.3.6.1.2.1.10.166.11.1.2.2",
	tVrfIfConfTable:        "1.3.6.1.2.1.10.166.11.1.2.1",
	tVtpVlanTable:          "1.3.6.1.4.1.9.9.46.1.3.1",
	tHwRUModuleInfoTable:   "1.3.6.1.4.1.2011.5.25.31.1.1.2",

	tIPv6NetToMedia: "1.3.6.1.2.1.55.1.12",
	tIPv6RouteTable: "1.3.6.1.2.1.55.1.11",
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
	// IPv6 neighbours of devices whose IP-MIB has none (ipv6mib.go).
	{name: TableARP, tables: []string{tIPv6NetToMedia}, needs: needsIPv6NetToMedia, decode: decodeIPv6NetToMedia},
	{name: TableRoutes, tables: []string{tInetCidrRouteTable, tIPCidrRouteTable, tIPRouteTable}, firstNonEmpty: true, decode: decodeRoutes,
		columns: map[string][]int{
			tInetCidrRouteTable: {inetCidrRouteIfIndex, 8, inetCidrRouteProto, 17},
			tIPCidrRouteTable:   {1, ipCidrRouteIfIndex, 6, ipCidrRouteProto},
			tIPRouteTable:       {1, ipRouteIfIndex, ipRouteNextHop, 8, ipRouteProto, ipRouteMask},
		}},
	// IPv6 routes of devices whose inetCidrRouteTable has none (ipv6mib.go).
	{name: TableRoutes, tables: []string{tIPv6RouteTable}, needs: needsIPv6Routes, decode: decodeIPv6Routes},
	{name: TableNeighbors, tables: []string{tLldpRemTable, tLldpRemManAddrTable, tLldpLocPortTable, tCdpCacheTable},
		needs: func(name string, got map[string]*table) bool {
			if name == tLldpRemManAddrTable || name == tLldpLocPortTable {
				return !got[tLldpRemTable].empty()
			}
			return true
		}, decode: decodeNeighbors},
	{name: TableSoftware, tables: []string{tHrSWInstalledTable}, decode: decodeSoftware,
		columns: map[string][]int{tHrSWInstalledTable: {hrSWInstalledName}}},
	// VLANs before the FDB: the current table (walked when the static one
	// has no egress ports) also says which VLAN uses which FDB id.
	{name: TableVLANs, tables: []string{tDot1dBasePortTable, tDot1qVlanStaticTable, tDot1qVlanCurrentTable},
		needs: func(name string, got map[string]*table) bool {
			switch name {
			case tDot1dBasePortTable:
				return got[name] == nil
			case tDot1qVlanCurrentTable:
				return !hasColumn(got[tDot1qVlanStaticTable], vlanStaticEgressPorts)
			}
			return true
		}, decode: decodeVLANs,
		columns: map[string][]int{tDot1dBasePortTable: {dot1dBasePortIfIndex}}},
	{name: TableFDB, tables: []string{tDot1dBasePortTable, tDot1qTpFdbTable, tDot1dTpFdbTable},
		needs: func(name string, got map[string]*table) bool {
			switch name {
			case tDot1dBasePortTable:
				return got[name] == nil
			case tDot1dTpFdbTable:
				return got[tDot1qTpFdbTable].empty()
			}
			return true
		}, decode: decodeFDB,
		columns: map[string][]int{
			tDot1dBasePortTable: {dot1dBasePortIfIndex},
			tDot1qTpFdbTable:    {fdbPort, fdbStatus},
			tDot1dTpFdbTable:    {fdbPort, fdbStatus},
		}},
	{name: TableEntities, tables: []string{tEntPhysicalTable, tHwRUModuleInfoTable},
		needs: func(name string, got map[string]*table) bool {
			// Huawei leaves entPhysicalModelName empty and names the
			// board in HUAWEI-ENTITY-EXTENT-MIB: asked only then.
			return name != tHwRUModuleInfoTable || (!got[tEntPhysicalTable].empty() && !hasText(got[tEntPhysicalTable], entPhysicalModelName))
		}, decode: decodeEntities,
		columns: map[string][]int{tEntPhysicalTable: entityColumns, tHwRUModuleInfoTable: {hwEntityBoardType}}},
	{name: TableVRFs, tables: []string{tVrfTable, tVrfIfConfTable},
		needs: func(name string, got map[string]*table) bool {
			return name != tVrfIfConfTable || !got[tVrfTable].empty()
		}, decode: decodeVRFs},
}

// hasText reports whether any row of t has a non-empty column c.
func hasText(t *table, c int) bool {
	if t.empty() {
		return false
	}
	for _, idx := range t.order {
		if v, ok := t.col(idx, c); ok && len(bytesValue(v)) > 0 {
			return true
		}
	}
	return false
}

// hasColumn reports whether any row of t carries column c.
func hasColumn(t *table, c int) bool {
	if t.empty() {
		return false
	}
	for _, idx := range t.order {
		if _, ok := t.col(idx, c); ok {
			return true
		}
	}
	return false
}

// walkAll walks and decodes every group. Failures are recorded per table;
// nothing here stops the walk except the context.
func (w *walker) walkAll(ctx context.Context, inv *wire.DeviceInventory, plan []group) {
	w.c.Timeout = w.opts.Timeout
	present := w.presence(ctx, plan)
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
			if p, known := present[name]; known && !p {
				record(name, nil, nil) // the device has no such table
				continue
			}
			batch = append(batch, name)
			if g.firstNonEmpty || g.needs != nil {
				// One at a time: what comes next depends on what came back.
				flush()
				if g.firstNonEmpty && got[name].empty() && len(g.columns[name]) > 0 && got[name].err == nil && (present[name] || w.servesOtherColumns(ctx, name)) {
					// Rows exist that carry none of the walked columns
					// (an AIX agent serves inetCidrRouteTable's index
					// only): their keys are in the index, so they count.
					pdus, err := w.walkSubtree(ctx, tableOIDs[name])
					record(name, pdus, err)
				}
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
	n := [10]int{len(inv.Interfaces), len(inv.IPAddresses), len(inv.ARP), len(inv.Routes), len(inv.Neighbors), len(inv.Software),
		len(inv.FDB), len(inv.VLANs), len(inv.Entities), len(inv.VRFs)}
	defer func() {
		if r := recover(); r != nil {
			inv.Interfaces = inv.Interfaces[:n[0]]
			inv.IPAddresses = inv.IPAddresses[:n[1]]
			inv.ARP = inv.ARP[:n[2]]
			inv.Routes = inv.Routes[:n[3]]
			inv.Neighbors = inv.Neighbors[:n[4]]
			inv.Software = inv.Software[:n[5]]
			inv.FDB = inv.FDB[:n[6]]
			inv.VLANs = inv.VLANs[:n[7]]
			inv.Entities = inv.Entities[:n[8]]
			inv.VRFs = inv.VRFs[:n[9]]
			inv.Errors = append(inv.Errors, wire.TableError{Table: strings.Join(g.tables, ","), Error: fmt.Sprintf("decode %s: panic: %v", g.name, r)})
		}
	}()
	g.decode(inv, got)
}

// servesOtherColumns asks one GETNEXT at the table's entry: a varbind that
// comes back inside the table means rows exist whose walked columns are all
// absent. Any failure is read as "no": the table then stays empty, as before.
func (w *walker) servesOtherColumns(ctx context.Context, name string) (yes bool) {
	defer func() {
		if recover() != nil {
			yes = false
		}
	}()
	if ctx.Err() != nil {
		return false
	}
	entry := tableOIDs[name] + ".1"
	pkt, err := w.c.GetNext([]string{entry})
	w.requests++
	if err != nil || pkt.Error != gosnmp.NoError || len(pkt.Variables) == 0 {
		return false
	}
	v := pkt.Variables[0]
	switch v.Type {
	case gosnmp.EndOfMibView, gosnmp.NoSuchObject, gosnmp.NoSuchInstance:
		return false
	}
	return strings.HasPrefix(v.Name, "."+entry+".") || strings.HasPrefix(v.Name, entry+".")
}

// presenceBatch is how many table roots one presence GETNEXT asks about.
const presenceBatch = 16

// presence asks, in one GETNEXT per 16 tables, for the successor of each
// table's OID: one that lies outside the table means the device has no such
// table, and its walk (one GETBULK each, most of a full inventory on a
// device that serves few tables) is skipped. A table whose answer is
// missing, or a request that fails, stays unknown and is walked as before.
// v1 is left out: one end-of-view varbind fails a whole v1 GETNEXT.
func (w *walker) presence(ctx context.Context, plan []group) (present map[string]bool) {
	present = map[string]bool{}
	defer func() {
		if recover() != nil {
			present = map[string]bool{}
		}
	}()
	if w.cred.Version == V1 || w.noBulk {
		return present
	}
	var names []string
	seen := map[string]bool{}
	for _, g := range plan {
		for _, name := range g.tables {
			if name == tIfTable || name == tIfXTable || seen[name] {
				continue // the interface tables are always read, their first step sized
			}
			seen[name] = true
			names = append(names, name)
		}
	}
	for len(names) > 0 && ctx.Err() == nil {
		n := min(len(names), presenceBatch)
		chunk := names[:n]
		names = names[n:]
		oids := make([]string, n)
		for i, name := range chunk {
			oids[i] = "." + tableOIDs[name]
		}
		pkt, err := w.c.GetNext(oids)
		w.requests++
		if err != nil || pkt.Error != gosnmp.NoError || len(pkt.Variables) != n {
			continue
		}
		for i, v := range pkt.Variables {
			inside := strings.HasPrefix(strings.TrimPrefix(v.Name, "."), tableOIDs[chunk[i]]+".")
			switch v.Type {
			case gosnmp.EndOfMibView, gosnmp.NoSuchObject, gosnmp.NoSuchInstance:
				inside = false
			}
			present[chunk[i]] = inside
		}
	}
	return present
}
