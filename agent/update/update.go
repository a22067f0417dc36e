// Package update replaces the agent with a newer build the collector
// offers, only when the build is signed by the release key the agent pinned
// at enrolment. The new binary is verified, smoke-tested (`version` must
// run and print the signed version), swapped in atomically beside the old
// one, which is kept; a build that then fails to come up is rolled back
// after a few starts, and never offered to this agent again.
package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/release"
)

// ReleasePath is the collector route that names the newest build.
const ReleasePath = "/api/v1/agent/release"

// MaxBinary bounds a download.
const MaxBinary = 256 << 20

// MaxStarts is how many starts a new build gets to report healthy before
// the previous one is restored.
const MaxStarts = 3

// Updater checks for and installs newer builds.
type Updater struct {
	Client     *uplink.Client
	Credential string
	Key        ed25519.PublicKey // pinned at enrolment; nil refuses every update
	Current    string            // the running version
	Exe        string            // the running binary (os.Executable)
	DataDir    string
	Log        *slog.Logger
}

// Installed says what Check replaced.
type Installed struct{ From, To string }

// state is data_dir/update.json: a build on probation.
type state struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Starts int      `json:"starts"`
	At     string   `json:"at"`
	Bad    []string `json:"bad,omitempty"` // versions rolled back: never again
}

// ErrUnsigned marks a build refused for its signature.
var ErrUnsigned = errors.New("update refused: not signed by the pinned release key")

func (u *Updater) log() *slog.Logger {
	if u.Log == nil {
		return slog.Default()
	}
	return u.Log
}

func stateFile(dataDir string) string { return filepath.Join(dataDir, "update.json") }

func loadState(dataDir string) (state, error) {
	var s state
	b, err := os.ReadFile(stateFile(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read update state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return state{}, fmt.Errorf("decode update state: %w", err)
	}
	return s, nil
}

func saveState(dataDir string, s state) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	b, _ := json.Marshal(s)
	return spool.WriteFileAtomic(stateFile(dataDir), b, 0o600)
}

// Check installs the newest signed build when it is newer than the running
// one. It returns nil, nil when there is nothing to do.
func (u *Updater) Check(ctx context.Context) (*Installed, error) {
	if u.Key == nil {
		return nil, errors.New("update: no release key pinned (enrol again with a collector that signs releases)")
	}
	q := url.Values{"os": {runtime.GOOS}, "arch": {runtime.GOARCH}}
	res, err := u.Client.Get(ctx, ReleasePath+"?"+q.Encode(), u.Credential, nil)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	switch res.Status {
	case http.StatusNotFound:
		return nil, nil
	case http.StatusOK:
	default:
		return nil, fmt.Errorf("release check: status %d", res.Status)
	}
	var info release.Info
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("decode release: %w", err)
	}
	if info.OS != runtime.GOOS || info.Arch != runtime.GOARCH || release.CompareVersions(info.Version, u.Current) <= 0 {
		return nil, nil
	}
	st, err := loadState(u.DataDir)
	if err != nil {
		return nil, err
	}
	if slices.Contains(st.Bad, info.Version) {
		return nil, nil // rolled back once: wait for a newer build
	}
	return u.install(ctx, info, st)
}

func (u *Updater) install(ctx context.Context, info release.Info, st state) (*Installed, error) {
	dir := filepath.Dir(u.Exe)
	tmp, err := os.CreateTemp(dir, ".egovnet-agent-new-*")
	if err != nil {
		return nil, fmt.Errorf("update: create temp beside %s: %w", u.Exe, err)
	}
	tmpName := tmp.Name()
	keep := false
	defer func() {
		if !keep {
			os.Remove(tmpName)
		}
	}()
	if _, err := u.Client.Download(ctx, info.URL, u.Credential, tmp, MaxBinary); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("update: sync download: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return nil, err
	}
	verr := release.Verify(u.Key, info, tmp)
	tmp.Close()
	if verr != nil {
		u.log().Error("update refused: signature does not verify", "version", info.Version, "sha256", info.SHA256, "err", verr)
		return nil, fmt.Errorf("%w: %v", ErrUnsigned, verr)
	}
	if err := os.Chmod(tmpName, 0o755); err != nil {
		return nil, fmt.Errorf("update: chmod: %w", err)
	}
	// Smoke test: the build must run here and be the version it was signed as.
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	out, err := exec.CommandContext(sctx, tmpName, "version").CombinedOutput()
	cancel()
	if err != nil || !bytes.Contains(out, []byte(info.Version)) {
		u.log().Error("update refused: the new build does not run here or is another version", "version", info.Version, "output", strings.TrimSpace(string(out)), "err", err)
		return nil, fmt.Errorf("update: smoke test of %s failed: %v", info.Version, err)
	}
	prev := u.Exe + ".prev"
	_ = os.Remove(prev)
	if err := os.Link(u.Exe, prev); err != nil {
		// No hard links (another filesystem, Windows): copy.
		if err := copyFile(u.Exe, prev); err != nil {
			return nil, fmt.Errorf("update: keep previous build: %w", err)
		}
	}
	st.From, st.To, st.Starts, st.At = u.Current, info.Version, 0, time.Now().UTC().Format(time.RFC3339)
	if err := saveState(u.DataDir, st); err != nil {
		return nil, err
	}
	if err := os.Rename(tmpName, u.Exe); err != nil {
		return nil, fmt.Errorf("update: replace %s: %w", u.Exe, err)
	}
	keep = true
	u.log().Info("agent updated; restarting into the new build", "from", u.Current, "to", info.Version, "sha256", info.SHA256)
	return &Installed{From: u.Current, To: info.Version}, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Started is called at every start. A build on probation that has now
// started MaxStarts times without being marked good is rolled back: the
// previous binary is restored and rollback is true (the caller restarts
// into it).
func Started(dataDir, exe, current string, log *slog.Logger) (rollback bool, err error) {
	st, err := loadState(dataDir)
	if err != nil || st.To == "" {
		return false, err
	}
	if st.To != current {
		// Running something else (a manual install, or the old build after
		// a rollback): nothing is on probation any more.
		st.From, st.To, st.Starts = "", "", 0
		return false, saveState(dataDir, st)
	}
	st.Starts++
	if st.Starts <= MaxStarts {
		return false, saveState(dataDir, st)
	}
	prev := exe + ".prev"
	if _, err := os.Stat(prev); err != nil {
		return false, fmt.Errorf("roll back %s: previous build missing: %w", st.To, err)
	}
	if err := os.Rename(prev, exe); err != nil {
		return false, fmt.Errorf("roll back %s: %w", st.To, err)
	}
	if log != nil {
		log.Error("new build did not come up; previous build restored", "bad", st.To, "restored", st.From, "starts", st.Starts-1)
	}
	st.Bad = append(st.Bad, st.To)
	st.From, st.To, st.Starts = "", "", 0
	return true, saveState(dataDir, st)
}

// Good ends the probation of the running build (after its first
// successful poll or cycle).
func Good(dataDir, current string) error {
	st, err := loadState(dataDir)
	if err != nil || st.To == "" || st.To != current {
		return err
	}
	st.From, st.To, st.Starts = "", "", 0
	return saveState(dataDir, st)
}
