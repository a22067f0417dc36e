package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/agent/probe/snmp"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/wire"
)

// newSnmpWalkCmd is `egovnet-agent snmp-walk`: walk one device (or, with
// several --target values or --targets-file, many with bounded concurrency)
// and print the DeviceInventory.
func newSnmpWalkCmd() *cobra.Command {
	var (
		targets                      []string
		targetsFile                  string
		community                    string
		v3User, v3AuthProto, v3Auth  string
		v3PrivProto, v3Priv, v3Ctx   string
		format, tables               string
		port                         uint16
		timeout                      time.Duration
		retries, concurrency, maxRep int
		wholeTables                  bool
	)
	cmd := &cobra.Command{
		Use:   "snmp-walk --target HOST[:PORT] [--community C | --v3-user U ...] [--format json|table]",
		Short: "Walk one SNMP device and print its inventory (DeviceInventory)",
		Long: "Walks the system group, ifTable/ifXTable, IP addresses, ARP, routes, LLDP/CDP neighbours and\n" +
			"hrSWInstalledTable of a device. Without --community or --v3-user the community \"public\" is used.\n" +
			"Several targets (comma-separated --target, or --targets-file with one per line) are walked\n" +
			"--concurrency at a time and printed as a JSON array; a summary goes to stderr.",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var problems []string
			if targetsFile != "" {
				more, err := readTargets(targetsFile)
				if err != nil {
					problems = append(problems, err.Error())
				}
				targets = append(targets, more...)
			}
			if len(targets) == 0 {
				problems = append(problems, "--target is required")
			}
			if format != "json" && format != "table" {
				problems = append(problems, fmt.Sprintf("--format %q: want json or table", format))
			}
			if community != "" && v3User != "" {
				problems = append(problems, "--community and --v3-user are exclusive")
			}
			if v3User == "" && (v3AuthProto != "" || v3Auth != "" || v3PrivProto != "" || v3Priv != "" || v3Ctx != "") {
				problems = append(problems, "--v3-* options need --v3-user")
			}
			var v3 *snmp.V3User
			if v3User != "" {
				v3 = &snmp.V3User{User: v3User, AuthProto: v3AuthProto, AuthPass: v3Auth, PrivProto: v3PrivProto, PrivPass: v3Priv, Context: v3Ctx}
				if err := v3.Validate(); err != nil {
					problems = append(problems, err.Error())
				}
			}
			if timeout <= 0 {
				problems = append(problems, "--timeout must be positive")
			}
			if concurrency < 1 {
				problems = append(problems, "--concurrency must be at least 1")
			}
			if maxRep < 1 || maxRep > snmp.MaxRepetitionsCap {
				problems = append(problems, fmt.Sprintf("--max-repetitions must be 1..%d", snmp.MaxRepetitionsCap))
			}
			tableList, err := snmp.ParseTables(tables)
			if err != nil {
				problems = append(problems, "--tables: "+err.Error())
			}
			if len(problems) > 0 {
				return cliexit.Usage(errors.New(strings.Join(problems, "; ")))
			}
			opts := snmp.Options{Port: port, Timeout: timeout, Retries: snmp.RetriesOption(retries), Concurrency: concurrency,
				MaxRepetitions: uint32(maxRep), Tables: tableList, WholeTables: wholeTables}
			creds := snmp.OneOffCredentials(community, v3)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// out is taken before the guard: it stays the real stdout, for
			// the JSON only, while stray library prints go to stderr.
			out := cmd.OutOrStdout()
			defer stdoutToStderr(os.Stderr)()
			if len(targets) == 1 {
				return walkOneAndPrint(ctx, out, targets[0], creds, opts, format)
			}
			start := time.Now()
			invs := snmp.WalkMany(ctx, targets, creds, opts)
			elapsed := time.Since(start)
			ok := 0
			for _, inv := range invs {
				if snmp.Answered(inv) {
					ok++
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "snmp-walk: %d targets, %d answered, %.3fs, %.1f devices/s (concurrency %d)\n",
				len(targets), ok, elapsed.Seconds(), float64(len(targets))/elapsed.Seconds(), concurrency)
			if format == "table" {
				for _, inv := range invs {
					if err := snmp.RenderTable(out, inv, 20); err != nil {
						return err
					}
					fmt.Fprintln(out)
				}
			} else {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(invs); err != nil {
					return err
				}
			}
			if ok == 0 {
				return errors.New("no target answered")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&targets, "target", nil, "device HOST[:PORT] (comma-separated for several)")
	f.StringVar(&targetsFile, "targets-file", "", "file with one HOST[:PORT] per line")
	f.StringVar(&community, "community", "", "SNMPv2c community (v1 is tried after v2c); default public")
	f.StringVar(&v3User, "v3-user", "", "SNMPv3 user name")
	f.StringVar(&v3AuthProto, "v3-auth-proto", "", "SNMPv3 auth protocol: MD5, SHA, SHA224, SHA256, SHA384, SHA512")
	f.StringVar(&v3Auth, "v3-auth-pass", "", "SNMPv3 auth passphrase")
	f.StringVar(&v3PrivProto, "v3-priv-proto", "", "SNMPv3 privacy protocol: DES, AES, AES192, AES256, AES192C, AES256C")
	f.StringVar(&v3Priv, "v3-priv-pass", "", "SNMPv3 privacy passphrase")
	f.StringVar(&v3Ctx, "v3-context", "", "SNMPv3 context name")
	f.StringVar(&format, "format", "json", "output format: json or table")
	f.StringVar(&tables, "tables", "all", "tables to walk besides system: all, or a list of "+strings.Join(snmp.AllTables, ",")+
		" (\"interfaces\" alone is the light profile for sweeps)")
	f.Uint16Var(&port, "snmp-port", 161, "UDP port when the target names none")
	f.DurationVar(&timeout, "timeout", 2*time.Second, "wait per SNMP request")
	f.IntVar(&retries, "retries", 1, "extra tries per request")
	f.IntVar(&concurrency, "concurrency", 64, "devices walked at once (several targets)")
	f.IntVar(&maxRep, "max-repetitions", 25, "GETBULK max-repetitions to start with (halved when a device chokes)")
	f.BoolVar(&wholeTables, "whole-tables", false, "walk every table whole, not only the decoded columns (diagnostics, benchmarks)")
	_ = f.MarkHidden("whole-tables")
	return cmd
}

// stdoutToStderr points os.Stdout at w until the returned restore is called.
// gosnmp v1.47.0 (v3.go, authenticate) recovers its own panics with
// fmt.Printf of a stack dump, which goes to whatever os.Stdout is at that
// moment and would corrupt snmp-walk's JSON; no gosnmp Logger covers it.
// Callers take their output writer before the swap, and start no walk
// goroutine before it nor leave one running after restore.
func stdoutToStderr(w *os.File) (restore func()) {
	prev := os.Stdout
	os.Stdout = w
	return func() { os.Stdout = prev }
}

func walkOneAndPrint(ctx context.Context, out io.Writer, target string, creds snmp.Credentials, opts snmp.Options, format string) error {
	inv, err := snmp.WalkCredentials(ctx, target, creds, opts)
	if err != nil {
		return fmt.Errorf("walk %s: %w", target, err)
	}
	return printInventory(out, inv, format)
}

func printInventory(out io.Writer, inv wire.DeviceInventory, format string) error {
	if format == "table" {
		return snmp.RenderTable(out, inv, 0)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

func readTargets(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--targets-file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--targets-file: %w", err)
	}
	return out, nil
}
