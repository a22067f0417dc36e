package devices

import (
	"fmt"
	"sort"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// Change kinds of a device's history.
const (
	ChangeFirstSeen      = "first-seen"
	ChangeInterfaceAdded = "interface-added"
	ChangeInterfaceGone  = "interface-removed"
	ChangeAddressAdded   = "address-added"
	ChangeAddressGone    = "address-removed"
	ChangeRouteAdded     = "route-added"
	ChangeRouteGone      = "route-removed"
	ChangeNeighborAdded  = "neighbor-added"
	ChangeNeighborGone   = "neighbor-removed"
	ChangeTruncated      = "changes-truncated"
	maxChangesPerScan    = 500
)

// Change is one entry of a device's history.
type Change struct {
	At     time.Time `json:"at"`
	Change string    `json:"change"`
	Detail string    `json:"detail"`
}

// Diff lists what appeared or went away from old to cur, at the scan time at.
// A device that gains 700 VRF routes in one walk gets at most
// maxChangesPerScan entries and one "changes-truncated" entry with the count.
func Diff(old, cur *wire.DeviceInventory, at time.Time) []Change {
	var out []Change
	add := func(kind string, keys []string) {
		for _, k := range keys {
			out = append(out, Change{At: at, Change: kind, Detail: k})
		}
	}
	oi, ci := ifaceKeys(old), ifaceKeys(cur)
	add(ChangeInterfaceAdded, minus(ci, oi))
	add(ChangeInterfaceGone, minus(oi, ci))
	oa, ca := addrKeys(old), addrKeys(cur)
	add(ChangeAddressAdded, minus(ca, oa))
	add(ChangeAddressGone, minus(oa, ca))
	on, cn := nbrKeys(old), nbrKeys(cur)
	add(ChangeNeighborAdded, minus(cn, on))
	add(ChangeNeighborGone, minus(on, cn))
	or, cr := routeKeys(old), routeKeys(cur)
	add(ChangeRouteAdded, minus(cr, or))
	add(ChangeRouteGone, minus(or, cr))
	if len(out) > maxChangesPerScan {
		n := len(out)
		out = append(out[:maxChangesPerScan], Change{At: at, Change: ChangeTruncated, Detail: fmt.Sprintf("%d changes, %d recorded", n, maxChangesPerScan)})
	}
	return out
}

func ifaceKeys(d *wire.DeviceInventory) map[string]bool {
	m := map[string]bool{}
	for _, i := range d.Interfaces {
		name := i.Name
		if name == "" {
			name = i.Descr
		}
		m[fmt.Sprintf("%d %s", i.Index, name)] = true
	}
	return m
}

func addrKeys(d *wire.DeviceInventory) map[string]bool {
	m := map[string]bool{}
	for _, a := range d.IPAddresses {
		m[fmt.Sprintf("%s/%d %s", a.Address, a.PrefixLen, portName(d, a.IfIndex))] = true
	}
	return m
}

func nbrKeys(d *wire.DeviceInventory) map[string]bool {
	m := map[string]bool{}
	for _, n := range d.Neighbors {
		who := n.SysName
		if who == "" {
			who = n.ChassisID
		}
		m[fmt.Sprintf("%s %s ↔ %s %s", n.Protocol, portName(d, n.LocalIfIndex), who, n.PortID)] = true
	}
	return m
}

func routeKeys(d *wire.DeviceInventory) map[string]bool {
	m := map[string]bool{}
	for _, r := range d.Routes {
		k := r.Destination + " via " + r.NextHop
		if r.NextHop == "" {
			k = r.Destination + " " + portName(d, r.IfIndex)
		}
		if r.VRF != "" {
			k += " vrf " + r.VRF
		}
		m[k] = true
	}
	return m
}

// minus returns the sorted keys of a not in b.
func minus(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
