package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/ledger"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

// newLicenseCmd is `egovnet-collector license import|export|list`: the
// administrators' licence ledger on the collector host (the same store the
// API's /api/v1/licenses serves). It reads the root's --config flag.
func newLicenseCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "license", Short: "Software licence ledger (软件正版化台账): import, export, list", Args: noArgs}
	open := func(c *cobra.Command) (*server.App, *ledger.Store, error) {
		file := ""
		if f := c.Flags().Lookup("config"); f != nil {
			file = f.Value.String()
		}
		cfg, err := config.Load(file)
		if err != nil {
			return nil, nil, cliexit.Usage(fmt.Errorf("invalid configuration:\n%w", err))
		}
		cfg.PlanFile = "" // licences do not need the plan
		app, err := server.Open(c.Context(), cfg, slog.New(slog.NewTextHandler(c.ErrOrStderr(), nil)))
		if err != nil {
			return nil, nil, err
		}
		cat, err := catalog.Default()
		if err != nil {
			app.Close()
			return nil, nil, err
		}
		return app, ledger.New(app.DB, cat), nil
	}

	var inFile string
	imp := &cobra.Command{
		Use:   "import",
		Short: "Import licences from a CSV or XLSX sheet (all rows or none; rows with an existing id update it)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if inFile == "" {
				return cliexit.Usagef("--file is required")
			}
			f, err := os.Open(inFile)
			if err != nil {
				return cliexit.Usagef("--file: %v", err)
			}
			defer f.Close()
			read, ok := ledger.LicenseReader(inFile)
			if !ok {
				return cliexit.Usagef("--file: want a .csv or .xlsx file")
			}
			ls, err := read(f)
			if err != nil {
				return cliexit.Usage(fmt.Errorf("%s: %w", inFile, err))
			}
			app, st, err := open(c)
			if err != nil {
				return err
			}
			defer app.Close()
			created, updated, err := st.ImportLicenses(c.Context(), ls)
			var ve *ledger.ValidationError
			if errors.As(err, &ve) {
				app.AuditOperator(c.Context(), "license.import", inFile, auditlog.OutcomeError, err.Error())
				return cliexit.Usage(fmt.Errorf("%s: %w", inFile, err))
			}
			if err != nil {
				return err
			}
			app.AuditOperator(c.Context(), "license.import", inFile, auditlog.OutcomeOK, fmt.Sprintf("created %d, updated %d", created, updated))
			fmt.Fprintf(c.OutOrStdout(), "imported %s: %d created, %d updated\n", inFile, created, updated)
			return nil
		},
	}
	imp.Flags().StringVar(&inFile, "file", "", "licence sheet (.csv or .xlsx), columns as `license export` writes them")

	var outFile, expFormat, expDept string
	exp := &cobra.Command{
		Use:   "export",
		Short: "Export licences as CSV or XLSX",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if outFile == "" {
				return cliexit.Usagef("--out is required")
			}
			if expFormat != "csv" && expFormat != "xlsx" {
				return cliexit.Usagef("--format: %q is not one of csv, xlsx", expFormat)
			}
			app, st, err := open(c)
			if err != nil {
				return err
			}
			defer app.Close()
			ls, err := st.ListLicenses(c.Context(), ledger.LicenseFilter{Department: expDept, WithPool: expDept != ""})
			if err != nil {
				return err
			}
			signer, err := export.LoadOrCreateSigner(app.Config.SigningKeyPath())
			if err != nil {
				return err
			}
			_, err = export.WriteFile(c.Context(), outFile, signer, func(w io.Writer) error {
				if expFormat == "xlsx" {
					return ledger.WriteLicensesXLSX(w, ls)
				}
				return ledger.WriteLicensesCSV(w, ls)
			})
			if err != nil {
				return err
			}
			app.AuditOperator(c.Context(), "license.export", outFile, auditlog.OutcomeOK, fmt.Sprintf("%d licences", len(ls)))
			fmt.Fprintf(c.OutOrStdout(), "wrote %d licences to %s\n", len(ls), outFile)
			return nil
		},
	}
	exp.Flags().StringVar(&outFile, "out", "", "output file")
	exp.Flags().StringVar(&expFormat, "format", "csv", "csv or xlsx")
	exp.Flags().StringVar(&expDept, "department", "", "only this department's licences and the shared pool")

	var listFormat, listDept string
	list := &cobra.Command{
		Use:   "list",
		Short: "List licences",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if listFormat != "json" && listFormat != "table" {
				return cliexit.Usagef("--format: %q is not one of json, table", listFormat)
			}
			app, st, err := open(c)
			if err != nil {
				return err
			}
			defer app.Close()
			ls, err := st.ListLicenses(c.Context(), ledger.LicenseFilter{Department: listDept, WithPool: listDept != ""})
			if err != nil {
				return err
			}
			if listFormat == "table" {
				return ledger.WriteLicensesText(c.OutOrStdout(), ls)
			}
			return writeJSON(c.OutOrStdout(), ls)
		},
	}
	list.Flags().StringVar(&listFormat, "format", "table", "json or table")
	list.Flags().StringVar(&listDept, "department", "", "only this department's licences and the shared pool")

	cmd.AddCommand(imp, exp, list)
	return cmd
}
