// Package testenv tells integration tests where the shared test data and real
// peers are, and turns "peer missing" into a skip or, under
// EGOVNET_REQUIRE_INTEGRATION=1, a failure: CI must never pass by skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireIntegration reports whether missing peers must fail tests.
func RequireIntegration() bool { return os.Getenv("EGOVNET_REQUIRE_INTEGRATION") == "1" }

// Missing skips t, or fails it when integration is required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireIntegration() {
		t.Fatalf("required for integration (EGOVNET_REQUIRE_INTEGRATION=1): "+format, args...)
	}
	t.Skipf(format, args...)
}

// RepoRoot is the module root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// TestdataDir returns EGOVNET_TESTDATA or ../shared/testdata beside the repo.
func TestdataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("EGOVNET_TESTDATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared", "testdata")
	}
	if _, err := os.Stat(dir); err != nil {
		Missing(t, "shared test data not found at %s (set EGOVNET_TESTDATA): %v", dir, err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// SeedsDir returns the regulations folder beside the test data.
func SeedsDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(TestdataDir(t)), "seeds")
	if _, err := os.Stat(dir); err != nil {
		Missing(t, "seeds not found at %s: %v", dir, err)
	}
	return dir
}

// Binary returns the path of an external tool or skips/fails.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not installed: %v", name, err)
	}
	return p
}

// Root skips/fails unless running as root (namespaces, raw sockets).
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root (network namespaces, raw sockets)")
	}
}

// BuildBinaries builds the named commands (e.g. "egovnet-agent") once into
// a temporary directory and returns that directory. Tests drive the real
// binaries, exactly as users and the acceptance checks do.
func BuildBinaries(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, n), "./cmd/"+n)
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", n, err, out)
		}
	}
	return dir
}
