package demotest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/testenv"
)

// TestDemoFromBareClone is the newcomer's first ten minutes (issue #12):
// `git clone` of the repository alone into an empty folder (no ../shared
// beside it, no EGOVNET_TESTDATA), build, and the demo in smoke mode. As
// root that is the lab demo with the lab's own generated recordings; as
// anyone else the loopback demo. Go may not download anything: the module
// cache is the machine's, GOPROXY=off.
//
// It clones HEAD: files not committed yet are not in a clone, exactly as
// for a newcomer.
func TestDemoFromBareClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a clone and runs the demo")
	}
	git := testenv.Binary(t, "git")
	testenv.Binary(t, "make")
	root := testenv.RepoRoot()
	// A private folder (0700), like a clone under /root: the lab's daemons
	// that drop privileges to nobody must not need to reach into it.
	base, err := os.MkdirTemp("", "egovnet-clone-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if os.Geteuid() != 0 {
		// The loopback demo runs as this user; nothing drops privileges.
		_ = os.Chmod(base, 0o755)
	}
	clone := filepath.Join(base, "egovnet")
	if out, err := exec.Command(git, "clone", "-q", "--no-hardlinks", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(base, "shared")); err == nil {
		t.Fatal("the clone has a ../shared beside it")
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "EGOVNET_TESTDATA", "GOFLAGS", "GOPROXY", "BIN", "SCENARIO":
			continue // the newcomer has none of these
		}
		env = append(env, kv)
	}
	env = append(env, "GOFLAGS=-mod=mod", "GOPROXY=off", "TMPDIR="+base, "DEMO_WAIT=180")

	build := exec.Command("make", "build")
	build.Dir, build.Env = clone, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build in the clone (offline): %v\n%s", err, out)
	}
	for _, f := range []string{"deploy/lab/recordings/h3c-s5130-sfj.snmprec", "deploy/lab/recordings/devices.yaml"} {
		if _, err := os.Stat(filepath.Join(clone, f)); err != nil {
			t.Fatalf("the clone lacks %s: %v", f, err)
		}
	}

	out, err := runSmokeIn(t, clone, env)
	if err != nil {
		t.Fatalf("demo.sh --smoke in a bare clone: %v", err)
	}
	if strings.Contains(out, "no SNMP recordings folder") || strings.Contains(out, "EGOVNET_TESTDATA") {
		t.Error("the demo asked for the shared test data")
	}
	want := []*regexp.Regexp{reLogin, regexp.MustCompile(`== smoke check passed`)}
	if os.Geteuid() == 0 {
		want = append(want, reLabURL, reFindings)
		if m := reRun.FindStringSubmatch(out); m != nil {
			checkRunGone(t, filepath.Join(clone, "bin"), m[1], base)
		} else {
			t.Error("no lab run id in the output")
		}
	} else {
		want = append(want, reLoopURL)
	}
	for _, re := range want {
		if !re.MatchString(out) {
			t.Errorf("output lacks %s", re)
		}
	}
}

// runSmokeIn runs deploy/demo/demo.sh --smoke of the clone, in the clone.
func runSmokeIn(t *testing.T, clone string, env []string) (string, error) {
	t.Helper()
	return runSmokeEnv(t, filepath.Join(clone, "deploy", "demo", "demo.sh"), clone, env)
}
