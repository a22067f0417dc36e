package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/internal/version"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "egovnet-agent %s\ncommit %s\ngo %s\n", version.Version, version.Commit, version.GoVersion())
			return err
		},
	}
}
