// Package auditlog is the collector's tamper-evident record of every user
// and agent action (等级保护 audit records: time, subject, event, outcome).
// Entries form a hash chain (sha256 over the previous hash and the entry) and
// a head row remembers the newest entry, so altering, removing or truncating
// entries is detected by Verify. Entries are kept at least 180 days
// (网络安全法 art. 21); Prune refuses anything younger.
package auditlog

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/egovnet/egovnet/collector/store"
)

// MinRetention is the legal minimum: six months (网络安全法 art. 21).
const MinRetention = 180 * 24 * time.Hour

// Actor kinds.
const (
	KindUser     = "user"     // a person authenticated over HTTP
	KindAgent    = "agent"    // an enrolled agent (or one trying to enrol)
	KindOperator = "operator" // a command run on the collector host
	KindSystem   = "system"   // the collector itself
)

// Outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeError  = "error"
)

// Entry is one audit record.
type Entry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorKind  string    `json:"actor_kind"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Department string    `json:"department,omitempty"`
	Target     string    `json:"target,omitempty"`
	Outcome    string    `json:"outcome"`
	Remote     string    `json:"remote,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

func init() {
	store.Register(store.Migration{
		ID: "auditlog/0001_init",
		SQLite: `
CREATE TABLE audit_log (
	seq BIGINT PRIMARY KEY,
	at TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	department TEXT NOT NULL,
	target TEXT NOT NULL,
	outcome TEXT NOT NULL,
	remote TEXT NOT NULL,
	detail TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TABLE audit_state (
	id INTEGER PRIMARY KEY,
	head_seq BIGINT NOT NULL,
	head_hash TEXT NOT NULL,
	base_seq BIGINT NOT NULL,
	base_hash TEXT NOT NULL
);
INSERT INTO audit_state (id, head_seq, head_hash, base_seq, base_hash) VALUES (1, 0, '', 0, '');
`,
	})
}

// Log appends to and reads the audit log.
type Log struct {
	db  *store.DB
	now func() time.Time

	anchorPath string // see SetAnchorFile; "" = no anchor
	anchorMu   sync.Mutex
}

// New returns the audit log over db.
func New(db *store.DB) *Log { return &Log{db: db, now: time.Now} }

// SetClock replaces the clock (tests).
func (l *Log) SetClock(now func() time.Time) { l.now = now }

// timeFormat has a fixed-width fraction so that the text sorts by time.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Append writes e in its own transaction.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	var out Entry
	err := l.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = l.AppendTx(ctx, tx, e)
		return err
	})
	return out, err
}

// AppendTx writes e inside tx, so the record commits (or not) together with
// the action it describes. e.Seq, PrevHash and Hash are assigned; a zero At
// is set to now.
func (l *Log) AppendTx(ctx context.Context, tx *store.Tx, e Entry) (Entry, error) {
	e, err := l.prepare(e)
	if err != nil {
		return Entry{}, err
	}
	// Bumping head_seq first takes the row lock on PostgreSQL, serialising
	// concurrent appenders (also across collectors sharing one database);
	// SQLite serialises writers already.
	if _, err := tx.Exec(ctx, `UPDATE audit_state SET head_seq = head_seq + 1 WHERE id = 1`); err != nil {
		return Entry{}, fmt.Errorf("lock audit head: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT head_seq, head_hash FROM audit_state WHERE id = 1`).Scan(&e.Seq, &e.PrevHash); err != nil {
		return Entry{}, fmt.Errorf("read audit head: %w", err)
	}
	e.Hash = hashEntry(e)
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor_kind, actor, action, department, target, outcome, remote, detail, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.At.Format(timeFormat), e.ActorKind, e.Actor, e.Action, e.Department, e.Target, e.Outcome, e.Remote, e.Detail, e.PrevHash, e.Hash)
	if err != nil {
		return Entry{}, fmt.Errorf("insert audit entry: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_state SET head_hash = ? WHERE id = 1`, e.Hash); err != nil {
		return Entry{}, fmt.Errorf("update audit head: %w", err)
	}
	return e, nil
}

// prepare checks e and makes it storable: the outcome and time default,
// the time is UTC, and every field is valid, bounded text.
func (l *Log) prepare(e Entry) (Entry, error) {
	if e.Action == "" || e.ActorKind == "" {
		return Entry{}, errors.New("append audit entry: action and actor kind are required")
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	if e.At.IsZero() {
		e.At = l.now()
	}
	// Whatever a client sent (names, hostnames, paths) is stored as valid,
	// bounded UTF-8 without NUL, so a hostile value can neither break the
	// insert (PostgreSQL TEXT) nor bloat the log.
	e.ActorKind, e.Actor, e.Action = clean(e.ActorKind, 32), clean(e.Actor, 128), clean(e.Action, 128)
	e.Department, e.Target, e.Outcome = clean(e.Department, 64), clean(e.Target, 512), clean(e.Outcome, 32)
	e.Remote, e.Detail = clean(e.Remote, 128), clean(e.Detail, 4096)
	e.At = e.At.UTC()
	return e, nil
}

// Detail encodes an entry's detail as JSON.
func Detail(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(m))
	}
	return string(b)
}

// clean makes s valid UTF-8 without NUL, at most max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// hashEntry is sha256(prev_hash || "\n" || canonical JSON of the fields).
// The JSON of a struct has a fixed field order, so it is canonical.
func hashEntry(e Entry) string {
	body, _ := json.Marshal(struct {
		Seq        int64  `json:"seq"`
		At         string `json:"at"`
		ActorKind  string `json:"actor_kind"`
		Actor      string `json:"actor"`
		Action     string `json:"action"`
		Department string `json:"department"`
		Target     string `json:"target"`
		Outcome    string `json:"outcome"`
		Remote     string `json:"remote"`
		Detail     string `json:"detail"`
	}{e.Seq, e.At.UTC().Format(timeFormat), e.ActorKind, e.Actor, e.Action, e.Department, e.Target, e.Outcome, e.Remote, e.Detail})
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

const cols = `seq, at, actor_kind, actor, action, department, target, outcome, remote, detail, prev_hash, hash`

func scanEntry(rows *sql.Rows) (Entry, error) {
	var e Entry
	var at string
	if err := rows.Scan(&e.Seq, &at, &e.ActorKind, &e.Actor, &e.Action, &e.Department, &e.Target, &e.Outcome, &e.Remote, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
		return e, fmt.Errorf("scan audit entry: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return e, fmt.Errorf("audit entry %d: bad time %q: %w", e.Seq, at, err)
	}
	e.At = t
	return e, nil
}

// List returns entries at or after since (zero: all), oldest first, at most
// limit (<= 0: no limit).
func (l *Log) List(ctx context.Context, since time.Time, limit int) ([]Entry, error) {
	if _, err := l.ChainQueued(ctx); err != nil {
		return nil, err
	}
	q := `SELECT ` + cols + ` FROM audit_log`
	var args []any
	if !since.IsZero() {
		q += ` WHERE at >= ?`
		args = append(args, since.UTC().Format(timeFormat))
	}
	q += ` ORDER BY seq`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Broken describes the first place the chain does not hold.
type Broken struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

func (b *Broken) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", b.Seq, b.Reason)
}

// VerifyResult summarises a verification.
type VerifyResult struct {
	Entries int64   `json:"entries"`
	First   int64   `json:"first_seq"`
	Last    int64   `json:"last_seq"`
	Broken  *Broken `json:"broken,omitempty"`
}

// Verify walks the chain from the retention base to the head and reports the
// first entry that was altered, removed or is missing at the end. A database
// error is returned as error; a broken chain is reported in the result.
func (l *Log) Verify(ctx context.Context) (VerifyResult, error) {
	if _, err := l.ChainQueued(ctx); err != nil {
		return VerifyResult{}, err
	}
	var res VerifyResult
	var headSeq, baseSeq int64
	var headHash, baseHash string
	if err := l.db.QueryRow(ctx, `SELECT head_seq, head_hash, base_seq, base_hash FROM audit_state WHERE id = 1`).Scan(&headSeq, &headHash, &baseSeq, &baseHash); err != nil {
		return res, fmt.Errorf("read audit head: %w", err)
	}
	rows, err := l.db.Query(ctx, `SELECT `+cols+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return res, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	want, prev := baseSeq+1, baseHash
	res.First = want
	anchorSeq, anchoredHash, anchored := int64(-1), "", false
	if l.anchorPath != "" {
		if a, err := readAnchor(l.anchorPath); err == nil {
			anchorSeq = a.Seq
		}
	}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return res, err
		}
		if e.Seq == anchorSeq {
			anchoredHash, anchored = e.Hash, true
		}
		if res.Broken == nil {
			switch {
			case e.Seq != want:
				res.Broken = &Broken{Seq: want, Reason: fmt.Sprintf("entry %d is missing (the next entry present is %d)", want, e.Seq)}
			case e.PrevHash != prev:
				res.Broken = &Broken{Seq: e.Seq, Reason: "prev_hash does not match the hash of the entry before it"}
			case hashEntry(e) != e.Hash:
				res.Broken = &Broken{Seq: e.Seq, Reason: "content altered: hash does not match"}
			}
		}
		res.Entries++
		res.Last = e.Seq
		want, prev = e.Seq+1, e.Hash
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("read audit log: %w", err)
	}
	if res.Broken == nil && (want-1 != headSeq || prev != headHash) {
		res.Broken = &Broken{Seq: want, Reason: fmt.Sprintf("entries %d..%d are missing at the end (the head records %d)", want, headSeq, headSeq)}
	}
	if res.Entries == 0 {
		res.Last = baseSeq
	}
	l.checkAnchor(&res, anchoredHash, anchored)
	return res, nil
}

// Prune removes entries older than retention (which must be at least
// MinRetention). Only a contiguous run from the oldest entry is removed, up
// to the first entry not older than the cutoff, so nothing younger is ever
// pruned even if the clock once stepped back. The last pruned entry becomes
// the chain's base, so Verify still detects removals.
func (l *Log) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	if retention < MinRetention {
		return 0, fmt.Errorf("prune audit log: retention %s is shorter than the legal minimum %s", retention, MinRetention)
	}
	cutoff := l.now().Add(-retention).UTC().Format(timeFormat)
	var removed int64
	err := l.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE audit_state SET head_seq = head_seq WHERE id = 1`); err != nil {
			return fmt.Errorf("lock audit head: %w", err)
		}
		var firstYoung sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT MIN(seq) FROM audit_log WHERE at >= ?`, cutoff).Scan(&firstYoung); err != nil {
			return fmt.Errorf("find prune bound: %w", err)
		}
		var lastOld sql.NullInt64
		q, args := `SELECT MAX(seq) FROM audit_log`, []any{}
		if firstYoung.Valid {
			q += ` WHERE seq < ?`
			args = append(args, firstYoung.Int64)
		}
		if err := tx.QueryRow(ctx, q, args...).Scan(&lastOld); err != nil {
			return fmt.Errorf("find prune bound: %w", err)
		}
		if !lastOld.Valid {
			return nil
		}
		var hash string
		if err := tx.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = ?`, lastOld.Int64).Scan(&hash); err != nil {
			return fmt.Errorf("read prune base: %w", err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE seq <= ?`, lastOld.Int64)
		if err != nil {
			return fmt.Errorf("prune audit log: %w", err)
		}
		removed, _ = res.RowsAffected()
		_, err = tx.Exec(ctx, `UPDATE audit_state SET base_seq = ?, base_hash = ? WHERE id = 1`, lastOld.Int64, hash)
		return err
	})
	return removed, err
}

// Query selects entries for Page.
type Query struct {
	Since  time.Time // zero: from the oldest
	Text   string    // case-insensitive substring of actor, action, target, department or remote
	Limit  int       // > 0
	Offset int
}

// Page returns the entries matching q, oldest first, and how many match in
// all (before limit and offset).
func (l *Log) Page(ctx context.Context, q Query) ([]Entry, int, error) {
	if _, err := l.ChainQueued(ctx); err != nil {
		return nil, 0, err
	}
	where, args := []string{}, []any{}
	if !q.Since.IsZero() {
		where = append(where, `at >= ?`)
		args = append(args, q.Since.UTC().Format(timeFormat))
	}
	if q.Text != "" {
		pat := "%" + likeEscaper.Replace(strings.ToLower(q.Text)) + "%"
		var ors []string
		for _, c := range []string{"actor", "action", "target", "department", "remote"} {
			ors = append(ors, `LOWER(`+c+`) LIKE ? ESCAPE '\'`)
			args = append(args, pat)
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = ` WHERE ` + strings.Join(where, " AND ")
	}
	var total int
	if err := l.db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit log: %w", err)
	}
	rows, err := l.db.Query(ctx, `SELECT `+cols+` FROM audit_log`+cond+` ORDER BY seq LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
