package uplink

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/internal/config"
)

// IdentityFile is the enrolment result's name inside the data dir.
const IdentityFile = "identity.json"

// Identity is what enrolment gave this agent. The credential is a Secret:
// printing an Identity never shows it.
type Identity struct {
	AgentID    string        `json:"agent_id"`
	Credential config.Secret `json:"-"`
	Collector  string        `json:"collector"`
	CAFile     string        `json:"ca_file,omitempty"`
	Department string        `json:"department,omitempty"`
	ReleaseKey string        `json:"release_key,omitempty"`
}

type identityFile struct {
	AgentID    string `json:"agent_id"`
	Credential string `json:"credential"`
	Collector  string `json:"collector"`
	CAFile     string `json:"ca_file,omitempty"`
	Department string `json:"department,omitempty"`
	ReleaseKey string `json:"release_key,omitempty"`
}

// SaveIdentity writes the identity to dataDir (created 0700) with mode 0600.
func SaveIdentity(dataDir string, id Identity) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s: %w", dataDir, err)
	}
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return fmt.Errorf("restrict data dir %s: %w", dataDir, err)
	}
	b, err := json.MarshalIndent(identityFile{AgentID: id.AgentID, Credential: id.Credential.Reveal(), Collector: id.Collector, CAFile: id.CAFile, Department: id.Department, ReleaseKey: id.ReleaseKey}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode identity: %w", err)
	}
	if err := spool.WriteFileAtomic(filepath.Join(dataDir, IdentityFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	return nil
}

// ErrNotEnrolled is returned by LoadIdentity when enroll never ran.
var ErrNotEnrolled = errors.New("agent not enrolled (run `egovnet-agent enroll --collector URL --token T`)")

// LoadIdentity reads the identity saved by enroll.
func LoadIdentity(dataDir string) (Identity, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, IdentityFile))
	if errors.Is(err, os.ErrNotExist) {
		return Identity{}, ErrNotEnrolled
	}
	if err != nil {
		return Identity{}, fmt.Errorf("read identity: %w", err)
	}
	var f identityFile
	if err := json.Unmarshal(b, &f); err != nil {
		return Identity{}, fmt.Errorf("parse identity %s: %w", filepath.Join(dataDir, IdentityFile), err)
	}
	if f.AgentID == "" || f.Credential == "" {
		return Identity{}, fmt.Errorf("identity %s: agent_id or credential missing", filepath.Join(dataDir, IdentityFile))
	}
	return Identity{AgentID: f.AgentID, Credential: config.Secret(f.Credential), Collector: f.Collector, CAFile: f.CAFile, Department: f.Department, ReleaseKey: f.ReleaseKey}, nil
}
