// Package endpoint collects what the endpoint profile reports about the
// machine it runs on, for the software legalization ledger: the operating
// system as the machine describes itself (name, edition, version, arch and,
// on Windows, activation state and the KMS host in use), the hardware
// identity (vendor, model, serial) and the interactive user. It probes
// nothing. Each reader is a pure function over the text the OS gives, so
// the Windows readers are tested on Linux from captured output.
package endpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Facts are the endpoint profile's additions to wire.Host.
type Facts struct {
	OS       *wire.OSInfo
	Hardware *wire.Hardware
	User     string
}

// ParseOSRelease reads /etc/os-release (Kylin, UOS, openEuler, Debian...).
// Edition is VARIANT (e.g. "Desktop", "Server") when the distribution says.
func ParseOSRelease(b []byte, arch string) *wire.OSInfo {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		kv[k] = strings.Trim(v, `"'`)
	}
	if len(kv) == 0 {
		return nil
	}
	name := kv["NAME"]
	if name == "" {
		name = kv["PRETTY_NAME"]
	}
	ver := kv["VERSION_ID"]
	if ver == "" {
		ver = kv["VERSION"]
	}
	ed := kv["VARIANT"]
	if ed == "" {
		ed = kv["VARIANT_ID"]
	}
	return &wire.OSInfo{Name: name, Version: ver, Edition: ed, Arch: arch}
}

// utmp layout (glibc, x86-64 and arm64): 384-byte records; ut_type int16 at
// 0, ut_line[32] at 8, ut_user[32] at 44.
const (
	utmpSize    = 384
	userProcess = 7
)

// ParseUtmp returns the interactive user: the owner of a graphical session
// (line ":0", "tty7", "seat0") first, else of the first login.
func ParseUtmp(b []byte) string {
	var first, graphical string
	for off := 0; off+utmpSize <= len(b); off += utmpSize {
		rec := b[off : off+utmpSize]
		if int16(binary.LittleEndian.Uint16(rec[0:2])) != userProcess {
			continue
		}
		line := cstr(rec[8:40])
		user := cstr(rec[44:76])
		if user == "" {
			continue
		}
		if first == "" {
			first = user
		}
		if graphical == "" && (strings.HasPrefix(line, ":") || line == "tty7" || line == "tty1" || strings.HasPrefix(line, "seat")) {
			graphical = user
		}
	}
	if graphical != "" {
		return graphical
	}
	return first
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

// placeholder DMI and WMI values that mean "not set by the vendor".
var placeholders = []string{"to be filled by o.e.m.", "default string", "system serial number", "not specified", "none", "0", "0123456789", "n/a"}

func clean(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range placeholders {
		if strings.EqualFold(s, p) {
			return ""
		}
	}
	return s
}

// DMI builds the hardware identity from /sys/class/dmi/id values.
func DMI(vendor, model, serial string) *wire.Hardware {
	h := &wire.Hardware{Vendor: clean(vendor), Model: clean(model), Serial: clean(serial)}
	if *h == (wire.Hardware{}) {
		return nil
	}
	return h
}

// WindowsFacts is the JSON the agent's PowerShell query prints (see
// windowsQuery): one object with the CIM classes it needs.
type WindowsFacts struct {
	OS struct {
		Caption        string `json:"Caption"`
		Version        string `json:"Version"`
		OSArchitecture string `json:"OSArchitecture"`
	} `json:"os"`
	Registry struct {
		EditionID      string `json:"EditionID"`
		DisplayVersion string `json:"DisplayVersion"`
		ReleaseID      string `json:"ReleaseId"`
	} `json:"registry"`
	System struct {
		Manufacturer string `json:"Manufacturer"`
		Model        string `json:"Model"`
		UserName     string `json:"UserName"`
	} `json:"system"`
	BIOS struct {
		SerialNumber string `json:"SerialNumber"`
	} `json:"bios"`
	// Licensing is SoftwareLicensingProduct for Windows itself (the
	// ApplicationID of Windows, with a product key installed); PowerShell
	// gives an object for one row and an array for several.
	Licensing json.RawMessage `json:"licensing"`
}

type licensingRow struct {
	Name                         string `json:"Name"`
	LicenseStatus                *int   `json:"LicenseStatus"`
	KeyManagementServiceMachine  string `json:"KeyManagementServiceMachine"`
	DiscoveredKeyManagementSvc   string `json:"DiscoveredKeyManagementServiceMachineName"`
	ProductKeyChannel            string `json:"ProductKeyChannel"`
	PartialProductKey            string `json:"PartialProductKey"`
	KeyManagementServicePortUsed *int   `json:"KeyManagementServicePort"`
}

// ParseWindows turns the query's JSON into facts. LicenseStatus 1 is
// "Licensed"; any other status of the Windows product is not activated.
func ParseWindows(b []byte) (Facts, error) {
	var w WindowsFacts
	if err := json.Unmarshal(b, &w); err != nil {
		return Facts{}, err
	}
	var f Facts
	ver := w.Registry.DisplayVersion
	if ver == "" {
		ver = w.Registry.ReleaseID
	}
	if ver == "" {
		ver = w.OS.Version
	} else if w.OS.Version != "" {
		ver += " (" + w.OS.Version + ")"
	}
	if w.OS.Caption != "" {
		f.OS = &wire.OSInfo{Name: strings.TrimSpace(w.OS.Caption), Version: ver, Edition: w.Registry.EditionID, Arch: archFromWMI(w.OS.OSArchitecture)}
	}
	var rows []licensingRow
	if len(w.Licensing) > 0 && string(w.Licensing) != "null" {
		if w.Licensing[0] == '[' {
			_ = json.Unmarshal(w.Licensing, &rows)
		} else {
			var r licensingRow
			if json.Unmarshal(w.Licensing, &r) == nil {
				rows = []licensingRow{r}
			}
		}
	}
	if f.OS != nil && len(rows) > 0 {
		activated := false
		for _, r := range rows {
			if r.LicenseStatus != nil && *r.LicenseStatus == 1 {
				activated = true
			}
			if kms := firstNonEmpty(r.KeyManagementServiceMachine, r.DiscoveredKeyManagementSvc); kms != "" && f.OS.KMSHost == "" {
				f.OS.KMSHost = kms
			}
		}
		f.OS.Activated = &activated
	}
	f.Hardware = DMI(w.System.Manufacturer, w.System.Model, w.BIOS.SerialNumber)
	f.User = w.System.UserName
	return f, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func archFromWMI(s string) string {
	switch {
	case strings.Contains(s, "ARM"):
		return "arm64"
	case strings.Contains(s, "64"):
		return "amd64"
	case strings.Contains(s, "32"):
		return "386"
	}
	return s
}
