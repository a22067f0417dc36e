// Package inventory keeps what the collector knows about each department's
// network: the departments of the plan, the scan reports received (raw, so
// derived state can always be rebuilt), and the endpoints with their first
// and last sightings in scan time. It owns those tables and nothing else.
package inventory

import "github.com/egovnet/egovnet/collector/store"

func init() {
	store.Register(store.Migration{
		ID: "inventory/0001_init",
		SQLite: `
CREATE TABLE departments (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE TABLE reports (
	report_id TEXT PRIMARY KEY,
	agent_id TEXT NOT NULL,
	department TEXT NOT NULL,
	source TEXT NOT NULL,
	started_at TEXT NOT NULL,
	finished_at TEXT NOT NULL,
	received_at TEXT NOT NULL,
	endpoints INTEGER NOT NULL,
	raw TEXT NOT NULL,
	processed INTEGER NOT NULL DEFAULT 0,
	process_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reports_department ON reports (department, finished_at);
CREATE INDEX reports_pending ON reports (processed, finished_at);
CREATE TABLE endpoints (
	department TEXT NOT NULL,
	ip TEXT NOT NULL,
	first_seen TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	mac TEXT NOT NULL,
	vendor TEXT NOT NULL,
	hostname TEXT NOT NULL,
	role TEXT NOT NULL,
	open_ports TEXT NOT NULL,
	http_titles TEXT NOT NULL,
	seen_by TEXT NOT NULL,
	last_report TEXT NOT NULL,
	last_agent TEXT NOT NULL,
	PRIMARY KEY (department, ip)
);
`,
	})
	// ip_key sorts addresses numerically (10.0.0.2 before 10.0.0.10):
	// the address as 32 hex digits of its 16-byte form. Rows written before
	// it get their key when next seen; until then they sort first.
	store.Register(store.Migration{
		ID:     "inventory/0002_ip_key",
		SQLite: `ALTER TABLE endpoints ADD COLUMN ip_key TEXT NOT NULL DEFAULT ''`,
	})
	// Raw reports past inventory.raw_retention are compacted to their
	// header (CompactReports); the flag tells RawReport and the retry check.
	store.Register(store.Migration{
		ID: "inventory/0003_compacted",
		SQLite: `ALTER TABLE reports ADD COLUMN compacted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX reports_agent ON reports (department, agent_id, finished_at);
`,
	})
	// Each agent's latest scan time per department, kept as reports
	// arrive: the department's current endpoints are those its agents'
	// latest reports saw (every report at that time, should two finish at
	// once), and finding that time by MAX(finished_at) over the reports
	// table cost every report the department's whole history.
	store.Register(store.Migration{
		ID: "inventory/0004_latest",
		SQLite: `CREATE TABLE report_latest (
	department TEXT NOT NULL,
	agent_id TEXT NOT NULL,
	finished_at TEXT NOT NULL,
	PRIMARY KEY (department, agent_id)
);
INSERT INTO report_latest (department, agent_id, finished_at)
SELECT department, agent_id, MAX(finished_at) FROM reports GROUP BY department, agent_id;
`,
	})
	// Each report's JSON compressed (body.go); raw keeps the text of rows
	// written before and of compacted headers. PostgreSQL stores raw_z as
	// it is: trying to compress zstd output again would only cost time.
	store.Register(store.Migration{
		ID:     "inventory/0005_raw_z",
		SQLite: `ALTER TABLE reports ADD COLUMN raw_z BLOB`,
		Postgres: `ALTER TABLE reports ADD COLUMN raw_z BYTEA;
ALTER TABLE reports ALTER COLUMN raw_z SET STORAGE EXTERNAL;
`,
	})
	// Every report rewrites its endpoints' rows (last_seen, last_report)
	// without changing the key. With room left on each page PostgreSQL
	// writes the new row version beside the old one and skips the index
	// (a HOT update): in a bulk run 42% of the updates were HOT against
	// 0.4% with full pages. SQLite updates rows in place. An existing
	// table is not rewritten: its pages gain the room as rows move.
	store.Register(store.Migration{
		ID:       "inventory/0006_endpoints_fillfactor",
		SQLite:   `SELECT 1`,
		Postgres: `ALTER TABLE endpoints SET (fillfactor = 70)`,
	})
	// Sighting chains (chain.go): a bulk report leaves the rows it sees as
	// before unwritten, and their newest sighting is their chain's.
	// Readers go through endpoint_now, which resolves it. A chained report
	// reads its agent's chain through endpoints_chained: by department
	// alone it read the whole department (a 1,000-endpoint report in a
	// 100k-endpoint department took 3.5 times as long on SQLite), and the
	// index costs a bulk insert nothing measurable.
	store.Register(store.Migration{
		ID: "inventory/0007_chains",
		SQLite: `ALTER TABLE endpoints ADD COLUMN chain_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN digest TEXT NOT NULL DEFAULT '';
CREATE TABLE endpoint_chains (
	department TEXT NOT NULL,
	agent_id TEXT NOT NULL,
	seen_at TEXT NOT NULL,
	report_id TEXT NOT NULL,
	PRIMARY KEY (department, agent_id)
);
CREATE VIEW endpoint_now AS
SELECT e.department AS department, e.ip AS ip, e.first_seen AS first_seen,
 CASE WHEN e.chain_agent = '' THEN e.last_seen ELSE COALESCE(c.seen_at, e.last_seen) END AS last_seen,
 e.mac AS mac, e.vendor AS vendor, e.hostname AS hostname, e.role AS role, e.open_ports AS open_ports,
 e.http_titles AS http_titles, e.seen_by AS seen_by,
 CASE WHEN e.chain_agent = '' THEN e.last_report ELSE COALESCE(c.report_id, e.last_report) END AS last_report,
 e.last_agent AS last_agent, e.ip_key AS ip_key
FROM endpoints e LEFT JOIN endpoint_chains c ON c.department = e.department AND c.agent_id = e.chain_agent;
CREATE INDEX endpoints_chained ON endpoints (department, chain_agent) WHERE chain_agent <> '';
`,
	})
}
