package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Down stops every process a run started and removes its namespaces,
// management link, run folder and state file. It only ever touches what the
// state names, and it is safe to call again: what is gone already is skipped.
func Down(ctx context.Context, stateDir string, st *State, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	var errs []error
	// 1. The daemons we started, by PID, only if the PID is still theirs.
	var victims []Process
	for _, p := range st.Processes {
		if alive(p) {
			victims = append(victims, p)
		}
	}
	stop(victims)
	// 2. Anything else still running inside our namespaces (agents started
	// with exec, children of our daemons): the namespace is ours, so is it.
	var present []string
	for _, ns := range st.Namespaces {
		if !strings.HasPrefix(ns, NamespacePrefix+st.Run+"-") {
			errs = append(errs, fmt.Errorf("refusing to touch namespace %q: not of run %s", ns, st.Run))
			continue
		}
		if nsExists(ns) {
			present = append(present, ns)
		}
	}
	var rest []Process
	for _, ns := range present {
		for _, pid := range nsPIDs(ctx, ns) {
			rest = append(rest, Process{PID: pid, Start: procStart(pid)})
		}
	}
	stop(rest)
	// 3. Namespaces (their veths and bridges go with them).
	if len(present) > 0 {
		lines := make([]string, 0, len(present))
		for _, ns := range present {
			lines = append(lines, "netns del "+ns)
		}
		if err := ipBatch(ctx, "", lines); err != nil {
			// One failure must not keep the others: retry one by one.
			for _, ns := range present {
				if nsExists(ns) {
					if _, err := run(ctx, "ip", "netns", "del", ns); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
	}
	// 3b. Per-namespace resolver files (/etc/netns/<ns>/resolv.conf) of nodes with dns:.
	for _, ns := range st.Namespaces {
		if strings.HasPrefix(ns, NamespacePrefix+st.Run+"-") {
			if err := os.RemoveAll(filepath.Join(EtcNetns, ns)); err != nil {
				errs = append(errs, fmt.Errorf("remove resolver of %s: %w", ns, err))
			}
		}
	}
	// 4. The root side of the management link (normally gone with its peer).
	for _, l := range st.RootLinks {
		if l != MgmtRootIf(st.Run) {
			errs = append(errs, fmt.Errorf("refusing to delete root link %q: not of run %s", l, st.Run))
			continue
		}
		// Deleting the peer's namespace destroys the pair asynchronously:
		// delete it ourselves if it is still there, and wait until it is gone.
		if _, err := os.Stat("/sys/class/net/" + l); err == nil {
			if _, err := run(ctx, "ip", "link", "del", l); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
				errs = append(errs, err)
			}
		}
		for i := 0; i < 100; i++ {
			if _, err := os.Stat("/sys/class/net/" + l); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := os.Stat("/sys/class/net/" + l); err == nil {
			errs = append(errs, fmt.Errorf("management link %s still present", l))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// 5. Bookkeeping last: if anything above failed, the state stays for a retry.
	if st.Dir != "" && strings.HasPrefix(st.Dir, stateDir+"/") {
		if err := os.RemoveAll(st.Dir); err != nil {
			return fmt.Errorf("remove run dir: %w", err)
		}
	}
	if err := os.Remove(statePath(stateDir, st.Run)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	log.Info("lab down", "run", st.Run, "namespaces", len(present))
	return nil
}

// DownRun removes one run by id; a run that does not exist is not an error.
func DownRun(ctx context.Context, stateDir, run string, log *slog.Logger) error {
	st, err := LoadState(stateDir, run)
	if errors.Is(err, ErrNoRun) {
		return nil
	}
	if err != nil {
		return err
	}
	return Down(ctx, stateDir, st, log)
}

// nsPIDs lists the processes inside a namespace.
func nsPIDs(ctx context.Context, ns string) []int {
	out, err := run(ctx, "ip", "netns", "pids", ns)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// stop sends SIGTERM, waits up to 3 s, then SIGKILLs what is left.
func stop(procs []Process) {
	if len(procs) == 0 {
		return
	}
	for _, p := range procs {
		_ = syscall.Kill(p.PID, syscall.SIGTERM)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		left := 0
		for _, p := range procs {
			if alive(p) {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range procs {
		if alive(p) {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
	}
	// Give the kernel a moment to tear the killed processes down.
	for i := 0; i < 40; i++ {
		left := 0
		for _, p := range procs {
			if alive(p) {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Command returns a command that runs argv inside a node's namespace.
func (st *State) Command(ctx context.Context, node string, argv ...string) (*exec.Cmd, error) {
	n, ok := st.Node(node)
	if !ok {
		var names []string
		for _, n := range st.Nodes {
			names = append(names, n.Name)
		}
		return nil, fmt.Errorf("run %s has no node %q (nodes: %s)", st.Run, node, strings.Join(names, ", "))
	}
	if len(argv) == 0 {
		return nil, errors.New("no command given")
	}
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Namespace}, argv...)...), nil
}

// Exec runs argv inside a node and returns its combined output.
func (st *State) Exec(ctx context.Context, node string, argv ...string) (string, error) {
	cmd, err := st.Command(ctx, node, argv...)
	if err != nil {
		return "", err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("exec on %s: %s: %w", node, strings.Join(argv, " "), err)
	}
	return string(out), nil
}
