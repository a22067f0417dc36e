package release

import (
	"strconv"
	"strings"
)

// CompareVersions orders versions like "1.10.0" > "1.9.2" > "1.9.2-rc1";
// the git-describe forms the Makefile stamps ("v1.2.0-3-gabc") sort after
// their tag.
func CompareVersions(a, b string) int {
	a, b = strings.TrimPrefix(a, "v"), strings.TrimPrefix(b, "v")
	split := func(s string) ([]string, string) {
		core, pre, _ := strings.Cut(s, "-")
		return strings.Split(core, "."), pre
	}
	ac, ap := split(a)
	bc, bp := split(b)
	for i := 0; i < len(ac) || i < len(bc); i++ {
		var x, y string
		if i < len(ac) {
			x = ac[i]
		}
		if i < len(bc) {
			y = bc[i]
		}
		xi, xerr := strconv.Atoi(x)
		yi, yerr := strconv.Atoi(y)
		switch {
		// A numbered version is newer than an unnumbered build ("dev", a
		// bare commit hash): such builds must still take releases.
		case xerr == nil && yerr != nil:
			return 1
		case xerr != nil && yerr == nil:
			return -1
		case xerr == nil && yerr == nil && xi != yi:
			if xi < yi {
				return -1
			}
			return 1
		case (xerr != nil || yerr != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	if ap == bp {
		return 0
	}
	// "1.2.0-3-gabc" (commits after the tag) is newer than "1.2.0", but
	// "1.2.0-rc1" is older: a numeric first pre-release field means
	// commits since the tag.
	after := func(p string) bool {
		f, _, _ := strings.Cut(p, "-")
		_, err := strconv.Atoi(f)
		return err == nil
	}
	switch {
	case ap == "":
		if after(bp) {
			return -1
		}
		return 1
	case bp == "":
		if after(ap) {
			return 1
		}
		return -1
	}
	return strings.Compare(ap, bp)
}
