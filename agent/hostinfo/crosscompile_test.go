package hostinfo

import (
	"os"
	"os/exec"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

// TestWindowsCrossCompile builds the agent-core packages and the agent
// binary for Windows, so the registry reader (registry_windows.go) and
// everything portable keeps compiling there. The raw-socket probes (icmp,
// arp, path) are Linux-only; cmd wires stand-ins for them elsewhere.
func TestWindowsCrossCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles; skipped in -short")
	}
	pkgs := []string{"./agent/config", "./agent/hostinfo", "./agent/spool", "./agent/uplink", "./agent/discover",
		"./agent/render", "./agent/scheduler", "./agent/classify", "./agent/oui",
		"./agent/probe/tcp", "./agent/probe/vpn", "./agent/probe/httpinfo", "./cmd/egovnet-agent"}
	for _, goarch := range []string{"amd64"} {
		cmd := exec.Command("go", append([]string{"build", "-o", os.DevNull}, pkgs...)...)
		cmd.Dir = testenv.RepoRoot()
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+goarch, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOOS=windows GOARCH=%s go build: %v\n%s", goarch, err, out)
		}
	}
}
