package wire

import "encoding/json"

// The CONTRACT's lists are always JSON arrays: a consumer iterating
// report["devices"] or endpoint["open_ports"] must never meet null. These
// marshalers fill nil slices with empty ones on the way out, whoever built
// the value. A struct that embeds one of these types inherits its MarshalJSON
// and loses its own fields in JSON: wrap them in a named field instead.
// Violation has none for that reason (API answers embed it); the rules engine
// always fills its citations and evidence.

// MarshalJSON writes the report with every CONTRACT list present.
func (r ScanReport) MarshalJSON() ([]byte, error) {
	type plain ScanReport
	p := plain(r)
	p.Scope = orEmpty(p.Scope)
	p.Endpoints = orEmpty(p.Endpoints)
	p.Devices = orEmpty(p.Devices)
	p.Paths = orEmpty(p.Paths)
	return json.Marshal(p)
}

// MarshalJSON writes the endpoint with every CONTRACT field present.
func (e Endpoint) MarshalJSON() ([]byte, error) {
	type plain Endpoint
	p := plain(e)
	p.SeenBy = orEmpty(p.SeenBy)
	p.OpenPorts = orEmpty(p.OpenPorts)
	p.HTTP = orEmpty(p.HTTP)
	return json.Marshal(p)
}

// MarshalJSON writes the path with its hop list present.
func (p Path) MarshalJSON() ([]byte, error) {
	type plain Path
	q := plain(p)
	q.Hops = orEmpty(q.Hops)
	return json.Marshal(q)
}

// MarshalJSON writes the inventory with every table list present.
func (d DeviceInventory) MarshalJSON() ([]byte, error) {
	type plain DeviceInventory
	p := plain(d)
	p.Interfaces = orEmpty(p.Interfaces)
	p.IPAddresses = orEmpty(p.IPAddresses)
	p.ARP = orEmpty(p.ARP)
	p.Routes = orEmpty(p.Routes)
	p.Neighbors = orEmpty(p.Neighbors)
	p.Software = orEmpty(p.Software)
	p.Errors = orEmpty(p.Errors)
	p.FDB = orEmpty(p.FDB)
	p.VLANs = orEmpty(p.VLANs)
	p.Entities = orEmpty(p.Entities)
	p.VRFs = orEmpty(p.VRFs)
	return json.Marshal(p)
}

// MarshalJSON writes the host facts with their lists present.
func (h Host) MarshalJSON() ([]byte, error) {
	type plain Host
	p := plain(h)
	p.Interfaces = orEmpty(p.Interfaces)
	p.Routes = orEmpty(p.Routes)
	p.Software = orEmpty(p.Software)
	return json.Marshal(p)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
