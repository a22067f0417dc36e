package auth

import "github.com/egovnet/egovnet/collector/store"

func init() {
	store.Register(store.Migration{
		ID: "auth/0001_init",
		SQLite: `
CREATE TABLE enroll_tokens (
	id TEXT PRIMARY KEY,
	hash TEXT NOT NULL UNIQUE,
	department TEXT NOT NULL,
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	uses_left INTEGER NOT NULL,
	revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE agents (
	id TEXT PRIMARY KEY,
	department TEXT NOT NULL,
	hostname TEXT NOT NULL,
	version TEXT NOT NULL,
	credential_hash TEXT NOT NULL UNIQUE,
	token_id TEXT NOT NULL,
	enrolled_at TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agents_department ON agents (department);
CREATE TABLE users (
	name TEXT PRIMARY KEY,
	role TEXT NOT NULL,
	department TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE TABLE sessions (
	hash TEXT PRIMARY KEY,
	user_name TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
`,
	})
	// Login failures are counted per (account, source address): an attacker
	// elsewhere cannot lock a person out, and a name that does not exist is
	// throttled exactly like one that does.
	store.Register(store.Migration{
		ID: "auth/0002_login_failures",
		SQLite: `
CREATE TABLE login_failures (
	user_name TEXT NOT NULL,
	source TEXT NOT NULL,
	failures INTEGER NOT NULL,
	locked_until TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (user_name, source)
);
CREATE INDEX login_failures_updated ON login_failures (updated_at);
`,
	})
}
