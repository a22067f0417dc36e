package main

import (
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

// newCatalogCmd is `egovnet-collector catalog match [--format json|table]`
// (CONTRACT): installed-software names on stdin, one per line, optionally
// name<TAB>version<TAB>vendor; one normalised product per name on stdout.
func newCatalogCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Software catalog: normalise installed-software names to products (软件正版化)",
		Args:  noArgs,
	}
	var format string
	match := &cobra.Command{
		Use:   "match",
		Short: "Read names on stdin (name[<TAB>version[<TAB>vendor]]) and print vendor, product, category, domestic, commercial",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "json" && format != "table" {
				return cliexit.Usagef("--format: %q is not one of json, table", format)
			}
			cat, err := catalog.Default()
			if err != nil {
				return err
			}
			ins, err := catalog.ReadInputs(cmd.InOrStdin())
			if err != nil {
				return cliexit.Usagef("stdin: %v", err)
			}
			rs := cat.MatchAll(ins)
			if format == "table" {
				return catalog.WriteTable(cmd.OutOrStdout(), rs)
			}
			return catalog.WriteJSON(cmd.OutOrStdout(), rs)
		},
	}
	match.Flags().StringVar(&format, "format", "json", "output format: json or table")
	cmd.AddCommand(match)
	return cmd
}
