// Package devices keeps every SNMP-walked device as first-class inventory:
// one row per device identity (SNMP engine ID, else sysName + chassis MAC,
// else the walked target) per department, with first and last sighting in
// scan time, the latest DeviceInventory, the tables other features query
// (FDB, neighbours, addresses) as rows, and a history of what appeared or
// went away between scans. It also remembers which addresses each endpoint
// MAC used over time, and places endpoints on switch access ports. It is an
// ingest processor: it reads committed reports, so it can always be rebuilt.
package devices

import "github.com/egovnet/egovnet/collector/store"

func init() {
	store.Register(store.Migration{
		ID: "devices/0001_init",
		SQLite: `
CREATE TABLE devices (
	id TEXT PRIMARY KEY,
	department TEXT NOT NULL,
	identity TEXT NOT NULL,
	target TEXT NOT NULL,
	name TEXT NOT NULL,
	descr TEXT NOT NULL,
	object_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	model TEXT NOT NULL,
	serial TEXT NOT NULL,
	n_interfaces INTEGER NOT NULL,
	n_routes INTEGER NOT NULL,
	n_neighbors INTEGER NOT NULL,
	n_fdb INTEGER NOT NULL,
	first_seen TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	last_report TEXT NOT NULL,
	inventory TEXT NOT NULL
);
CREATE INDEX devices_department ON devices (department, name);
CREATE TABLE device_fdb (
	device_id TEXT NOT NULL,
	department TEXT NOT NULL,
	mac TEXT NOT NULL,
	vlan INTEGER NOT NULL,
	bridge_port INTEGER NOT NULL,
	if_index INTEGER NOT NULL,
	port TEXT NOT NULL,
	status INTEGER NOT NULL,
	access INTEGER NOT NULL
);
CREATE INDEX device_fdb_device ON device_fdb (device_id);
CREATE INDEX device_fdb_mac ON device_fdb (mac, access);
CREATE TABLE device_neighbors (
	device_id TEXT NOT NULL,
	department TEXT NOT NULL,
	protocol TEXT NOT NULL,
	local_if_index INTEGER NOT NULL,
	chassis_id TEXT NOT NULL,
	port_id TEXT NOT NULL,
	sys_name TEXT NOT NULL,
	address TEXT NOT NULL
);
CREATE INDEX device_neighbors_device ON device_neighbors (device_id);
CREATE INDEX device_neighbors_department ON device_neighbors (department);
CREATE TABLE device_addresses (
	device_id TEXT NOT NULL,
	department TEXT NOT NULL,
	address TEXT NOT NULL,
	prefix_len INTEGER NOT NULL,
	if_index INTEGER NOT NULL
);
CREATE INDEX device_addresses_device ON device_addresses (device_id);
CREATE INDEX device_addresses_department ON device_addresses (department, address);
CREATE TABLE device_history (
	device_id TEXT NOT NULL,
	at TEXT NOT NULL,
	change TEXT NOT NULL,
	detail TEXT NOT NULL
);
CREATE INDEX device_history_device ON device_history (device_id, at);
CREATE TABLE endpoint_addresses (
	department TEXT NOT NULL,
	mac TEXT NOT NULL,
	ip TEXT NOT NULL,
	first_seen TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	PRIMARY KEY (department, mac, ip)
);
CREATE INDEX endpoint_addresses_ip ON endpoint_addresses (department, ip);
`,
	})
}
