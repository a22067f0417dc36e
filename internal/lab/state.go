package lab

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultStateDir holds one <run>.json per lab instance and a <run>/ folder
// with its generated configs, pid files and logs.
const DefaultStateDir = "/run/egovnet-lab"

// NamespacePrefix starts every namespace the lab creates.
const NamespacePrefix = "egl-"

var runRe = regexp.MustCompile(`^[a-z0-9]{4}$`)

// ValidRun reports whether id is a well-formed run id (4 of a-z0-9).
func ValidRun(id string) bool { return runRe.MatchString(id) }

// NewRunID returns a random run id (4 of a-z0-9, 1.6 million values).
func NewRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Namespace is the namespace name of a node or LAN in a run.
func Namespace(run, name string) string { return NamespacePrefix + run + "-" + name }

// MgmtRootIf is the root-namespace side of a run's management link (8 chars).
func MgmtRootIf(run string) string { return "egl" + run + "m" }

// State records everything one run started, written before anything is
// created and updated as it goes, so Down can always undo a partial Up.
type State struct {
	Run        string            `json:"run"`
	Scenario   string            `json:"scenario"` // absolute path of the scenario file
	Name       string            `json:"name"`
	Plan       string            `json:"plan,omitempty"`
	Created    time.Time         `json:"created"`
	Dir        string            `json:"dir"` // per-run folder: configs, pid files, logs
	Namespaces []string          `json:"namespaces"`
	RootLinks  []string          `json:"root_links,omitempty"`
	Processes  []Process         `json:"processes"`
	Nodes      []NodeState       `json:"nodes"`
	Management *MgmtState        `json:"management,omitempty"`
	Timings    map[string]string `json:"timings,omitempty"`
}

// Process is a daemon started inside a namespace.
type Process struct {
	Node    string   `json:"node"`
	Service string   `json:"service"` // snmpd, snmpsim, tcp:22, http:80, relay:8443
	PID     int      `json:"pid"`
	Start   uint64   `json:"start"` // start time in clock ticks (/proc/PID/stat field 22), guards against PID reuse
	Cmd     []string `json:"cmd"`
	Log     string   `json:"log"`
}

// NodeState is what tests and the demo need to know about a node.
type NodeState struct {
	Name       string       `json:"name"`
	Kind       string       `json:"kind"`
	Label      string       `json:"label,omitempty"`
	Department string       `json:"department,omitempty"`
	Namespace  string       `json:"namespace"`
	Addrs      []string     `json:"addrs,omitempty"`
	SNMP       []SNMPAccess `json:"snmp,omitempty"`
	Software   []Software   `json:"software,omitempty"`
}

// SNMPAccess is how to reach one SNMP agent of a node.
type SNMPAccess struct {
	Kind      string `json:"kind"` // snmpd or snmpsim
	Address   string `json:"address"`
	Port      int    `json:"port"`
	Community string `json:"community"`
	Recording string `json:"recording,omitempty"`
}

// MgmtState is the management link of a run.
type MgmtState struct {
	Node     string  `json:"node"`
	Subnet   string  `json:"subnet"`
	RootIf   string  `json:"root_if"`
	RootAddr string  `json:"root_addr"` // the collector listens here (root namespace)
	NodeAddr string  `json:"node_addr"`
	Relays   []Relay `json:"relays,omitempty"`
}

// Node returns the node's state.
func (st *State) Node(name string) (NodeState, bool) {
	for _, n := range st.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return NodeState{}, false
}

func statePath(dir, run string) string { return filepath.Join(dir, run+".json") }

// save writes the state atomically.
func (st *State) save(dir string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp := statePath(dir, st.Run) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, statePath(dir, st.Run)); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// ErrNoRun means no state file exists for the run.
var ErrNoRun = errors.New("no such lab run")

// LoadState reads one run's state.
func LoadState(dir, run string) (*State, error) {
	if !ValidRun(run) {
		return nil, fmt.Errorf("run id %q: want 4 characters a-z0-9", run)
	}
	data, err := os.ReadFile(statePath(dir, run))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("run %s: %w", run, ErrNoRun)
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state %s: %w", statePath(dir, run), err)
	}
	return &st, nil
}

// ListStates returns every run recorded in dir, oldest first.
func ListStates(dir string) ([]*State, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list state dir: %w", err)
	}
	var out []*State
	for _, e := range entries {
		run, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !ValidRun(run) {
			continue
		}
		st, err := LoadState(dir, run)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Health counts the run's namespaces that exist and processes still running.
func Health(st *State) (namespaces, processes int) {
	for _, ns := range st.Namespaces {
		if nsExists(ns) {
			namespaces++
		}
	}
	for _, p := range st.Processes {
		if alive(p) {
			processes++
		}
	}
	return namespaces, processes
}
