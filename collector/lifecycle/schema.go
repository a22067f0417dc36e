package lifecycle

import "github.com/egovnet/egovnet/collector/store"

// The lifecycle package owns these tables (named rules_* since before it
// left collector/rules; the names stay, existing databases keep them):
//
//   - rules_violations: one row per finding (stable id from department, rule
//     and subject) with its current status and latest evidence;
//   - rules_violation_events: every status transition with who and when,
//     from which any past moment is reconstructed ("as of");
//   - rules_reports: each agent's latest report per department, the input
//     of the next evaluation;
//   - rules_first_seen (dropped by rules/0002): first sightings now come
//     from the inventory and the device inventory (Sightings);
//   - rules_scans: reports already applied, so re-processing is a no-op;
//   - rules_open_counts (rules/0003): present findings per department and
//     rule, kept by every status change;
//   - rules_violations.search_text (rules/0004): what ?q= matches, lower
//     case, one value a line (searchText).
//   - rules_pending (rules/0005): scans of large departments waiting for
//     their department's next batched judgement (batch.go), each with the
//     report it replaced as its agent's latest, so the judgement can see
//     the department as it was when the scan arrived; a crash leaves them
//     there for the next start.
//   - rules_set_aside (rules/0006): queued scans whose reports could not be
//     read, with the reason, so they no longer hold their department up
//     (setaside.go).
func init() {
	store.Register(store.Migration{
		ID: "rules/0001_init",
		SQLite: `
CREATE TABLE rules_violations (
  id TEXT PRIMARY KEY,
  department TEXT NOT NULL,
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  severity TEXT NOT NULL,
  registered INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  missed INTEGER NOT NULL DEFAULT 0,
  exemption_source TEXT NOT NULL DEFAULT '',
  exemption_basis TEXT NOT NULL DEFAULT '',
  exemption_approver TEXT NOT NULL DEFAULT '',
  exemption_expires TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
CREATE INDEX rules_violations_dept ON rules_violations (department, status);
CREATE TABLE rules_violation_events (
  id TEXT PRIMARY KEY,
  violation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '{}',
  recorded_at TEXT NOT NULL
);
CREATE INDEX rules_violation_events_v ON rules_violation_events (violation_id, at);
CREATE TABLE rules_reports (
  department TEXT NOT NULL,
  agent_key TEXT NOT NULL,
  report_id TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (department, agent_key)
);
CREATE TABLE rules_first_seen (
  department TEXT NOT NULL,
  subject TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY (department, subject)
);
CREATE TABLE rules_scans (
  report_id TEXT PRIMARY KEY,
  department TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  applied_at TEXT NOT NULL
);
CREATE INDEX rules_scans_dept ON rules_scans (department, finished_at);
`,
	})
	// One copy of the facts (issue 11): endpoints.first_seen and
	// devices.first_seen answer what rules_first_seen duplicated.
	store.Register(store.Migration{
		ID:     "rules/0002_drop_first_seen",
		SQLite: `DROP TABLE IF EXISTS rules_first_seen;`,
	})
	// Present findings per department and rule, kept by every status
	// change instead of counted per report (issue 16); filled from the
	// findings already stored.
	store.Register(store.Migration{
		ID: "rules/0003_open_counts",
		SQLite: `
CREATE TABLE rules_open_counts (
  department TEXT NOT NULL,
  rule TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (department, rule)
);
INSERT INTO rules_open_counts (department, rule, n)
  SELECT department, rule, COUNT(*) FROM rules_violations WHERE status <> 'resolved' GROUP BY department, rule;
`,
	})
	// What ?q= matches, kept beside the body so a search runs in SQL
	// (CONTRACT lists: address, MAC, names and subject); the rows already
	// stored are filled from their bodies with each backend's JSON
	// functions, as searchText computes it for new rows.
	store.Register(store.Migration{
		ID:       "rules/0004_search_text",
		SQLite:   searchTextAdd + searchTextSQLite,
		Postgres: searchTextAdd + searchTextPostgres,
	})
	store.Register(store.Migration{
		ID: "rules/0005_pending",
		SQLite: `
CREATE TABLE rules_pending (
  report_id TEXT PRIMARY KEY,
  department TEXT NOT NULL,
  agent TEXT NOT NULL,
  agent_key TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  prev_report_id TEXT NOT NULL DEFAULT '',
  prev_finished_at TEXT NOT NULL DEFAULT '',
  queued_at TEXT NOT NULL
);
CREATE INDEX rules_pending_dept ON rules_pending (department, finished_at);
`,
	})
	// Queued scans whose reports cannot be read (setaside.go).
	store.Register(store.Migration{
		ID: "rules/0006_set_aside",
		SQLite: `
CREATE TABLE rules_set_aside (
  report_id TEXT PRIMARY KEY,
  department TEXT NOT NULL,
  agent TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  reason TEXT NOT NULL,
  set_aside_at TEXT NOT NULL
);
`,
	})
}

const searchTextAdd = `ALTER TABLE rules_violations ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
`

// The key list is written out (not built from searchKeys) so the migration
// stays the text it was when applied; TestSearchTextBackfill checks that it
// agrees with searchText. Only ASCII is lowered (SQLite's LOWER; translate
// on PostgreSQL, whose LOWER follows the locale), as searchText does.
const searchTextSQLite = `UPDATE rules_violations SET search_text = LOWER(subject || char(10) || id || COALESCE((
 SELECT char(10) || group_concat(x, char(10)) FROM (
  SELECT d.value AS x FROM json_each(rules_violations.body, '$.evidence') e, json_each(e.value, '$.detail') d
   WHERE d.type = 'text' AND d.key IN ('address','addresses','chassis_id','device','device_name','exit_hop','gateway','hostname','ip','mac','name','names','next_hop','server','sys_name','target')
  UNION ALL
  SELECT a.value FROM json_each(rules_violations.body, '$.evidence') e, json_each(e.value, '$.detail') d, json_each(d.value) a
   WHERE d.type = 'array' AND a.type = 'text' AND d.key IN ('address','addresses','chassis_id','device','device_name','exit_hop','gateway','hostname','ip','mac','name','names','next_hop','server','sys_name','target')
 )), ''));
`

const searchTextPostgres = `UPDATE rules_violations SET search_text = translate(subject || E'\n' || id || COALESCE((
 SELECT E'\n' || string_agg(x, E'\n') FROM (
  SELECT d.value #>> '{}' AS x
   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(body::jsonb->'evidence') = 'array' THEN body::jsonb->'evidence' ELSE '[]'::jsonb END) e,
    jsonb_each(CASE WHEN jsonb_typeof(e->'detail') = 'object' THEN e->'detail' ELSE '{}'::jsonb END) d
   WHERE jsonb_typeof(d.value) = 'string' AND d.key IN ('address','addresses','chassis_id','device','device_name','exit_hop','gateway','hostname','ip','mac','name','names','next_hop','server','sys_name','target')
  UNION ALL
  SELECT a #>> '{}'
   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(body::jsonb->'evidence') = 'array' THEN body::jsonb->'evidence' ELSE '[]'::jsonb END) e,
    jsonb_each(CASE WHEN jsonb_typeof(e->'detail') = 'object' THEN e->'detail' ELSE '{}'::jsonb END) d,
    jsonb_array_elements(CASE WHEN jsonb_typeof(d.value) = 'array' THEN d.value ELSE '[]'::jsonb END) a
   WHERE jsonb_typeof(a) = 'string' AND d.key IN ('address','addresses','chassis_id','device','device_name','exit_hop','gateway','hostname','ip','mac','name','names','next_hop','server','sys_name','target')
 ) s), ''), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
`
