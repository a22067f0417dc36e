// Package spool keeps scan reports on disk until the collector acknowledges
// them, so nothing acknowledged is lost and nothing unacknowledged is lost
// either: a report is written to a temporary file, fsynced, renamed into
// place and the directory fsynced before anyone tries to upload it, and it
// is removed only after the collector's 200/202. The spool is bounded; when
// full the oldest report is dropped and the drop counted in a persisted
// counter that later reports carry (stats.dropped_reports). Reports the
// collector refuses for good (4xx) move to spool/rejected with the reason.
package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	suffix      = ".json"
	tmpPrefix   = ".tmp-"
	droppedFile = "dropped"
	rejectedDir = "rejected"
)

// Spool is a directory of pending reports. Safe for use by one process;
// methods are serialised.
type Spool struct {
	dir string
	max int
	mu  sync.Mutex
	now func() time.Time
	seq int64
}

// Entry is one pending report.
type Entry struct {
	Name string // file name, sortable by age
	Path string
}

// Open creates dir (0700) if needed, removes partial temporary files left by
// a crash (they were never acknowledged as written) and returns the spool.
func Open(dir string, maxReports int) (*Spool, error) {
	if maxReports < 1 {
		return nil, fmt.Errorf("open spool %s: max reports %d < 1", dir, maxReports)
	}
	if err := os.MkdirAll(filepath.Join(dir, rejectedDir), 0o700); err != nil {
		return nil, fmt.Errorf("create spool %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read spool %s: %w", dir, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return &Spool{dir: dir, max: maxReports, now: time.Now}, nil
}

// Dir is the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Put stores one report durably (named after id, which must be a plain
// token such as a UUID). When the spool is full the oldest reports are
// dropped first and counted. It returns how many were dropped now.
func (s *Spool) Put(id string, body []byte) (dropped int, err error) {
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return 0, fmt.Errorf("spool report: bad id %q", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pending, err := s.list()
	if err != nil {
		return 0, err
	}
	for len(pending) >= s.max {
		if err := os.Remove(pending[0].Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return dropped, fmt.Errorf("drop oldest report %s: %w", pending[0].Name, err)
		}
		pending = pending[1:]
		dropped++
	}
	if dropped > 0 {
		if err := s.addDropped(int64(dropped)); err != nil {
			return dropped, err
		}
	}
	// Names sort by creation time; seq breaks ties within one nanosecond tick.
	s.seq++
	name := fmt.Sprintf("%020d-%06d-%s%s", s.now().UnixNano(), s.seq%1000000, id, suffix)
	if err := writeAtomic(s.dir, name, body, 0o600); err != nil {
		return dropped, fmt.Errorf("spool report %s: %w", id, err)
	}
	return dropped, nil
}

// List returns pending reports, oldest first.
func (s *Spool) List() ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list()
}

func (s *Spool) list() ([]Entry, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read spool %s: %w", s.dir, err)
	}
	var out []Entry
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, suffix) {
			continue
		}
		out = append(out, Entry{Name: n, Path: filepath.Join(s.dir, n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Depth is the number of pending reports.
func (s *Spool) Depth() int {
	l, _ := s.List()
	return len(l)
}

// Read returns a pending report's bytes.
func (s *Spool) Read(e Entry) ([]byte, error) {
	b, err := os.ReadFile(e.Path)
	if err != nil {
		return nil, fmt.Errorf("read spooled report %s: %w", e.Name, err)
	}
	return b, nil
}

// Ack removes a report the collector acknowledged.
func (s *Spool) Ack(e Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(e.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove acknowledged report %s: %w", e.Name, err)
	}
	return SyncDir(s.dir)
}

// Reject moves a report the collector refused for good to spool/rejected,
// with the reason beside it in <name>.error.
func (s *Spool) Reject(e Entry, reason error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rdir := filepath.Join(s.dir, rejectedDir)
	msg := "rejected"
	if reason != nil {
		msg = reason.Error()
	}
	if err := writeAtomic(rdir, e.Name+".error", []byte(msg+"\n"), 0o600); err != nil {
		return fmt.Errorf("record rejection of %s: %w", e.Name, err)
	}
	if err := os.Rename(e.Path, filepath.Join(rdir, e.Name)); err != nil {
		return fmt.Errorf("move rejected report %s: %w", e.Name, err)
	}
	// Bounded too: a revoked credential would otherwise fill the disk here.
	if rej, err := s.rejected(); err == nil {
		for len(rej) > s.max {
			_ = os.Remove(rej[0].Path)
			_ = os.Remove(rej[0].Path + ".error")
			rej = rej[1:]
		}
	}
	if err := SyncDir(rdir); err != nil {
		return err
	}
	return SyncDir(s.dir)
}

// Rejected lists reports moved to spool/rejected, oldest first; at most
// the spool's bound are kept.
func (s *Spool) Rejected() ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected()
}

func (s *Spool) rejected() ([]Entry, error) {
	rdir := filepath.Join(s.dir, rejectedDir)
	ents, err := os.ReadDir(rdir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rdir, err)
	}
	var out []Entry
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			out = append(out, Entry{Name: e.Name(), Path: filepath.Join(rdir, e.Name())})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Dropped is the persisted count of reports dropped because the spool was full.
func (s *Spool) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := s.readDropped()
	return n
}

func (s *Spool) readDropped() (int64, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, droppedFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read dropped counter: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse dropped counter: %w", err)
	}
	return n, nil
}

func (s *Spool) addDropped(n int64) error {
	cur, _ := s.readDropped() // a corrupt counter restarts from what we know
	if err := writeAtomic(s.dir, droppedFile, []byte(strconv.FormatInt(cur+n, 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("persist dropped counter: %w", err)
	}
	return nil
}

// writeAtomic: temp file, write, fsync, rename, fsync dir.
func writeAtomic(dir, name string, body []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("create temp in %s: %w", dir, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if _, err := f.Write(body); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	ok = true
	return SyncDir(dir)
}

// WriteFileAtomic is writeAtomic for other agent state (the enrolment
// credential): the same crash-safety, one implementation.
func WriteFileAtomic(path string, body []byte, mode os.FileMode) error {
	return writeAtomic(filepath.Dir(path), filepath.Base(path), body, mode)
}

// SyncDir makes a rename or removal in dir durable (fsync of the
// directory; a no-op on Windows). The relay's spool uses it too.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" { // directories cannot be fsynced there; NTFS journals renames
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}
