//go:build windows

package hostinfo

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"

	"github.com/egovnet/egovnet/internal/wire"
)

// uninstallKeys are where Windows lists installed programs: 64-bit, 32-bit
// on 64-bit (WOW6432Node), and per-user installs of the account running the agent.
var uninstallKeys = []struct {
	root registry.Key
	path string
}{
	{registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`},
	{registry.LOCAL_MACHINE, `SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`},
	{registry.CURRENT_USER, `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`},
}

// registrySoftware reads DisplayName, DisplayVersion and Publisher of every
// uninstall entry, skipping system components and updates (no DisplayName,
// SystemComponent=1, or a ParentKeyName).
func registrySoftware() ([]wire.Software, error) {
	seen := map[string]bool{}
	var out []wire.Software
	var errs []error
	for _, uk := range uninstallKeys {
		k, err := registry.OpenKey(uk.root, uk.path, registry.ENUMERATE_SUB_KEYS|registry.QUERY_VALUE)
		if err != nil {
			if !errors.Is(err, registry.ErrNotExist) {
				errs = append(errs, fmt.Errorf("open %s: %w", uk.path, err))
			}
			continue
		}
		names, err := k.ReadSubKeyNames(-1)
		if err != nil {
			errs = append(errs, fmt.Errorf("list %s: %w", uk.path, err))
		}
		for _, n := range names {
			sk, err := registry.OpenKey(k, n, registry.QUERY_VALUE)
			if err != nil {
				continue
			}
			name, _, _ := sk.GetStringValue("DisplayName")
			version, _, _ := sk.GetStringValue("DisplayVersion")
			publisher, _, _ := sk.GetStringValue("Publisher")
			sys, _, _ := sk.GetIntegerValue("SystemComponent")
			parent, _, _ := sk.GetStringValue("ParentKeyName")
			sk.Close()
			if name == "" || sys == 1 || parent != "" {
				continue
			}
			key := name + "\x00" + version
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, wire.Software{Name: name, Version: version, Vendor: publisher, Source: "registry"})
		}
		k.Close()
	}
	return out, errors.Join(errs...)
}
