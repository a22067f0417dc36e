package catalog

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// The operating system is one install per host. A Linux host lists hundreds
// of distribution packages; none of them is "an OS install" except the
// distribution's release marker (base-files on dpkg systems, <distro>-release
// on rpm systems), /etc/os-release, or the SNMP sysDescr. These functions
// derive that single OS.

// baseFiles reads the distribution out of dpkg's base-files version
// ("12.4+deb12u7" Debian, "10.1ubuntu2.9" Ubuntu, "...kylin..." Kylin).
func (c *Catalog) baseFiles(p pkg) (*Product, bool) {
	if strings.ToLower(p.Name) != "base-files" {
		return nil, false
	}
	v := strings.ToLower(p.Version)
	key := "debian"
	switch {
	case strings.Contains(v, "kylin"):
		key = "kylin-os"
	case strings.Contains(v, "uos") || strings.Contains(v, "uniontech"):
		key = "uos"
	case strings.Contains(v, "deepin"):
		key = "deepin"
	case strings.Contains(v, "ubuntu"):
		key = "ubuntu"
	case strings.Contains(v, "rpi") || strings.Contains(v, "raspbian"):
		key = "raspios"
	}
	prod, ok := c.byKey[key]
	return prod, ok
}

var (
	winDescrRE = regexp.MustCompile(`Software: Windows(?: 2000)? Version (\d+)\.(\d+) \(Build (\d+)`)
	kernelTags = []struct {
		re  *regexp.Regexp
		key string
	}{
		{regexp.MustCompile(`\.ky\d+\b|kylin`), "kylin-os"},
		{regexp.MustCompile(`\.nd?s\d+(_\d+)?\b|neokylin`), "neokylin"},
		{regexp.MustCompile(`\.uel\d+\b|\buos\b|uniontech`), "uos"},
		{regexp.MustCompile(`\.oe\d+\b|\.oe\d{4}|openeuler`), "openeuler"},
		{regexp.MustCompile(`\.an\d+\b|anolis`), "anolis"},
		{regexp.MustCompile(`\.ocs\d+\b|opencloudos`), "opencloudos"},
		{regexp.MustCompile(`(?i)ubuntu`), "ubuntu"},
		{regexp.MustCompile(`(?i)deepin`), "deepin"},
		{regexp.MustCompile(`(?i)debian`), "debian"},
	}
)

// OSFromSysDescr identifies the operating system of a host from its SNMP
// sysDescr. Windows reports only its kernel version, so the product is
// "Microsoft Windows" (refined to Windows Server by OSForDevice when the
// software list names it); Linux kernel release tags name the domestic
// distributions (.ky10 Kylin, .ns7 NeoKylin, .uel20 UOS, .oe1 openEuler,
// .an8 Anolis). Network operating systems are not software-legalization
// OS installs and are not reported.
func (c *Catalog) OSFromSysDescr(descr string) (Result, bool) {
	descr = strings.TrimSpace(descr)
	if descr == "" {
		return Result{}, false
	}
	if m := winDescrRE.FindStringSubmatch(descr); m != nil {
		p, ok := c.byKey["windows"]
		if !ok {
			return Result{}, false
		}
		res := c.fill(Result{Name: descr}, p, KindInstall, "", false)
		res.Version = m[1] + "." + m[2] + "." + m[3]
		res.Edition = windowsRelease(m[1]+"."+m[2], m[3], false)
		return res, true
	}
	low := strings.ToLower(descr)
	if strings.HasPrefix(low, "linux ") || strings.Contains(low, "gnu/linux") {
		for _, t := range kernelTags {
			if t.re.MatchString(low) {
				if p, ok := c.byKey[t.key]; ok {
					res := c.fill(Result{Name: descr}, p, KindInstall, "", false)
					res.Version, res.Edition, res.HomeEdition = "", "", false
					return res, true
				}
			}
		}
		return Result{}, false
	}
	return c.OSFromName(descr)
}

// OSFromName identifies an operating system from its product name (an
// os-release PRETTY_NAME, a Windows caption, a CSV row).
func (c *Catalog) OSFromName(name string) (Result, bool) {
	r := c.MatchName(name)
	if r.Category != CategoryOS || !r.Known() || r.Kind == KindLibrary {
		return Result{}, false
	}
	r.Kind = KindInstall
	return r, true
}

// ParseOSRelease reads /etc/os-release (KEY="value" lines).
func ParseOSRelease(r io.Reader) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[k] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out
}

// OSFromRelease identifies the OS from os-release fields: PRETTY_NAME, then
// NAME, then ID.
func (c *Catalog) OSFromRelease(f map[string]string) (Result, bool) {
	for _, k := range []string{"PRETTY_NAME", "NAME", "ID"} {
		if v := f[k]; v != "" {
			if r, ok := c.OSFromName(v); ok {
				if f["VERSION_ID"] != "" {
					r.Version = f["VERSION_ID"]
				}
				return r, true
			}
		}
	}
	return Result{}, false
}

// OSForDevice picks the one OS of a device from its sysDescr and its
// software rows: a release marker among the rows wins (it names the exact
// distribution), then the sysDescr; a Windows sysDescr becomes Windows
// Server when the rows name Windows Server.
func (c *Catalog) OSForDevice(descr string, rows []Result) (Result, bool) {
	for _, r := range rows {
		if r.Category == CategoryOS && r.Kind == KindInstall {
			return r, true
		}
	}
	res, ok := c.OSFromSysDescr(descr)
	if !ok {
		return Result{}, false
	}
	if res.ProductKey == "windows" {
		for _, r := range rows {
			if r.ProductKey == "windows-server" {
				if p, ok := c.byKey["windows-server"]; ok {
					v := res.Version
					res = c.fill(Result{Name: res.Name}, p, KindInstall, "", false)
					res.Version = v
					if f := strings.Split(v, "."); len(f) == 3 {
						res.Edition = windowsRelease(f[0]+"."+f[1], f[2], true)
					}
				}
				break
			}
		}
	}
	return res, true
}

// windowsRelease names the Windows release of a kernel version and build
// ("5.1" -> XP); sysDescr carries only the numbers.
func windowsRelease(version, build string, server bool) string {
	b, _ := strconv.Atoi(build)
	pick := func(client, srv string) string {
		if server {
			return srv
		}
		if client == "" {
			return srv
		}
		return client
	}
	switch {
	case version == "5.0":
		return "Windows 2000"
	case version == "5.1":
		return "Windows XP"
	case version == "5.2":
		return pick("", "Windows Server 2003")
	case version == "6.0":
		return pick("Windows Vista", "Windows Server 2008")
	case version == "6.1":
		return pick("Windows 7", "Windows Server 2008 R2")
	case version == "6.2":
		return pick("Windows 8", "Windows Server 2012")
	case b >= 22000:
		if server {
			if b >= 26100 {
				return "Windows Server 2025"
			}
			return "Windows Server 2022"
		}
		return "Windows 11"
	case b == 20348:
		return "Windows Server 2022"
	case b >= 10240:
		if server {
			if b >= 17763 {
				return "Windows Server 2019"
			}
			return "Windows Server 2016"
		}
		return "Windows 10"
	case version == "6.3":
		return pick("Windows 8.1", "Windows Server 2012 R2")
	}
	return ""
}
