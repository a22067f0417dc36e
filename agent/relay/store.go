package relay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/egovnet/egovnet/agent/spool"
)

const (
	suffix      = ".relay"
	tmpPrefix   = ".tmp-"
	rejectedDir = "rejected"
	// magic starts every spooled upload: a file that does not start with it
	// is not ours and is moved aside rather than forwarded.
	magic = "egovnet-relay/1 "
)

// ErrFull is returned by Put when the relay spool holds its maximum count
// or size: the relay refuses the upload (507) and the endpoint agent keeps
// the report in its own spool, so nothing is dropped.
var ErrFull = errors.New("relay spool full")

// ErrTooLarge is returned by Put for a body over the size limit.
var ErrTooLarge = errors.New("report too large")

// header is the first line of a spooled upload. The credential is the
// endpoint agent's own: the relay forwards with it so the collector
// authenticates and attributes the report to that agent, not to the relay.
type header struct {
	Credential string    `json:"credential"`
	Received   time.Time `json:"received"`
	Remote     string    `json:"remote,omitempty"`
}

// Store is the relay's durable spool: one file per upload, header line then
// the body bytes exactly as the endpoint agent sent them. Unlike the
// agent's own spool it never drops the oldest entry to make room: every
// entry was acknowledged to an endpoint agent, which then deleted its copy.
type Store struct {
	dir        string
	maxReports int
	maxBytes   int64

	mu  sync.Mutex
	seq int64
}

// Entry is one spooled upload.
type Entry struct {
	Name string
	Path string
	Size int64
}

// OpenStore creates dir (0700) and its rejected/ directory, removes
// temporary files a crash left (never acknowledged) and returns the store.
func OpenStore(dir string, maxReports int, maxBytes int64) (*Store, error) {
	if maxReports < 1 || maxBytes < 1 {
		return nil, fmt.Errorf("open relay spool %s: limits %d reports / %d bytes must be positive", dir, maxReports, maxBytes)
	}
	if err := os.MkdirAll(filepath.Join(dir, rejectedDir), 0o700); err != nil {
		return nil, fmt.Errorf("create relay spool %s: %w", dir, err)
	}
	// The spool holds endpoint agents' credentials: owner only.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict relay spool %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read relay spool %s: %w", dir, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return &Store{dir: dir, maxReports: maxReports, maxBytes: maxBytes}, nil
}

// Dir is the spool directory.
func (s *Store) Dir() string { return s.dir }

// Put streams body (at most limit bytes) into a temporary file, fsyncs it,
// and only then, if the spool has room, renames it into place and fsyncs
// the directory. When Put returns nil the upload survives a crash or power
// loss; only then may the relay acknowledge it.
func (s *Store) Put(credential, remote string, body io.Reader, limit int64) (Entry, error) {
	if credential == "" || strings.ContainsAny(credential, "\r\n") {
		return Entry{}, errors.New("spool upload: bad credential")
	}
	f, err := os.CreateTemp(s.dir, tmpPrefix+"*")
	if err != nil {
		return Entry{}, fmt.Errorf("create temp in %s: %w", s.dir, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return Entry{}, fmt.Errorf("chmod %s: %w", tmp, err)
	}
	hb, err := json.Marshal(header{Credential: credential, Received: time.Now().UTC(), Remote: remote})
	if err != nil {
		return Entry{}, fmt.Errorf("encode spool header: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	if _, err := w.WriteString(magic + string(hb) + "\n"); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", tmp, err)
	}
	n, err := io.Copy(w, io.LimitReader(body, limit+1))
	if err != nil {
		return Entry{}, fmt.Errorf("receive report: %w", err)
	}
	if n > limit {
		return Entry{}, ErrTooLarge
	}
	if err := w.Flush(); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return Entry{}, fmt.Errorf("fsync %s: %w", tmp, err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return Entry{}, fmt.Errorf("size of %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return Entry{}, fmt.Errorf("close %s: %w", tmp, err)
	}
	// The room check and the rename happen under one lock so concurrent
	// uploads cannot together overshoot the caps.
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.list()
	if err != nil {
		return Entry{}, err
	}
	var used int64
	for _, e := range list {
		used += e.Size
	}
	if len(list) >= s.maxReports || used+size > s.maxBytes {
		return Entry{}, fmt.Errorf("%w: %d reports, %d bytes (caps %d reports, %d bytes)", ErrFull, len(list), used, s.maxReports, s.maxBytes)
	}
	s.seq++
	name := fmt.Sprintf("%020d-%06d%s", time.Now().UnixNano(), s.seq%1000000, suffix)
	path := filepath.Join(s.dir, name)
	if err := os.Rename(tmp, path); err != nil {
		return Entry{}, fmt.Errorf("rename %s: %w", tmp, err)
	}
	done = true
	if err := spool.SyncDir(s.dir); err != nil {
		// Not acknowledged: the agent sends it again, and the collector
		// stores a report id once however often it arrives.
		_ = os.Remove(path)
		return Entry{}, err
	}
	return Entry{Name: name, Path: path, Size: size}, nil
}

// List returns spooled uploads, oldest first.
func (s *Store) List() ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list()
}

func (s *Store) list() ([]Entry, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read relay spool %s: %w", s.dir, err)
	}
	var out []Entry
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, suffix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // acknowledged and removed meanwhile
		}
		out = append(out, Entry{Name: n, Path: filepath.Join(s.dir, n), Size: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Usage is the number and total size of spooled uploads.
func (s *Store) Usage() (reports int, bytes int64) {
	l, _ := s.List()
	for _, e := range l {
		bytes += e.Size
	}
	return len(l), bytes
}

// Read returns a spooled upload's credential and its body bytes, unchanged.
func (s *Store) Read(e Entry) (credential string, body []byte, err error) {
	b, err := os.ReadFile(e.Path)
	if err != nil {
		return "", nil, fmt.Errorf("read spooled upload %s: %w", e.Name, err)
	}
	h, i, err := parseHeader(e, b[:min(len(b), maxHeader)])
	if err != nil {
		return "", nil, err
	}
	return h.Credential, b[i+1:], nil
}

// maxHeader bounds a spooled upload's header line.
const maxHeader = 64 << 10

// parseHeader reads the header line at the start of b (a whole spooled
// upload, or only its first maxHeader bytes) and says where it ends.
func parseHeader(e Entry, b []byte) (header, int, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 || !bytes.HasPrefix(b, []byte(magic)) {
		return header{}, 0, fmt.Errorf("spooled upload %s: no relay header", e.Name)
	}
	var h header
	if err := json.Unmarshal(b[len(magic):i], &h); err != nil || h.Credential == "" {
		return header{}, 0, fmt.Errorf("spooled upload %s: bad relay header", e.Name)
	}
	return h, i, nil
}

// Credential reads only a spooled upload's header for its credential: a
// waiting agent's uploads are passed over on every forwarding pass, and
// their bodies may be megabytes each.
func (s *Store) Credential(e Entry) (string, error) {
	f, err := os.Open(e.Path)
	if err != nil {
		return "", fmt.Errorf("read spooled upload %s: %w", e.Name, err)
	}
	defer f.Close()
	// up to the header's end (a few hundred bytes), not maxHeader
	line, err := bufio.NewReaderSize(io.LimitReader(f, maxHeader), 1024).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read spooled upload %s: %w", e.Name, err)
	}
	h, _, err := parseHeader(e, line)
	return h.Credential, err
}

// Ack removes an upload the collector acknowledged.
func (s *Store) Ack(e Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(e.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove forwarded upload %s: %w", e.Name, err)
	}
	return spool.SyncDir(s.dir)
}

// Reject moves an upload the collector refused for good (or that cannot be
// read) to rejected/, with the reason in <name>.error, keeping at most the
// spool's caps there (the newest kept).
func (s *Store) Reject(e Entry, reason error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rdir := filepath.Join(s.dir, rejectedDir)
	msg := "rejected"
	if reason != nil {
		msg = reason.Error()
	}
	if err := spool.WriteFileAtomic(filepath.Join(rdir, e.Name+".error"), []byte(msg+"\n"), 0o600); err != nil {
		return fmt.Errorf("record rejection of %s: %w", e.Name, err)
	}
	if err := os.Rename(e.Path, filepath.Join(rdir, e.Name)); err != nil {
		return fmt.Errorf("move rejected upload %s: %w", e.Name, err)
	}
	// Bounded like the spool, in count and bytes: a revoked credential
	// would otherwise fill the disk here.
	if ents, err := os.ReadDir(rdir); err == nil {
		type kept struct {
			name string
			size int64
		}
		var ks []kept
		var total int64
		for _, de := range ents {
			if fi, err := de.Info(); err == nil && strings.HasSuffix(de.Name(), suffix) {
				ks = append(ks, kept{de.Name(), fi.Size()})
				total += fi.Size()
			}
		}
		sort.Slice(ks, func(i, j int) bool { return ks[i].name < ks[j].name })
		for len(ks) > 1 && (len(ks) > s.maxReports || total > s.maxBytes) {
			_ = os.Remove(filepath.Join(rdir, ks[0].name))
			_ = os.Remove(filepath.Join(rdir, ks[0].name+".error"))
			total -= ks[0].size
			ks = ks[1:]
		}
	}
	if err := spool.SyncDir(rdir); err != nil {
		return err
	}
	return spool.SyncDir(s.dir)
}

// Rejected lists uploads moved to rejected/, oldest first.
func (s *Store) Rejected() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, rejectedDir))
	if err != nil {
		return nil, fmt.Errorf("read rejected uploads: %w", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}
