package notify

import "github.com/egovnet/egovnet/collector/store"

// The notify package owns these tables:
//
//   - notify_outbox: one row per (sink, event) still to deliver or delivered,
//     with its retry state; the unique key makes enqueueing idempotent, so a
//     pass that re-reads a window of lifecycle events never sends twice;
//   - notify_state: the cursor into the lifecycle's event table;
//   - notify_agents: which agents were last announced silent, so agent.silent
//     goes out once per silence, not once per pass.
func init() {
	store.Register(store.Migration{
		ID: "notify/0001_init",
		SQLite: `
CREATE TABLE notify_outbox (
	id TEXT PRIMARY KEY,
	sink TEXT NOT NULL,
	event_key TEXT NOT NULL,
	event TEXT NOT NULL,
	department TEXT NOT NULL,
	payload TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at TEXT NOT NULL,
	created_at TEXT NOT NULL,
	delivered_at TEXT NOT NULL DEFAULT '',
	dead INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	UNIQUE (sink, event_key)
);
CREATE INDEX notify_outbox_due ON notify_outbox (delivered_at, dead, next_at);
CREATE TABLE notify_state (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE notify_agents (
	agent_id TEXT PRIMARY KEY,
	silent_since TEXT NOT NULL
);
`,
	})
}
