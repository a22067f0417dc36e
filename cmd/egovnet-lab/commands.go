package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/lab"
)

func newUpCmd(g *globals) *cobra.Command {
	var runID, snmpData string
	c := &cobra.Command{
		Use:   "up SCENARIO.yaml",
		Short: "Build a scenario; prints the run id on stdout",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := lab.Load(args[0])
			if err != nil {
				return cliexit.Usage(err)
			}
			if runID != "" && !lab.ValidRun(runID) {
				return cliexit.Usagef("--run %q: want 4 characters a-z0-9", runID)
			}
			if os.Geteuid() != 0 {
				return lab.ErrNotRoot
			}
			if snmpData == "" {
				snmpData = lab.FindSNMPData(sc.Path)
			}
			st, err := lab.Up(cmd.Context(), sc, lab.Options{StateDir: g.stateDir, Run: runID, SNMPData: snmpData, Log: g.log})
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "lab %s up: run %s, %d namespaces, %d processes, in %s (state %s/%s.json)\n",
				st.Name, st.Run, len(st.Namespaces), len(st.Processes), st.Timings["total"], g.stateDir, st.Run)
			if m := st.Management; m != nil {
				fmt.Fprintf(os.Stderr, "management link: root %s <-> %s %s (%s)\n", m.RootAddr, m.Node, m.NodeAddr, m.Subnet)
			}
			fmt.Println(st.Run)
			return nil
		},
	}
	c.Flags().StringVar(&runID, "run", "", "run id to use (4 of a-z0-9; random when empty)")
	c.Flags().StringVar(&snmpData, "snmp-data", "", "SNMP recordings folder (default $EGOVNET_TESTDATA/snmp or ../shared/testdata/snmp)")
	return c
}

func newDownCmd(g *globals) *cobra.Command {
	var runID string
	c := &cobra.Command{
		Use:   "down [SCENARIO.yaml]",
		Short: "Remove runs: one (--run), those of a scenario, or every run this tool recorded",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Geteuid() != 0 {
				return lab.ErrNotRoot
			}
			var targets []*lab.State
			if runID != "" {
				st, err := lab.LoadState(g.stateDir, runID)
				if errors.Is(err, lab.ErrNoRun) {
					fmt.Fprintf(os.Stderr, "run %s: nothing to remove\n", runID)
					return nil
				}
				if err != nil {
					return err
				}
				targets = append(targets, st)
			} else {
				scenario := ""
				if len(args) == 1 {
					scenario = args[0]
				}
				var err error
				if targets, err = lab.RunsOf(g.stateDir, scenario); err != nil {
					return err
				}
			}
			var errs []error
			for _, st := range targets {
				if err := lab.Down(cmd.Context(), g.stateDir, st, g.log); err != nil {
					errs = append(errs, fmt.Errorf("run %s: %w", st.Run, err))
					continue
				}
				fmt.Fprintf(os.Stderr, "run %s (%s) removed\n", st.Run, st.Name)
			}
			if len(targets) == 0 {
				fmt.Fprintln(os.Stderr, "no lab runs to remove")
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().StringVar(&runID, "run", "", "remove only this run")
	return c
}

// pickRun is lab.PickRun with an unnamed choice among several runs as bad
// usage.
func pickRun(g *globals, runID string) (*lab.State, error) {
	st, err := lab.PickRun(g.stateDir, runID)
	if errors.Is(err, lab.ErrAmbiguousRun) {
		return nil, cliexit.Usage(err)
	}
	return st, err
}

func newExecCmd(g *globals) *cobra.Command {
	var runID string
	c := &cobra.Command{
		Use:   "exec [--run ID] NODE -- CMD...",
		Short: "Run a command inside a node's namespace (exit status is the command's)",
		Args:  minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Geteuid() != 0 {
				return lab.ErrNotRoot
			}
			node, argv := args[0], args[1:]
			if len(argv) > 0 && argv[0] == "--" {
				argv = argv[1:]
			}
			if len(argv) == 0 {
				return cliexit.Usagef("no command given after NODE --")
			}
			st, err := pickRun(g, runID)
			if err != nil {
				return err
			}
			if _, ok := st.Node(node); !ok {
				return cliexit.Usagef("run %s has no node %q", st.Run, node)
			}
			x, err := st.Command(cmd.Context(), node, argv...)
			if err != nil {
				return err
			}
			x.Stdin, x.Stdout, x.Stderr = os.Stdin, os.Stdout, os.Stderr
			err = x.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return exitError{ee.ExitCode()}
			}
			return err
		},
	}
	c.Flags().StringVar(&runID, "run", "", "run id (default $EGOVNET_LAB_RUN, or the only run)")
	c.Flags().SetInterspersed(false)
	return c
}

func newStatusCmd(g *globals) *cobra.Command {
	var runID, format string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show what is up",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var states []*lab.State
			if runID != "" {
				st, err := lab.LoadState(g.stateDir, runID)
				if err != nil {
					return err
				}
				states = append(states, st)
			} else {
				all, err := lab.ListStates(g.stateDir)
				if err != nil {
					return err
				}
				states = all
			}
			switch format {
			case "json":
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if states == nil {
					states = []*lab.State{}
				}
				return enc.Encode(states)
			case "table":
				printStatus(states)
				return nil
			}
			return cliexit.Usagef("--format %q: want table or json", format)
		},
	}
	c.Flags().StringVar(&runID, "run", "", "only this run")
	c.Flags().StringVar(&format, "format", "table", "table or json")
	return c
}

func printStatus(states []*lab.State) {
	if len(states) == 0 {
		fmt.Println("no lab runs")
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	for _, st := range states {
		up, alive := lab.Health(st)
		fmt.Fprintf(w, "run %s\t%s\t%s\tcreated %s\tnamespaces %d/%d\tprocesses %d/%d\n", st.Run, st.Name, st.Scenario,
			st.Created.Format("2006-01-02T15:04:05Z"), up, len(st.Namespaces), alive, len(st.Processes))
		if m := st.Management; m != nil {
			fmt.Fprintf(w, "  management\troot %s\tnode %s %s\tsubnet %s\trelays %d\n", m.RootAddr, m.Node, m.NodeAddr, m.Subnet, len(m.Relays))
		}
		for _, n := range st.Nodes {
			dept := n.Department
			if dept == "" {
				dept = "-"
			}
			fmt.Fprintf(w, "  node %s\t%s\t%s\t%s\t%s\n", n.Name, n.Kind, dept, n.Namespace, strings.Join(n.Addrs, ","))
		}
	}
	w.Flush()
}

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate SCENARIO.yaml...",
		Short: "Check scenario files without building anything (exit 2 names every problem)",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			for _, a := range args {
				if _, err := lab.Load(a); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(os.Stderr, "%s: ok\n", a)
			}
			if len(errs) > 0 {
				return cliexit.Usage(errors.Join(errs...))
			}
			return nil
		},
	}
}

func newAgentConfigCmd(g *globals) *cobra.Command {
	var runID, collector, dataDir, interval string
	c := &cobra.Command{
		Use:   "agent-config [--run ID] NODE --collector URL",
		Short: "Print an egovnet-agent config for an agent node (scope and targets from the run's plan)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if collector == "" {
				return cliexit.Usagef("--collector is required")
			}
			st, err := pickRun(g, runID)
			if err != nil {
				return err
			}
			if st.Plan == "" {
				return fmt.Errorf("scenario %s has no plan file", st.Scenario)
			}
			p, err := lab.LoadPlan(st.Plan)
			if err != nil {
				return err
			}
			cfg, err := lab.BuildAgentConfig(st, p, args[0], collector, dataDir, interval)
			if err != nil {
				return cliexit.Usage(err)
			}
			out, err := yaml.Marshal(cfg)
			if err != nil {
				return err
			}
			fmt.Printf("# egovnet-agent config for lab node %s (run %s)\n%s", args[0], st.Run, out)
			return nil
		},
	}
	c.Flags().StringVar(&runID, "run", "", "run id (default $EGOVNET_LAB_RUN, or the only run)")
	c.Flags().StringVar(&collector, "collector", "", "collector URL as seen from inside the lab")
	c.Flags().StringVar(&dataDir, "data-dir", "./agent-data", "agent data dir")
	c.Flags().StringVar(&interval, "interval", "5m", "scan interval")
	return c
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return cliexit.Usagef("want %d argument(s), got %d", n, len(args))
		}
		return nil
	}
}

func maxArgs(n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > n {
			return cliexit.Usagef("want at most %d argument(s), got %d", n, len(args))
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < n {
			return cliexit.Usagef("want at least %d argument(s), got %d", n, len(args))
		}
		return nil
	}
}

func newSoftwareCmd(g *globals) *cobra.Command {
	var runID string
	c := &cobra.Command{
		Use:   "software [--run ID] NODE",
		Short: "Print the software the scenario gives a node (name<TAB>version<TAB>vendor lines, the agent's host.software_file)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := pickRun(g, runID)
			if err != nil {
				return err
			}
			n, ok := st.Node(args[0])
			if !ok {
				return cliexit.Usagef("run %s has no node %q", st.Run, args[0])
			}
			fmt.Print(lab.SoftwareLines(n.Software))
			return nil
		},
	}
	c.Flags().StringVar(&runID, "run", "", "run id (default $EGOVNET_LAB_RUN, or the only run)")
	return c
}
