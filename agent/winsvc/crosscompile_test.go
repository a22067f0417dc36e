package winsvc

import (
	"os"
	"os/exec"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

// TestWindowsBuilds cross-compiles the endpoint agent's Windows parts (the
// service, the CIM/registry reader, self-update, the config poller) and
// the agent binary for the two Windows targets governments still run.
func TestWindowsBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles; skipped in -short")
	}
	pkgs := []string{"./agent/winsvc", "./agent/endpoint", "./agent/update", "./agent/fleet", "./cmd/egovnet-agent"}
	for _, goarch := range []string{"amd64", "386"} {
		t.Run(goarch, func(t *testing.T) {
			cmd := exec.Command("go", append([]string{"build", "-o", os.DevNull}, pkgs...)...)
			cmd.Dir = testenv.RepoRoot()
			cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("GOOS=windows GOARCH=%s go build: %v\n%s", goarch, err, out)
			}
		})
	}
}
