package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// run executes a command and returns its trimmed output, or an error that
// carries the output so that a failing ip command explains itself.
func run(ctx context.Context, name string, args ...string) (string, error) {
	return runIn(ctx, nil, name, args...)
}

func runIn(ctx context.Context, stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// ipBatch runs iproute2 commands in one process, inside ns ("" = root).
func ipBatch(ctx context.Context, ns string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	args := []string{}
	if ns != "" {
		args = append(args, "-n", ns)
	}
	args = append(args, "-batch", "-")
	if _, err := runIn(ctx, []byte(strings.Join(lines, "\n")+"\n"), "ip", args...); err != nil {
		return fmt.Errorf("configure %s: %w", nsLabel(ns), err)
	}
	return nil
}

func nsLabel(ns string) string {
	if ns == "" {
		return "root namespace"
	}
	return ns
}

// nsExists reports whether a named namespace exists.
func nsExists(ns string) bool {
	_, err := os.Stat("/run/netns/" + ns)
	return err == nil
}

// parallel runs f for every index with at most n at once and returns the
// first error (all calls still finish).
func parallel(n, count int, f func(i int) error) error {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := 0; i < count; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return first
}

// quote makes an ip -batch argument of s (validated to hold no quotes).
func quote(s string) string { return `"` + s + `"` }
