package auditlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// AnchorFileName is the head anchor's file in the collector's data dir.
//
// The hash chain and the head row live in the database, so someone who can
// write the database can delete the newest entries and rewrite the head to
// match. The anchor is the last committed head (seq and hash) kept outside
// the database; Verify then names the truncation ("entries after N were
// removed; the anchor records entry M"). It is written after commits (the
// anchor never runs ahead of the log) by RunAnchor and WriteAnchor, so
// collectors sharing one PostgreSQL each anchor what they saw and need no
// shared secret.
const AnchorFileName = "auditlog.head"

// SetAnchorFile makes the log write its head to path and check it in
// Verify. Call it while wiring, before appending.
func (l *Log) SetAnchorFile(path string) { l.anchorPath = path }

type anchor struct {
	Seq  int64
	Hash string
}

// WriteAnchor chains the queued entries (ChainQueued) and records the
// committed head in the anchor file when it moved forward. A head behind the anchor is never written: that is exactly the
// truncation the anchor exists to reveal.
func (l *Log) WriteAnchor(ctx context.Context) error {
	// Entries queued by reports (PostgreSQL) join the chain here at the
	// latest, about once a second (RunAnchor), whether or not an anchor
	// file is kept.
	if _, err := l.ChainQueued(ctx); err != nil {
		return err
	}
	if l.anchorPath == "" {
		return nil
	}
	l.anchorMu.Lock()
	defer l.anchorMu.Unlock()
	var head anchor
	if err := l.db.QueryRow(ctx, `SELECT head_seq, head_hash FROM audit_state WHERE id = 1`).Scan(&head.Seq, &head.Hash); err != nil {
		return fmt.Errorf("read audit head: %w", err)
	}
	old, err := readAnchor(l.anchorPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if head.Seq <= old.Seq {
		return nil
	}
	line := fmt.Sprintf("%d %s %s\n", head.Seq, head.Hash, time.Now().UTC().Format(time.RFC3339))
	if err := os.MkdirAll(filepath.Dir(l.anchorPath), 0o750); err != nil {
		return fmt.Errorf("write audit anchor: %w", err)
	}
	// A fresh temporary name per write: another process sharing the data
	// dir may be anchoring at the same moment.
	f, err := os.CreateTemp(filepath.Dir(l.anchorPath), filepath.Base(l.anchorPath)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write audit anchor: %w", err)
	}
	_, werr := f.WriteString(line)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), l.anchorPath)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write audit anchor: %w", werr)
	}
	return nil
}

// RunAnchor writes the anchor every interval until ctx ends, and once more
// at the end.
func (l *Log) RunAnchor(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := l.WriteAnchor(context.WithoutCancel(ctx)); err != nil && onErr != nil {
				onErr(err)
			}
			return
		case <-t.C:
			if err := l.WriteAnchor(ctx); err != nil && onErr != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

func readAnchor(path string) (anchor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return anchor{}, fmt.Errorf("read audit anchor: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return anchor{}, fmt.Errorf("read audit anchor %s: malformed", path)
	}
	seq, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || seq < 0 {
		return anchor{}, fmt.Errorf("read audit anchor %s: malformed sequence %q", path, f[0])
	}
	return anchor{Seq: seq, Hash: f[1]}, nil
}

// checkAnchor compares the verified chain (entries up to last, whose hashes
// are in hashes by seq only for the anchored one) with the anchor file.
func (l *Log) checkAnchor(res *VerifyResult, anchoredHash string, found bool) {
	if l.anchorPath == "" || res.Broken != nil {
		return
	}
	a, err := readAnchor(l.anchorPath)
	if errors.Is(err, os.ErrNotExist) {
		return // nothing anchored yet (a fresh data dir)
	}
	if err != nil {
		res.Broken = &Broken{Seq: res.Last + 1, Reason: err.Error()}
		return
	}
	switch {
	case a.Seq > res.Last:
		res.Broken = &Broken{Seq: res.Last + 1, Reason: fmt.Sprintf("entries %d..%d were removed from the end: the log ends at entry %d but the anchor %s records entry %d",
			res.Last+1, a.Seq, res.Last, l.anchorPath, a.Seq)}
	case a.Seq > 0 && a.Seq >= res.First && (!found || anchoredHash != a.Hash):
		res.Broken = &Broken{Seq: a.Seq, Reason: fmt.Sprintf("entry %d differs from the one the anchor %s records: the log was rewritten from there", a.Seq, l.anchorPath)}
	}
}
