package packagetest

import (
	"debug/elf"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestDistAndPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles eight binaries; skipped in -short")
	}
	for _, tool := range []string{"fakeroot", "dpkg-deb", "rpmbuild", "rpm"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s not installed (apt-get install fakeroot rpm)", tool)
		}
	}
	dir := t.TempDir()
	const ver = "1.2.3"
	env := []string{"DIST_DIR=" + dir}
	run(t, env, "bash", "deploy/package/dist.sh", ver, "-s -w -X github.com/egovnet/egovnet/internal/version.Version="+ver)

	elfWant := map[string]struct {
		machine elf.Machine
		class   elf.Class
	}{
		"agent_1.2.3_linux_amd64":     {elf.EM_X86_64, elf.ELFCLASS64},
		"agent_1.2.3_linux_arm64":     {elf.EM_AARCH64, elf.ELFCLASS64},
		"agent_1.2.3_linux_loong64":   {elf.EM_LOONGARCH, elf.ELFCLASS64},
		"agent_1.2.3_linux_mips64le":  {elf.EM_MIPS, elf.ELFCLASS64},
		"collector_1.2.3_linux_amd64": {elf.EM_X86_64, elf.ELFCLASS64},
		"collector_1.2.3_linux_arm64": {elf.EM_AARCH64, elf.ELFCLASS64},
	}
	for suffix, want := range elfWant {
		f, err := elf.Open(filepath.Join(dir, "egovnet-"+suffix))
		if err != nil {
			t.Fatalf("%s: %v", suffix, err)
		}
		if f.Machine != want.machine || f.Class != want.class || f.Data != elf.ELFDATA2LSB {
			t.Errorf("%s: machine %v class %v data %v", suffix, f.Machine, f.Class, f.Data)
		}
		f.Close()
	}
	for suffix, want := range map[string]uint16{"agent_1.2.3_windows_amd64.exe": pe.IMAGE_FILE_MACHINE_AMD64, "agent_1.2.3_windows_386.exe": pe.IMAGE_FILE_MACHINE_I386} {
		f, err := pe.Open(filepath.Join(dir, "egovnet-"+suffix))
		if err != nil {
			t.Fatalf("%s: %v", suffix, err)
		}
		if f.Machine != want {
			t.Errorf("%s: PE machine %#x, want %#x", suffix, f.Machine, want)
		}
		f.Close()
	}

	// The arm64 build runs (Kylin and UOS desktops are often arm64).
	if qemu, err := exec.LookPath("qemu-aarch64-static"); err != nil {
		testenv.Missing(t, "qemu-aarch64-static not installed (apt-get install qemu-user-static)")
	} else {
		out := run(t, nil, qemu, filepath.Join(dir, "egovnet-agent_1.2.3_linux_arm64"), "version")
		if !strings.Contains(out, ver) {
			t.Errorf("arm64 agent under qemu printed %q, want version %s", out, ver)
		}
	}

	run(t, env, "bash", "deploy/package/package.sh", ver)
	for _, p := range []struct{ name, deb, rpm string }{
		{"agent", "amd64", "x86_64"}, {"agent", "arm64", "aarch64"}, {"agent", "loong64", "loongarch64"}, {"agent", "mips64el", "mips64el"},
		{"collector", "amd64", "x86_64"}, {"collector", "arm64", "aarch64"},
	} {
		base := filepath.Join(dir, "egovnet-"+p.name+"_"+ver+"_"+p.deb)
		if got := strings.TrimSpace(run(t, nil, "dpkg-deb", "-f", base+".deb", "Architecture")); got != p.deb {
			t.Errorf("%s.deb Architecture %q, want %q", base, got, p.deb)
		}
		contents := run(t, nil, "dpkg-deb", "-c", base+".deb")
		for _, want := range []string{"./usr/bin/egovnet-" + p.name, "./lib/systemd/system/egovnet-" + p.name + ".service", "./etc/egovnet/" + p.name + ".yaml"} {
			if !strings.Contains(contents, want) {
				t.Errorf("%s.deb lacks %s", base, want)
			}
		}
		if got := strings.TrimSpace(run(t, nil, "rpm", "-qp", "--qf", "%{ARCH}", base+".rpm")); got != p.rpm {
			t.Errorf("%s.rpm arch %q, want %q", base, got, p.rpm)
		}
	}
}
