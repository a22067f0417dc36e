package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/wire"
)

// Row is one software row of a report, normalised, on one device.
type Row struct {
	Department string
	Device     string // address of an SNMP device, or the agent's host name
	DeviceName string // sysName or host name
	Source     string
	Agent      string
	ObservedAt time.Time
	Result     catalog.Result
}

// ID is the row's stable key: department, device, name and version.
func (r Row) ID() string {
	h := sha256.Sum256([]byte(r.Department + "\x00" + r.Device + "\x00" + r.Result.Name + "\x00" + r.Result.Version))
	return hex.EncodeToString(h[:16])
}

// DeviceRows are the rows of one device in one report.
type DeviceRows struct {
	Device     string
	DeviceName string
	Rows       []Row
}

// maxNameRunes bounds stored names (hrSWInstalledName is 64 octets; registry
// names can be longer, not unboundedly).
const maxNameRunes = 256

// Extract normalises every software row of a report, device by device:
// the SNMP devices' hrSWInstalled rows and the agent host's packages
// (rows whose Host names another device, as CSV imports do, go to that
// device). Each device gets exactly one OS install: its release marker
// among the rows, else its sysDescr (SNMP) or the host's OS string.
func Extract(cat *catalog.Catalog, rep *wire.ScanReport, department string) []DeviceRows {
	at := rep.FinishedAt
	agent := rep.Agent.ID
	byDev := map[string]*DeviceRows{}
	var order []string
	get := func(dev, name string) *DeviceRows {
		d := byDev[dev]
		if d == nil {
			d = &DeviceRows{Device: dev, DeviceName: name}
			byDev[dev] = d
			order = append(order, dev)
		}
		if d.DeviceName == "" {
			d.DeviceName = name
		}
		return d
	}
	add := func(d *DeviceRows, sw wire.Software, defSource string) {
		src := sw.Source
		if src == "" {
			src = defSource
		}
		in := catalog.Input{Name: clip(sw.Name), Version: clip(sw.Version), Vendor: clip(sw.Vendor), Source: src}
		if strings.TrimSpace(in.Name) == "" {
			return
		}
		d.Rows = append(d.Rows, Row{Department: department, Device: d.Device, DeviceName: d.DeviceName, Source: src, Agent: agent, ObservedAt: at, Result: cat.Match(in)})
	}
	descrs := map[string]string{}
	for _, inv := range rep.Devices {
		dev := hostOf(inv.Target)
		if dev == "" {
			continue
		}
		d := get(dev, inv.System.Name)
		descrs[dev] = inv.System.Descr
		for _, sw := range inv.Software {
			if sw.Host != "" && hostOf(sw.Host) != dev {
				add(get(hostOf(sw.Host), ""), sw, wire.MethodSNMP)
				continue
			}
			add(d, sw, wire.MethodSNMP)
		}
	}
	hostOS := map[string]string{}
	if rep.Host != nil {
		self := rep.Host.Hostname
		if self == "" {
			self = rep.Agent.Hostname
		}
		if self == "" {
			self = "agent:" + rep.Agent.ID
		}
		hostOS[self] = rep.Host.OS
		for _, sw := range rep.Host.Software {
			dev, name := self, self
			if sw.Host != "" {
				dev, name = hostOf(sw.Host), ""
			}
			add(get(dev, name), sw, "host")
		}
		if len(rep.Host.Software) == 0 && rep.Host.OS != "" {
			get(self, self)
		}
	}
	out := make([]DeviceRows, 0, len(order))
	for _, dev := range order {
		d := byDev[dev]
		d.Rows = dedupe(d.Rows)
		oneOS(cat, d, descrs[dev], hostOS[dev], at, department, agent)
		if len(d.Rows) > 0 {
			out = append(out, *d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}

// oneOS keeps a single OS install per device and derives it when no row
// names it.
func oneOS(cat *catalog.Catalog, d *DeviceRows, descr, hostOS string, at time.Time, department, agent string) {
	found := false
	for i := range d.Rows {
		r := &d.Rows[i].Result
		if r.Category == catalog.CategoryOS && r.Kind == catalog.KindInstall {
			if found {
				r.Kind = catalog.KindComponent // a second release marker is part of the first OS
			}
			found = true
		}
	}
	if found {
		return
	}
	var res catalog.Result
	var ok bool
	src := ""
	if descr != "" {
		results := make([]catalog.Result, len(d.Rows))
		for i, r := range d.Rows {
			results[i] = r.Result
		}
		res, ok = cat.OSForDevice(descr, results)
		src = "sysdescr"
	}
	if !ok && hostOS != "" {
		res, ok = cat.OSFromName(hostOS)
		src = "host"
	}
	if !ok {
		return
	}
	res.Name = clip(res.Name)
	d.Rows = append(d.Rows, Row{Department: department, Device: d.Device, DeviceName: d.DeviceName, Source: src, Agent: agent, ObservedAt: at, Result: res})
}

func dedupe(rows []Row) []Row {
	seen := map[string]bool{}
	out := rows[:0]
	for _, r := range rows {
		id := r.Result.Name + "\x00" + r.Result.Version
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, r)
	}
	return out
}

// hostOf strips a port from "host:port" targets.
func hostOf(target string) string {
	target = strings.TrimSpace(target)
	if h, _, err := net.SplitHostPort(target); err == nil {
		return h
	}
	return strings.Trim(target, "[]")
}

func clip(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "")
	if r := []rune(s); len(r) > maxNameRunes {
		return string(r[:maxNameRunes])
	}
	return s
}

// installsFromRows turns normalised rows into counted installs, one per
// device and product.
func installsFromRows(rows []Row) []Install {
	type key struct{ dept, dev, product string }
	idx := map[key]int{}
	var out []Install
	for _, r := range rows {
		res := r.Result
		if !res.Counted() {
			continue
		}
		k := key{r.Department, r.Device, res.ProductKey}
		if i, ok := idx[k]; ok {
			in := &out[i]
			if res.Version != "" && !strings.Contains(","+in.Version+",", ","+res.Version+",") {
				if in.Version == "" {
					in.Version = res.Version
				} else {
					in.Version += "," + res.Version
				}
			}
			// an organisational edition on the device wins over a home one
			in.HomeEdition = in.HomeEdition && res.HomeEdition
			if r.ObservedAt.Before(in.FirstSeen) {
				in.FirstSeen = r.ObservedAt
			}
			if r.ObservedAt.After(in.LastSeen) {
				in.LastSeen = r.ObservedAt
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, Install{
			Department: r.Department, Device: r.Device, DeviceName: r.DeviceName,
			Product: res.ProductKey, ProductName: displayName(res), Category: res.Category, Vendor: res.Vendor,
			Domestic: res.Domestic, Commercial: res.Commercial, Version: res.Version, Edition: res.Edition,
			HomeEdition: res.HomeEdition, Name: res.Name, Source: r.Source, Agent: r.Agent,
			FirstSeen: r.ObservedAt, LastSeen: r.ObservedAt,
		})
	}
	return out
}

func displayName(r catalog.Result) string {
	if r.ProductZH != "" {
		return r.ProductZH
	}
	return r.Product
}
