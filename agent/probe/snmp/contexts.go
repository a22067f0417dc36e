package snmp

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Context walks. Some tables exist once per context, not once per device:
// a VRF's routes and ARP live in that VRF's context (LibreNMS #19604: one
// switch went from 2 to 700+ routes walked per VRF), and a Cisco switch
// serves its bridge tables once per VLAN (community@vlan, or the SNMPv3
// context vlan-N) while its default context holds none. A context is
// reached with community@name (v1/v2c) or as the SNMPv3 context name.
//
// Rules that keep this bounded: VRF contexts are walked only when the device
// lists VRFs in MPLS-L3VPN-STD-MIB; VLAN contexts only on a Cisco
// sysObjectID whose default context served no FDB at all. At most
// Options.MaxContexts of each, all within Options.ContextBudget, and the
// first context that does not answer its probe (Options.ContextProbeTimeout)
// ends that kind of walk: the device does not do contexts that way, and
// every further try would cost the same timeout.

// ciscoPrefix is Cisco's enterprise subtree (sysObjectID).
const ciscoPrefix = "1.3.6.1.4.1.9."

// vtpVlanTable columns (CISCO-VTP-MIB), index (managementDomainIndex, vtpVlanIndex).
const (
	vtpVlanState = 2 // 1 operational
	vtpVlanType  = 3 // 1 ethernet
)

// contextCred is the credential that reaches context name on the device.
func contextCred(c Credential, name string) Credential {
	if c.Version == V3 {
		c.User.Context = name
		return c
	}
	c.Community = c.Community + "@" + name
	return c
}

// walkContextsGuarded: whatever a context walk meets costs only itself.
func (w *walker) walkContextsGuarded(ctx context.Context, inv *wire.DeviceInventory, host string, port uint16) {
	// The last step of every walk: what the device said in names and
	// aliases is made valid wire text, so one hostile string costs its own
	// bytes, never the report (the collector refuses control characters).
	defer wire.Sanitize(inv)
	defer func() {
		if r := recover(); r != nil {
			inv.Errors = append(inv.Errors, wire.TableError{Table: "contexts", Error: fmt.Sprintf("context walks: panic: %v", r)})
		}
	}()
	w.walkContexts(ctx, inv, host, port)
}

// walkContexts runs the per-VRF and per-VLAN walks the device needs.
func (w *walker) walkContexts(ctx context.Context, inv *wire.DeviceInventory, host string, port uint16) {
	if w.opts.NoContexts || ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, w.opts.ContextBudget)
	defer cancel()
	if len(inv.VRFs) > 0 && (w.opts.wants(TableRoutes) || w.opts.wants(TableARP)) {
		w.walkVRFContexts(ctx, inv, host, port)
	}
	if w.opts.wants(TableFDB) && len(inv.FDB) == 0 && strings.HasPrefix(inv.System.ObjectID, ciscoPrefix) {
		w.walkVLANContexts(ctx, inv, host, port)
	}
}

// walkIn walks plan in one context. ok is false when the context did not
// answer its probe.
func (w *walker) walkIn(ctx context.Context, host string, port uint16, name string, plan []group) (sub wire.DeviceInventory, ok bool) {
	opts := w.opts
	opts.ProbeTimeout = opts.ContextProbeTimeout
	cw, err := connectWalker(ctx, host, port, contextCred(w.cred, name), opts)
	if err != nil {
		return sub, false
	}
	defer func() {
		w.requests += cw.requests
		cw.close()
	}()
	cw.noBulk = w.noBulk
	cw.maxRep = w.maxRep
	sub = newInventory("")
	if err := cw.probe(ctx, &sub); err != nil {
		return sub, false
	}
	cw.walkAll(ctx, &sub, plan)
	return sub, true
}

func (w *walker) contextPlan(tables ...string) []group {
	o := w.opts
	o.Tables = tables
	return defaultPlan(o)
}

// walkVRFContexts adds each VRF's routes (vrf set) and ARP entries.
func (w *walker) walkVRFContexts(ctx context.Context, inv *wire.DeviceInventory, host string, port uint16) {
	var tables []string
	if w.opts.wants(TableARP) {
		tables = append(tables, TableARP)
	}
	if w.opts.wants(TableRoutes) {
		tables = append(tables, TableRoutes)
	}
	plan := w.contextPlan(tables...)
	arpSeen := map[string]bool{}
	for _, a := range inv.ARP {
		arpSeen[strconv.Itoa(a.IfIndex)+"|"+a.IP] = true
	}
	n := 0
	for _, v := range inv.VRFs {
		if ctx.Err() != nil || n >= w.opts.MaxContexts {
			return
		}
		if strings.EqualFold(v.Name, "default") || strings.EqualFold(v.Name, "global") {
			continue // the default context already holds those
		}
		n++
		sub, ok := w.walkIn(ctx, host, port, v.Name, plan)
		if !ok {
			return
		}
		for _, r := range sub.Routes {
			r.VRF = v.Name
			inv.Routes = append(inv.Routes, r)
		}
		for _, a := range sub.ARP {
			k := strconv.Itoa(a.IfIndex) + "|" + a.IP
			if !arpSeen[k] {
				arpSeen[k] = true
				inv.ARP = append(inv.ARP, a)
			}
		}
		for _, e := range sub.Errors {
			inv.Errors = append(inv.Errors, wire.TableError{Table: e.Table, Error: fmt.Sprintf("vrf %s: %s", v.Name, e.Error)})
		}
	}
}

// bridgeGroup is the FDB group as walked inside a VLAN context: that
// context's dot1dTpFdbTable is the VLAN's.
var bridgeGroup = group{name: TableFDB, tables: []string{tDot1dBasePortTable, tDot1dTpFdbTable}, decode: decodeFDB,
	columns: map[string][]int{tDot1dBasePortTable: {dot1dBasePortIfIndex}, tDot1dTpFdbTable: {fdbPort, fdbStatus}}}

// walkVLANContexts reads the FDB of each VLAN in its own context.
func (w *walker) walkVLANContexts(ctx context.Context, inv *wire.DeviceInventory, host string, port uint16) {
	vlans := w.ciscoVLANs(ctx, inv)
	plan := []group{bridgeGroup}
	if w.opts.WholeTables {
		plan = wholeTables(plan)
	}
	for i, id := range vlans {
		if ctx.Err() != nil || i >= w.opts.MaxContexts {
			return
		}
		name := strconv.Itoa(id)
		if w.cred.Version == V3 {
			name = "vlan-" + name
		}
		sub, ok := w.walkIn(ctx, host, port, name, plan)
		if !ok {
			return
		}
		for _, e := range sub.FDB {
			e.VLAN = id
			inv.FDB = append(inv.FDB, e)
		}
		for _, e := range sub.Errors {
			inv.Errors = append(inv.Errors, wire.TableError{Table: e.Table, Error: fmt.Sprintf("vlan %d: %s", id, e.Error)})
		}
	}
}

// ciscoVLANs lists the VLANs to visit: Q-BRIDGE's when served, else the
// operational Ethernet VLANs of vtpVlanTable, without the reserved
// 1002-1005 (FDDI/Token Ring defaults that never carry a bridge table).
func (w *walker) ciscoVLANs(ctx context.Context, inv *wire.DeviceInventory) []int {
	var out []int
	keep := func(id int) bool { return id >= 1 && id <= 4094 && (id < 1002 || id > 1005) }
	if len(inv.VLANs) > 0 {
		for _, v := range inv.VLANs {
			if keep(v.ID) {
				out = append(out, v.ID)
			}
		}
		return out
	}
	pdus, err := w.walkSubtree(ctx, tableOIDs[tVtpVlanTable])
	if err != nil {
		inv.Errors = append(inv.Errors, wire.TableError{Table: tVtpVlanTable, Error: fmt.Sprintf("walk %s: %v", tVtpVlanTable, err)})
		return nil
	}
	t := newTable(tVtpVlanTable, tableOIDs[tVtpVlanTable], pdus)
	seen := map[int]bool{}
	for _, idx := range t.order {
		arcs, ok := parseArcs(idx)
		if !ok || len(arcs) != 2 {
			continue
		}
		id := int(arcs[1])
		if v, ok := t.col(idx, vtpVlanState); ok {
			if n, _ := intValue(v); n != 1 {
				continue
			}
		}
		if v, ok := t.col(idx, vtpVlanType); ok {
			if n, _ := intValue(v); n != 1 {
				continue
			}
		}
		if keep(id) && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
