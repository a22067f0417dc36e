package devices

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

// ErrNotFound: no such device.
var ErrNotFound = errors.New("device not found")

// Summary is one row of GET /api/v1/devices (CONTRACT "Devices and topology").
type Summary struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Target     string    `json:"target"`
	Name       string    `json:"name"`
	Descr      string    `json:"descr"`
	ObjectID   string    `json:"object_id"`
	Vendor     string    `json:"vendor"`
	Model      string    `json:"model"`
	Serial     string    `json:"serial"`
	Interfaces int       `json:"interfaces"`
	Routes     int       `json:"routes"`
	Neighbors  int       `json:"neighbors"`
	FDB        int       `json:"fdb"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// Detail is GET /api/v1/devices/{id}: the latest DeviceInventory with the
// device's id, department, sightings and history (newest first).
type Detail struct {
	wire.DeviceInventory
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Vendor     string    `json:"vendor"`
	Model      string    `json:"model"`
	Serial     string    `json:"serial"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	History    []Change  `json:"history"`
}

const summaryCols = `id, department, target, name, descr, object_id, vendor, model, serial, n_interfaces, n_routes, n_neighbors, n_fdb, first_seen, last_seen`

// List answers one page of a department's devices ("" = all), ordered by
// department and name, with the number matching before the window. q
// matches name, target, description, vendor, model, serial and the
// device's addresses and interface MACs (case-insensitive).
func (s *Store) List(ctx context.Context, dept string, p paging.Page) ([]Summary, int, error) {
	where, args := " WHERE 1 = 1", []any{}
	if dept != "" {
		where += " AND department = ?"
		args = append(args, dept)
	}
	if p.Q != "" {
		like := p.Like()
		where += ` AND (LOWER(name) LIKE ? ESCAPE '\' OR LOWER(target) LIKE ? ESCAPE '\' OR LOWER(descr) LIKE ? ESCAPE '\'
 OR LOWER(vendor) LIKE ? ESCAPE '\' OR LOWER(model) LIKE ? ESCAPE '\' OR LOWER(serial) LIKE ? ESCAPE '\'
 OR id IN (SELECT device_id FROM device_addresses WHERE LOWER(address) LIKE ? ESCAPE '\'))`
		for range 7 {
			args = append(args, like)
		}
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM devices`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count devices: %w", err)
	}
	order := p.Order(map[string]string{"name": "name", "target": "target", "vendor": "vendor", "model": "model", "serial": "serial",
		"interfaces": "n_interfaces", "routes": "n_routes", "neighbors": "n_neighbors", "fdb": "n_fdb", "first_seen": "first_seen", "last_seen": "last_seen", "department": "department"},
		"department, name, id")
	rows, err := s.db.Query(ctx, `SELECT `+summaryCols+` FROM devices`+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(args, p.Limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var d Summary
		var first, last string
		if err := rows.Scan(&d.ID, &d.Department, &d.Target, &d.Name, &d.Descr, &d.ObjectID, &d.Vendor, &d.Model, &d.Serial,
			&d.Interfaces, &d.Routes, &d.Neighbors, &d.FDB, &first, &last); err != nil {
			return nil, 0, fmt.Errorf("scan device: %w", err)
		}
		d.FirstSeen, _ = store.ParseTime(first)
		d.LastSeen, _ = store.ParseTime(last)
		out = append(out, d)
	}
	return out, total, rows.Err()
}

// MaxHistory bounds the history entries one device answer carries.
const MaxHistory = 1000

// Get returns one device with its history, newest first.
func (s *Store) Get(ctx context.Context, id string) (Detail, error) {
	var d Detail
	var first, last, raw string
	err := s.db.QueryRow(ctx, `SELECT id, department, vendor, model, serial, first_seen, last_seen, inventory FROM devices WHERE id = ?`, id).
		Scan(&d.ID, &d.Department, &d.Vendor, &d.Model, &d.Serial, &first, &last, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("load device %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(raw), &d.DeviceInventory); err != nil {
		return d, fmt.Errorf("decode device %s: %w", id, err)
	}
	d.FirstSeen, _ = store.ParseTime(first)
	d.LastSeen, _ = store.ParseTime(last)
	rows, err := s.db.Query(ctx, `SELECT at, change, detail FROM device_history WHERE device_id = ? ORDER BY at DESC, change, detail LIMIT ?`, id, MaxHistory)
	if err != nil {
		return d, fmt.Errorf("load device history %s: %w", id, err)
	}
	defer rows.Close()
	d.History = []Change{}
	for rows.Next() {
		var c Change
		var at string
		if err := rows.Scan(&at, &c.Change, &c.Detail); err != nil {
			return d, fmt.Errorf("scan device history: %w", err)
		}
		c.At, _ = store.ParseTime(at)
		d.History = append(d.History, c)
	}
	return d, rows.Err()
}

// Location is where an endpoint is plugged in (CONTRACT: endpoints[].location).
type Location struct {
	Device   string `json:"device"`
	DeviceID string `json:"device_id"`
	IfIndex  int    `json:"if_index"`
	Port     string `json:"port"`
	VLAN     int    `json:"vlan"`
}

// Key names one endpoint MAC of one department.
type Key struct{ Department, MAC string }

// Locate places MACs on access ports of the department's switches: the FDB
// entry learned on a port with no LLDP/CDP neighbour and few MACs. When
// several switches place one MAC (stale tables), the most recently walked
// wins. Keys whose MAC is on no access port are absent from the answer.
func (s *Store) Locate(ctx context.Context, keys []Key) (map[Key]Location, error) {
	out := map[Key]Location{}
	want := map[Key]bool{}
	var macs []string
	seen := map[string]bool{}
	for _, k := range keys {
		m := NormMAC(k.MAC)
		if m == "" {
			continue
		}
		want[Key{k.Department, m}] = true
		if !seen[m] {
			seen[m] = true
			macs = append(macs, m)
		}
	}
	best := map[Key]string{}
	for _, part := range chunks(macs) {
		in, args := inList(part)
		rows, err := s.db.Query(ctx, `SELECT f.department, f.mac, f.device_id, d.name, d.target, f.if_index, f.port, f.vlan, d.last_seen
FROM device_fdb f JOIN devices d ON d.id = f.device_id WHERE f.access = 1 AND f.mac IN `+in, args...)
		if err != nil {
			return nil, fmt.Errorf("locate endpoints: %w", err)
		}
		for rows.Next() {
			var k Key
			var l Location
			var target, last string
			if err := rows.Scan(&k.Department, &k.MAC, &l.DeviceID, &l.Device, &target, &l.IfIndex, &l.Port, &l.VLAN, &last); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan location: %w", err)
			}
			if l.Device == "" {
				l.Device = target
			}
			if !want[k] || last < best[k] {
				continue
			}
			best[k] = last
			out[k] = l
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("locate endpoints: %w", err)
		}
	}
	// Answer under the caller's spelling of the MAC.
	res := make(map[Key]Location, len(out))
	for _, k := range keys {
		if l, ok := out[Key{k.Department, NormMAC(k.MAC)}]; ok {
			res[k] = l
		}
	}
	return res, nil
}

// AddressUse is one address an endpoint MAC used, with its sightings.
type AddressUse struct {
	IP        string    `json:"ip"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// EndpointHistory is the answer of GET /api/v1/endpoints/history.
type EndpointHistory struct {
	Department string       `json:"department"`
	MAC        string       `json:"mac"`
	Addresses  []AddressUse `json:"addresses"`
}

// MACsOf lists the MACs seen with ip in dept, most recent first.
func (s *Store) MACsOf(ctx context.Context, dept, ip string) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT mac FROM endpoint_addresses WHERE department = ? AND ip = ? ORDER BY last_seen DESC, mac`, dept, ip)
	if err != nil {
		return nil, fmt.Errorf("look up MACs of %s: %w", ip, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("scan MAC: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddressHistory lists every address the MAC used in dept, oldest first:
// the address moves of one endpoint.
func (s *Store) AddressHistory(ctx context.Context, dept, mac string) (EndpointHistory, error) {
	h := EndpointHistory{Department: dept, MAC: NormMAC(mac), Addresses: []AddressUse{}}
	rows, err := s.db.Query(ctx, `SELECT ip, first_seen, last_seen FROM endpoint_addresses WHERE department = ? AND mac = ? ORDER BY first_seen, ip`, dept, h.MAC)
	if err != nil {
		return h, fmt.Errorf("load address history of %s: %w", mac, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AddressUse
		var first, last string
		if err := rows.Scan(&a.IP, &first, &last); err != nil {
			return h, fmt.Errorf("scan address history: %w", err)
		}
		a.FirstSeen, _ = store.ParseTime(first)
		a.LastSeen, _ = store.ParseTime(last)
		h.Addresses = append(h.Addresses, a)
	}
	return h, rows.Err()
}

// Inventories returns the latest inventory of every device of dept ("" =
// all), without history: the topology is drawn from them.
func (s *Store) Inventories(ctx context.Context, dept string) ([]Detail, error) {
	q, args := `SELECT id, department, vendor, model, serial, first_seen, last_seen, inventory FROM devices`, []any{}
	if dept != "" {
		q += ` WHERE department = ?`
		args = append(args, dept)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY department, name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("load inventories: %w", err)
	}
	defer rows.Close()
	var out []Detail
	for rows.Next() {
		var d Detail
		var first, last, raw string
		if err := rows.Scan(&d.ID, &d.Department, &d.Vendor, &d.Model, &d.Serial, &first, &last, &raw); err != nil {
			return nil, fmt.Errorf("scan inventory: %w", err)
		}
		if err := json.Unmarshal([]byte(raw), &d.DeviceInventory); err != nil {
			return nil, fmt.Errorf("decode device %s: %w", d.ID, err)
		}
		d.FirstSeen, _ = store.ParseTime(first)
		d.LastSeen, _ = store.ParseTime(last)
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarshalJSON writes the inventory's own fields (wire.DeviceInventory has a
// marshaller that would otherwise hide the rest) followed by the device's.
func (d Detail) MarshalJSON() ([]byte, error) {
	inv, err := json.Marshal(d.DeviceInventory)
	if err != nil {
		return nil, err
	}
	type extra struct {
		ID         string    `json:"id"`
		Department string    `json:"department"`
		Vendor     string    `json:"vendor"`
		Model      string    `json:"model"`
		Serial     string    `json:"serial"`
		FirstSeen  time.Time `json:"first_seen"`
		LastSeen   time.Time `json:"last_seen"`
		History    []Change  `json:"history"`
	}
	h := d.History
	if h == nil {
		h = []Change{}
	}
	ex, err := json.Marshal(extra{d.ID, d.Department, d.Vendor, d.Model, d.Serial, d.FirstSeen, d.LastSeen, h})
	if err != nil {
		return nil, err
	}
	if len(inv) < 2 || inv[len(inv)-1] != '}' {
		return nil, fmt.Errorf("encode device %s: inventory is not an object", d.ID)
	}
	out := append(inv[:len(inv)-1:len(inv)-1], ',')
	return append(out, ex[1:]...), nil
}
