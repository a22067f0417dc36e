package ledger

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

func init() {
	// ledger_devices is the 明细表's device part: who uses a machine, what
	// OS it runs (and whether it is activated) and what hardware it is, as
	// the endpoint agent (or the agent host, or an SNMP device) last told.
	store.Register(store.Migration{
		ID: "ledger/0003_devices",
		SQLite: `
CREATE TABLE ledger_devices (
  department TEXT NOT NULL,
  device TEXT NOT NULL,
  device_name TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  user_name TEXT NOT NULL DEFAULT '',
  os_name TEXT NOT NULL DEFAULT '',
  os_version TEXT NOT NULL DEFAULT '',
  os_edition TEXT NOT NULL DEFAULT '',
  os_arch TEXT NOT NULL DEFAULT '',
  os_activated INTEGER NOT NULL DEFAULT -1,
  kms_host TEXT NOT NULL DEFAULT '',
  hw_vendor TEXT NOT NULL DEFAULT '',
  hw_model TEXT NOT NULL DEFAULT '',
  hw_serial TEXT NOT NULL DEFAULT '',
  agent TEXT NOT NULL DEFAULT '',
  report_id TEXT NOT NULL DEFAULT '',
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  PRIMARY KEY (department, device)
)`,
	})
}

// Device sources: how the ledger learnt of a device.
const (
	DeviceEndpoint = "endpoint" // an endpoint-profile agent on the machine itself
	DeviceHost     = "host"     // a network agent's own host
	DeviceSNMP     = "snmp"     // an SNMP device (hrSWInstalled, ENTITY-MIB)
)

// Device is one machine of the 明细表 with its user, OS and hardware, and
// how its counted installs stand against the licences.
type Device struct {
	Department string         `json:"department"`
	Device     string         `json:"device"`
	DeviceName string         `json:"device_name,omitempty"`
	Source     string         `json:"source"` // endpoint, host, snmp
	User       string         `json:"user"`
	OSInfo     *wire.OSInfo   `json:"os_info"`
	Hardware   *wire.Hardware `json:"hardware"`
	Agent      string         `json:"agent,omitempty"`
	FirstSeen  time.Time      `json:"first_seen"`
	LastSeen   time.Time      `json:"last_seen"`
	Installs   int            `json:"installs"`   // counted installs
	Legal      int            `json:"legal"`      // licensed or free
	Unlicensed int            `json:"unlicensed"` // installs that are not legal
	Compliant  bool           `json:"compliant"`  // every counted install is legal
}

// deviceFacts is what one report says about one device.
type deviceFacts struct {
	device, name, source, user string
	os                         *wire.OSInfo
	hw                         *wire.Hardware
}

// reportDevices lists the devices a report describes: the agent's own host
// (with the endpoint profile's user, OS and hardware) and every SNMP
// device, plus devices only named by software rows (CSV imports).
func reportDevices(rep *wire.ScanReport, rows []DeviceRows) []deviceFacts {
	idx := map[string]int{}
	var out []deviceFacts
	add := func(f deviceFacts) {
		if f.device == "" {
			return
		}
		if i, ok := idx[f.device]; ok {
			if out[i].name == "" {
				out[i].name = f.name
			}
			return
		}
		idx[f.device] = len(out)
		out = append(out, f)
	}
	if h := rep.Host; h != nil {
		self := h.Hostname
		if self == "" {
			self = rep.Agent.Hostname
		}
		if self == "" {
			self = "agent:" + rep.Agent.ID
		}
		src := DeviceHost
		if rep.Agent.Profile == "endpoint" {
			src = DeviceEndpoint
		}
		add(deviceFacts{device: self, name: self, source: src, user: clip(h.User), os: h.OSInfo, hw: h.Hardware})
	}
	for _, inv := range rep.Devices {
		dev := hostOf(inv.Target)
		add(deviceFacts{device: dev, name: inv.System.Name, source: DeviceSNMP, hw: chassis(inv.Entities)})
	}
	for _, d := range rows {
		add(deviceFacts{device: d.Device, name: d.DeviceName, source: DeviceSNMP})
	}
	// device order: the lock order of RecordReport
	sort.Slice(out, func(i, j int) bool { return out[i].device < out[j].device })
	return out
}

// chassis is an SNMP device's hardware identity: the ENTITY-MIB chassis
// (class 3) with a serial, else the first entity with one.
func chassis(es []wire.Entity) *wire.Hardware {
	var pick *wire.Entity
	for i := range es {
		e := &es[i]
		if e.Serial == "" {
			continue
		}
		if e.Class == 3 {
			pick = e
			break
		}
		if pick == nil {
			pick = e
		}
	}
	if pick == nil {
		return nil
	}
	return &wire.Hardware{Vendor: clip(pick.MfgName), Model: clip(pick.Model), Serial: clip(pick.Serial)}
}

// recordDevices upserts the devices of a report. A fact the report does not
// give keeps its stored value (an agent without root reads no serial; that
// is not a new machine), and an older report imported late never
// overwrites a newer one's facts.
func recordDevices(ctx context.Context, tx *store.Tx, devs []deviceFacts, department, agent, reportID, at string) error {
	for _, d := range devs {
		var osi wire.OSInfo
		activated := -1
		if d.os != nil {
			osi = *d.os
			if osi.Activated != nil {
				activated = b2i(*osi.Activated)
			}
		}
		var hw wire.Hardware
		if d.hw != nil {
			hw = *d.hw
		}
		// keep(x): the stored value unless this report is at least as new and gives one
		keep := func(col string) string {
			return col + ` = CASE WHEN excluded.last_seen >= ledger_devices.last_seen AND excluded.` + col + ` <> '' THEN excluded.` + col +
				` ELSE ledger_devices.` + col + ` END`
		}
		err := tx.ExecLater(ctx, `INSERT INTO ledger_devices (department, device, device_name, source, user_name, os_name, os_version, os_edition, os_arch,
	os_activated, kms_host, hw_vendor, hw_model, hw_serial, agent, report_id, first_seen, last_seen)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (department, device) DO UPDATE SET `+keep("device_name")+`, `+keep("source")+`, `+keep("user_name")+`, `+keep("os_name")+`,
	`+keep("os_version")+`, `+keep("os_edition")+`, `+keep("os_arch")+`, `+keep("kms_host")+`, `+keep("hw_vendor")+`, `+keep("hw_model")+`,
	`+keep("hw_serial")+`, `+keep("agent")+`, `+keep("report_id")+`,
	os_activated = CASE WHEN excluded.last_seen >= ledger_devices.last_seen AND excluded.os_activated >= 0 THEN excluded.os_activated ELSE ledger_devices.os_activated END,
	first_seen = CASE WHEN excluded.first_seen < ledger_devices.first_seen THEN excluded.first_seen ELSE ledger_devices.first_seen END,
	last_seen = CASE WHEN excluded.last_seen > ledger_devices.last_seen THEN excluded.last_seen ELSE ledger_devices.last_seen END`,
			department, d.device, clip(d.name), d.source, d.user, clip(osi.Name), clip(osi.Version), clip(osi.Edition), clip(osi.Arch),
			activated, clip(osi.KMSHost), clip(hw.Vendor), clip(hw.Model), clip(hw.Serial), agent, reportID, at, at)
		if err != nil {
			return fmt.Errorf("record device %s: %w", d.device, err)
		}
	}
	return nil
}

const deviceCols = `department, device, device_name, source, user_name, os_name, os_version, os_edition, os_arch, os_activated, kms_host,
	hw_vendor, hw_model, hw_serial, agent, first_seen, last_seen`

// ListDevices lists the devices of a department ("" = all) known now
// (asOf zero) or first seen by asOf, in department and device order,
// without install counts (Evaluate adds them).
func (s *Store) ListDevices(ctx context.Context, department string, asOf time.Time) ([]Device, error) {
	q, args := `SELECT `+deviceCols+` FROM ledger_devices WHERE 1 = 1`, []any{}
	if department != "" {
		q += ` AND department = ?`
		args = append(args, department)
	}
	if !asOf.IsZero() {
		q += ` AND first_seen <= ?`
		args = append(args, store.Time(asOf.UTC()))
	}
	q += ` ORDER BY department, device`
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	out := []Device{}
	for rows.Next() {
		var d Device
		var osi wire.OSInfo
		var hw wire.Hardware
		var activated int
		var first, last string
		if err := rows.Scan(&d.Department, &d.Device, &d.DeviceName, &d.Source, &d.User, &osi.Name, &osi.Version, &osi.Edition, &osi.Arch,
			&activated, &osi.KMSHost, &hw.Vendor, &hw.Model, &hw.Serial, &d.Agent, &first, &last); err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		if activated >= 0 {
			a := activated == 1
			osi.Activated = &a
		}
		if osi != (wire.OSInfo{}) {
			d.OSInfo = &osi
		}
		if hw != (wire.Hardware{}) {
			d.Hardware = &hw
		}
		d.FirstSeen, _ = store.ParseTime(first)
		d.LastSeen, _ = store.ParseTime(last)
		d.Compliant = true
		out = append(out, d)
	}
	return out, rows.Err()
}

// attachDevices completes an evaluation with its devices: each detail gets
// its device's user, OS and hardware; each device its install counts; each
// department its device counts. A device the ledger_devices table does not
// know (installs recorded before it existed) is listed from its installs.
func (ev *Evaluation) attachDevices(devs []Device) {
	type key struct{ dept, dev string }
	idx := make(map[key]int, len(devs))
	for i, d := range devs {
		idx[key{d.Department, d.Device}] = i
	}
	for i := range ev.Details {
		dt := &ev.Details[i]
		k := key{dt.Department, dt.Device}
		j, ok := idx[k]
		if !ok {
			j = len(devs)
			idx[k] = j
			devs = append(devs, Device{Department: dt.Department, Device: dt.Device, DeviceName: dt.DeviceName, Source: dt.Source,
				FirstSeen: dt.FirstSeen, LastSeen: dt.LastSeen, Compliant: true})
		}
		d := &devs[j]
		dt.User, dt.OSInfo, dt.Hardware = d.User, d.OSInfo, d.Hardware
		d.Installs++
		if Legal(dt.Status) {
			d.Legal++
		} else {
			d.Unlicensed++
			d.Compliant = false
		}
	}
	sort.SliceStable(devs, func(i, j int) bool {
		if devs[i].Department != devs[j].Department {
			return devs[i].Department < devs[j].Department
		}
		return devs[i].Device < devs[j].Device
	})
	ev.Devices = devs
	byDept := map[string]int{}
	for i, ds := range ev.Departments {
		byDept[ds.Department] = i
	}
	for _, d := range devs {
		i, ok := byDept[d.Department]
		if !ok {
			i = len(ev.Departments)
			byDept[d.Department] = i
			ev.Departments = append(ev.Departments, DepartmentSummary{Department: d.Department, Rate: 1, ByCategory: []CategoryShare{}})
		}
		ds := &ev.Departments[i]
		ds.Devices++
		if d.Compliant {
			ds.CompliantDevices++
		}
		if d.Source == DeviceEndpoint {
			ds.EndpointDevices++
		}
	}
	sort.Slice(ev.Departments, func(i, j int) bool { return ev.Departments[i].Department < ev.Departments[j].Department })
}

// Devices is the device part of the 明细表 of a department ("" = all): every
// device with its user, OS, hardware and install counts.
func (s *Store) Devices(ctx context.Context, department string) ([]Device, error) {
	ev, err := s.Evaluate(ctx, department, time.Time{})
	if err != nil {
		return nil, err
	}
	return ev.Devices, nil
}
