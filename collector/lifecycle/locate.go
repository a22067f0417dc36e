package lifecycle

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Location is where a host is plugged in: the switch, its access port and
// the VLAN its MAC was learned in (issue 13).
type Location struct {
	Device string
	Port   string
	VLAN   int
}

// Locator places hosts of a department on switch access ports by MAC; MACs
// it cannot place are absent from the answer. The device inventory
// implements it (through collector/server), from the walked FDB tables.
type Locator interface {
	LocateMACs(ctx context.Context, department string, macs []string) (map[string]Location, error)
}

// locate names, in the evidence of every finding about a host (its subject
// is an address whose MAC the judged reports know), the host's switch
// port: detail.location {device, port, vlan}. A network administrator
// removing a rogue exit or a dual-homed PC needs to know where it is
// plugged in. Locating is best effort: without an answer the findings
// stay as they are.
func (p *Processor) locate(ctx context.Context, dept string, reps []*wire.ScanReport, vs []wire.Violation) []wire.Violation {
	if p.opt.Locator == nil || len(vs) == 0 {
		return vs
	}
	macOf := hostMACs(reps)
	var macs []string
	for _, v := range vs {
		if m := macOf[addrKey(v.Subject)]; m != "" && !slices.Contains(macs, m) {
			macs = append(macs, m)
		}
	}
	if len(macs) == 0 {
		return vs
	}
	locs, err := p.opt.Locator.LocateMACs(ctx, dept, macs)
	if err != nil {
		p.log.Warn("locate hosts", "department", dept, "err", err)
		return vs
	}
	for i := range vs {
		l, ok := locs[macOf[addrKey(vs[i].Subject)]]
		if !ok {
			continue
		}
		loc := map[string]any{"device": l.Device, "port": l.Port, "vlan": l.VLAN}
		// copies: the engine's evidence maps may be shared
		evs := slices.Clone(vs[i].Evidence)
		for j := range evs {
			d := maps.Clone(evs[j].Detail)
			if d == nil {
				d = map[string]any{}
			}
			d["location"] = loc
			evs[j].Detail = d
		}
		vs[i].Evidence = evs
	}
	return vs
}

// hostMACs maps each address the reports saw to its MAC: the endpoint's
// own, else a walked device's ARP entry; the newest report wins.
func hostMACs(reps []*wire.ScanReport) map[string]string {
	sorted := slices.Clone(reps)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].FinishedAt.Before(sorted[j].FinishedAt) })
	arp := map[string]string{}
	own := map[string]string{}
	for _, r := range sorted {
		for _, d := range r.Devices {
			for _, e := range d.ARP {
				if k, m := addrKey(e.IP), normMAC(e.MAC); k != "" && m != "" {
					arp[k] = m
				}
			}
		}
		for _, e := range r.Endpoints {
			if k, m := addrKey(e.IP), normMAC(e.MAC); k != "" && m != "" {
				own[k] = m
			}
		}
	}
	maps.Copy(arp, own)
	return arp
}

func addrKey(s string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return a.Unmap().WithZone("").String()
}

// normMAC lower-cases a MAC; all-zero and broadcast MACs place nothing.
func normMAC(s string) string {
	m := strings.ToLower(strings.TrimSpace(s))
	if m == "" || m == "00:00:00:00:00:00" || m == "ff:ff:ff:ff:ff:ff" {
		return ""
	}
	return m
}
