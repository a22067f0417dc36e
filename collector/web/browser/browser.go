// Package browser starts Debian's headless Chromium for UI tests, with the
// flags that keep it from reaching anything but the page under test: no
// background networking, no component updates, no sync, a throwaway profile.
package browser

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/egovnet/egovnet/internal/testenv"
)

// Path finds the chromium binary or skips/fails the test.
func Path(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("EGOVNET_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	testenv.Missing(t, "chromium not installed (apt-get install chromium)")
	return ""
}

// New returns a browser context closed at test cleanup.
func New(t testing.TB) context.Context {
	t.Helper()
	// Chromium's helper processes may still flush the profile after the
	// browser exits, so the profile is removed best-effort, not by t.TempDir.
	profile, err := os.MkdirTemp("", "egovnet-chromium-")
	if err != nil {
		t.Fatalf("create chromium profile dir: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelB()
		cancelA()
		for i := 0; i < 20; i++ {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return ctx
}
