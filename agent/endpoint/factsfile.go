package endpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// FactsFile is the JSON the agent's host.facts_file holds: a host identity
// read INSTEAD of the machine's own (os-release, DMI, utmp, WMI). It is
// for tests that run many endpoint agents on one machine and for imports
// from isolated networks where the facts were gathered elsewhere; a
// production PC leaves host.facts_file empty.
//
//	{"hostname": "pc-017", "user": "zhangsan",
//	 "os_info": {"name": "Kylin", "version": "V10", "edition": "Desktop", "arch": "arm64", "activated": null},
//	 "hardware": {"vendor": "Lenovo", "model": "M720", "serial": "SN017"}}
type FactsFile struct {
	Hostname string         `json:"hostname"`
	User     string         `json:"user"`
	OSInfo   *wire.OSInfo   `json:"os_info"`
	Hardware *wire.Hardware `json:"hardware"`
}

// ReadFactsFile reads and checks a facts file; unknown keys are refused
// so a misspelt field is not silently an empty fact.
func ReadFactsFile(path string) (FactsFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return FactsFile{}, fmt.Errorf("read facts file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f FactsFile
	if err := dec.Decode(&f); err != nil {
		return FactsFile{}, fmt.Errorf("decode facts file %s: %w", path, err)
	}
	f.Hostname, f.User = strings.TrimSpace(f.Hostname), strings.TrimSpace(f.User)
	return f, nil
}

// Apply puts the file's identity on a report's host: hostname (when the
// file names one), user, OS and hardware replace what the machine said,
// and the OS string follows os_info, so the ledger's OS install is the
// file's OS, not the test machine's.
func (f FactsFile) Apply(h *wire.Host) {
	if f.Hostname != "" {
		h.Hostname = f.Hostname
	}
	h.User, h.OSInfo, h.Hardware = f.User, f.OSInfo, f.Hardware
	if f.OSInfo != nil && f.OSInfo.Name != "" {
		h.OS = strings.TrimSpace(f.OSInfo.Name + " " + f.OSInfo.Version)
	}
}
