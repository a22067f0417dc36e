package fleet

import (
	"strings"

	"github.com/egovnet/egovnet/collector/store"
)

// The fleet package owns:
//
//   - fleet_configs: each department's agent configuration (SNMP secrets
//     sealed with the collector's fleet key) and its version;
//   - fleet_agents: what each agent said at its last poll (the heartbeat:
//     version, profile, platform, spool) and pending scan-now requests;
//   - fleet_releases: signed agent builds, binary included, so several
//     collectors on one PostgreSQL serve the same releases.
//
// schema is written once; PostgreSQL needs BIGINT and BYTEA where SQLite
// takes INTEGER and BLOB.
const schema = `
CREATE TABLE fleet_configs (
	department TEXT PRIMARY KEY,
	version INTEGER NOT NULL,
	body TEXT NOT NULL,
	sealed TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE fleet_agents (
	agent_id TEXT PRIMARY KEY,
	last_poll TEXT NOT NULL,
	version TEXT NOT NULL DEFAULT '',
	profile TEXT NOT NULL DEFAULT '',
	os TEXT NOT NULL DEFAULT '',
	arch TEXT NOT NULL DEFAULT '',
	spool_depth INTEGER NOT NULL DEFAULT 0,
	dropped_reports INTEGER NOT NULL DEFAULT 0,
	scan_requested TEXT NOT NULL DEFAULT '',
	scan_sent TEXT NOT NULL DEFAULT '',
	last_report TEXT NOT NULL DEFAULT ''
);
CREATE TABLE fleet_releases (
	id TEXT PRIMARY KEY,
	version TEXT NOT NULL,
	os TEXT NOT NULL,
	arch TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	signature TEXT NOT NULL,
	content BLOB NOT NULL,
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL,
	UNIQUE (os, arch, version)
);
`

func init() {
	store.Register(store.Migration{
		ID:       "fleet/0001_init",
		SQLite:   schema,
		Postgres: strings.NewReplacer("INTEGER", "BIGINT", "BLOB", "BYTEA").Replace(schema),
	})
}
