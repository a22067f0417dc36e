package hostinfo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// Software lists installed packages from every database present on the
// host, or only from src.SoftwareFile when it is set.
func Software(ctx context.Context, src Sources) ([]wire.Software, []error) {
	src = src.withDefaults()
	if src.SoftwareFile != "" {
		f, err := os.Open(src.SoftwareFile)
		if err != nil {
			return nil, []error{fmt.Errorf("software file: %w", err)}
		}
		defer f.Close()
		sw, err := ParseSoftwareList(f)
		if err != nil {
			return sw, []error{fmt.Errorf("software file %s: %w", src.SoftwareFile, err)}
		}
		return sw, nil
	}
	var out []wire.Software
	var errs []error
	if f, err := os.Open(src.DpkgStatus); err == nil {
		sw, err := ParseDpkgStatus(f)
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("dpkg: %w", err))
		}
		out = append(out, sw...)
	} else if !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("dpkg: %w", err))
	}
	rpm := src.RPM
	if rpm == "" {
		rpm, _ = exec.LookPath("rpm")
	}
	if rpm != "" {
		sw, err := RPMList(ctx, rpm)
		if err != nil {
			errs = append(errs, fmt.Errorf("rpm: %w", err))
		}
		out = append(out, sw...)
	}
	sw, err := registrySoftware()
	if err != nil {
		errs = append(errs, fmt.Errorf("registry: %w", err))
	}
	out = append(out, sw...)
	return out, errs
}

// ParseDpkgStatus reads /var/lib/dpkg/status and returns the packages whose
// status is "install ok installed" (removed-but-configured ones are gone
// as far as licensing is concerned).
func ParseDpkgStatus(r io.Reader) ([]wire.Software, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var out []wire.Software
	fields := map[string]string{}
	flush := func() {
		if fields["Package"] != "" && strings.HasSuffix(fields["Status"], " installed") &&
			strings.HasPrefix(fields["Status"], "install ") {
			sw := wire.Software{Name: fields["Package"], Version: fields["Version"], Source: "dpkg"}
			sw.Vendor = fields["Origin"]
			if sw.Vendor == "" {
				sw.Vendor = maintainerName(fields["Maintainer"])
			}
			out = append(out, sw)
		}
		clear(fields)
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a multi-line field
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields[k] = strings.TrimSpace(v)
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read dpkg status: %w", err)
	}
	return out, nil
}

// maintainerName keeps the name part of "Name <mail>".
func maintainerName(m string) string {
	if i := strings.Index(m, "<"); i >= 0 {
		m = m[:i]
	}
	return strings.TrimSpace(m)
}

// RPMList asks rpm for installed packages.
func RPMList(ctx context.Context, rpm string) ([]wire.Software, error) {
	cmd := exec.CommandContext(ctx, rpm, "-qa", "--qf", `%{NAME}\t%{VERSION}-%{RELEASE}\t%{VENDOR}\n`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run rpm -qa: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return ParseRPMList(out), nil
}

// ParseRPMList parses name<TAB>version-release<TAB>vendor lines.
func ParseRPMList(b []byte) []wire.Software {
	var out []wire.Software
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 2 || f[0] == "" || strings.HasPrefix(f[0], "gpg-pubkey") {
			continue
		}
		sw := wire.Software{Name: f[0], Version: f[1], Source: "rpm"}
		if len(f) > 2 && f[2] != "(none)" {
			sw.Vendor = f[2]
		}
		out = append(out, sw)
	}
	return out
}

// ParseSoftwareList reads name<TAB>version<TAB>vendor lines (version and
// vendor optional; blank lines and lines starting with # skipped), the
// format `catalog match` reads too. Entries carry source "import".
func ParseSoftwareList(r io.Reader) ([]wire.Software, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	out := []wire.Software{}
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		f := strings.Split(line, "\t")
		sw := wire.Software{Name: strings.TrimSpace(f[0]), Source: "import"}
		if len(f) > 1 {
			sw.Version = strings.TrimSpace(f[1])
		}
		if len(f) > 2 {
			sw.Vendor = strings.TrimSpace(f[2])
		}
		if sw.Name != "" {
			out = append(out, sw)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read software list: %w", err)
	}
	return out, nil
}
