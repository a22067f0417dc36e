package cliexit

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spf13/cobra"
)

type coded int

func (c coded) Error() string { return fmt.Sprintf("child exited %d", int(c)) }
func (c coded) ExitCode() int { return int(c) }

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"runtime", errors.New("dial collector: refused"), Failure},
		{"EINVAL is not usage", errors.New("setsockopt: invalid argument"), Failure},
		{"usagef", Usagef("--run %q: want 4 characters", "x"), BadUsage},
		{"usage wrapped", fmt.Errorf("scan: %w", Usage(errors.New("bad scope"))), BadUsage},
		{"usage literal", UsageError{errors.New("bad")}, BadUsage},
		{"coder", fmt.Errorf("exec: %w", coded(7)), 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Code(tc.err); got != tc.want {
				t.Fatalf("Code(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
	if Usage(nil) != nil {
		t.Fatal("Usage(nil) is not nil")
	}
}

// TestCobraUsage runs a real cobra command line for each kind of bad usage
// cobra reports itself, so a cobra upgrade that rewords one fails here.
func TestCobraUsage(t *testing.T) {
	newRoot := func() *cobra.Command {
		root := &cobra.Command{Use: "x", SilenceErrors: true, SilenceUsage: true}
		noop := func(*cobra.Command, []string) error { return nil }
		root.AddCommand(
			&cobra.Command{Use: "none", Args: cobra.NoArgs, RunE: noop},
			&cobra.Command{Use: "one", Args: cobra.ExactArgs(1), RunE: noop},
			&cobra.Command{Use: "least", Args: cobra.MinimumNArgs(2), RunE: noop},
			&cobra.Command{Use: "valid", Args: cobra.OnlyValidArgs, ValidArgs: []string{"a"}, RunE: noop},
		)
		req := &cobra.Command{Use: "req", RunE: noop}
		req.Flags().String("to", "", "")
		_ = req.MarkFlagRequired("to")
		root.AddCommand(req)
		return root
	}
	tests := []struct {
		name string
		args []string
	}{
		{"unknown command", []string{"bogus"}},
		{"no args", []string{"none", "extra"}},
		{"exact args", []string{"one"}},
		{"minimum args", []string{"least", "a"}},
		{"only valid args", []string{"valid", "b"}},
		{"required flag", []string{"req"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot()
			root.SetArgs(tc.args)
			err := root.Execute()
			if err == nil {
				t.Fatal("cobra accepted the command line")
			}
			if Code(err) != BadUsage || !IsUsage(err) {
				t.Fatalf("%q: code %d, want %d", err, Code(err), BadUsage)
			}
		})
	}
}
