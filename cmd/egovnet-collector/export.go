package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/ledger"
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/cliexit"
)

// ledgerSource wires the software ledger into `export ledger`.
func ledgerSource(app *server.App) (export.LedgerSource, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, fmt.Errorf("load software catalog: %w", err)
	}
	return ledger.ExportSource{S: ledger.New(app.DB, cat)}, nil
}

type exportFlags struct {
	format, out, dept, asOf, lang, table, from, to, status, rule, fontFile string
}

func newExportCmd() *cobra.Command {
	var fl exportFlags
	cmd := &cobra.Command{
		Use:   "export violations|ledger|progress",
		Short: "Export violations, the software ledger or progress as CSV, XLSX, PDF or JSON",
		Long: `Export violations (with citations and evidence), the software ledger
(汇总表 and 明细表) or the progress series from the collector's store.
CSV is UTF-8 with BOM so Excel shows Chinese; PDF embeds a CJK TrueType font
(--font-file, else EGOVNET_EXPORT_FONT_FILE, else the usual system fonts).`,
		ValidArgs: []string{"violations", "ledger", "progress"},
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cliexit.Usagef("export: name exactly one of violations, ledger, progress")
			}
			switch args[0] {
			case "violations", "ledger", "progress":
				return nil
			}
			return cliexit.Usagef("export: unknown export %q (want violations, ledger or progress)", args[0])
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runExport(c, args[0], fl)
		},
	}
	cmd.AddCommand(newExportVerifyCmd(), newExportPubkeyCmd())
	f := cmd.Flags()
	f.StringVar(&fl.format, "format", "", "csv, xlsx, pdf or json (required)")
	f.StringVar(&fl.out, "out", "", "output file (required; - for stdout)")
	f.StringVar(&fl.dept, "department", "", "only this department (code)")
	f.StringVar(&fl.asOf, "as-of", "", "the state at this moment: YYYY-MM-DD (end of that day, UTC+8) or RFC3339; default now")
	f.StringVar(&fl.lang, "lang", "zh", "zh or en")
	f.StringVar(&fl.table, "table", "summary", "ledger CSV only: summary (汇总表) or detail (明细表)")
	f.StringVar(&fl.from, "from", "", "progress only: first day (YYYY-MM-DD); default 90 days before --as-of")
	f.StringVar(&fl.to, "to", "", "progress only: last day (YYYY-MM-DD); default --as-of")
	f.StringVar(&fl.status, "status", "", "violations only: open, acknowledged, resolved or exempted")
	f.StringVar(&fl.rule, "rule", "", "violations only: a rule id")
	f.StringVar(&fl.fontFile, "font-file", "", "PDF only: CJK TrueType font (.ttf/.ttc)")
	return cmd
}

func runExport(c *cobra.Command, kind string, fl exportFlags) error {
	// Validate every flag before touching the store; name every problem.
	req := export.Request{Kind: kind, Format: fl.format, Out: fl.out, Department: fl.dept, AsOf: fl.asOf, Lang: fl.lang,
		Table: fl.table, From: fl.from, To: fl.to, Status: fl.status, Rule: fl.rule, FontFile: fl.fontFile}
	chk, err := req.Check(time.Now())
	if err != nil {
		return cliexit.Usage(err)
	}
	format, asOf := chk.Format, chk.AsOf

	cfgFile := ""
	if cf := c.Flag("config"); cf != nil { // the root's persistent --config
		cfgFile = cf.Value.String()
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return cliexit.Usage(fmt.Errorf("invalid configuration:\n%w", err))
	}
	ctx := c.Context()
	app, err := server.Open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer app.Close()

	meta := export.PlanMeta(app.Plan, export.Meta{AsOf: asOf, Lang: chk.Lang, Location: progress.ChinaStandardTime})
	if err := export.CheckDepartment(app.Plan, fl.dept); err != nil {
		return cliexit.Usage(err)
	}
	ex := &export.Exporter{FontFile: req.FontFileOr(), MaxPDFRows: cfg.Export.MaxPDFRows}
	if err := ex.Ready(format); err != nil {
		return err
	}

	var render func(w io.Writer) error
	switch kind {
	case "violations":
		if n, err := lifecycle.QueuedScans(ctx, app.DB); err == nil && n > 0 {
			fmt.Fprintf(c.ErrOrStderr(), "注意 / note: %d scans of large departments are queued for judgement (rules.batch_above); "+
				"the collector judges them while it runs or at its next start, and this export does not include them yet\n", n)
		}
		src := server.ViolationsExport{S: lifecycle.NewStore(app.DB)}
		f := export.ViolationFilter{Department: fl.dept, Status: fl.status, Rule: fl.rule, AsOf: asOf}
		if render, err = ex.ViolationsRenderer(ctx, src, f, format, meta); err != nil {
			return err
		}
	case "ledger":
		src, err := ledgerSource(app)
		if err != nil {
			return err
		}
		l, err := src.Ledger(ctx, fl.dept, asOf)
		if err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		render = func(w io.Writer) error { return ex.Ledger(w, format, l, export.LedgerTable(fl.table), meta) }
	case "progress":
		snaps, err := progress.NewStore(app.DB, progress.ChinaStandardTime).Series(ctx, fl.dept, chk.From, chk.To)
		if err != nil {
			return err
		}
		render = func(w io.Writer) error { return ex.Progress(w, format, snaps, meta) }
	}
	signer, err := export.LoadOrCreateSigner(cfg.SigningKeyPath())
	if err != nil {
		return err
	}
	if fl.out == "-" {
		// stdout has no "beside": the seal goes to stderr
		seal, err := export.SealTo(ctx, os.Stdout, signer, render)
		if err != nil {
			return err
		}
		fmt.Fprint(c.ErrOrStderr(), seal.Text())
		return nil
	}
	_, err = export.WriteFile(ctx, fl.out, signer, render)
	return err
}

// configFile is the root's persistent --config.
func configFile(c *cobra.Command) string {
	if cf := c.Flag("config"); cf != nil {
		return cf.Value.String()
	}
	return ""
}

func newExportVerifyCmd() *cobra.Command {
	var pubkey string
	cmd := &cobra.Command{
		Use:   "verify F",
		Short: "Check an export against F.sha256, F.sm3 and F.sig (SM2, the collector's key)",
		Long: `Exit 0 only when the file's SHA-256 and SM3 digests match F.sha256 and F.sm3
and F.sig is a valid SM2 signature of the file by the collector's key: the key in
the data directory (export.signing_key_file), or --pubkey F (a PEM public key
printed by "export pubkey"), offline.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cliexit.Usagef("export verify: name exactly one exported file")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			path := pubkey
			if path == "" {
				cfg, err := config.Load(configFile(c))
				if err != nil {
					return cliexit.Usage(fmt.Errorf("invalid configuration:\n%w", err))
				}
				path = cfg.SigningKeyPath()
				if _, err := os.Stat(path); err != nil {
					return cliexit.Usagef("export verify: no signing key at %s (give --pubkey F): %v", path, err)
				}
			}
			pub, err := export.LoadPublicKey(path)
			if err != nil {
				return cliexit.Usage(err)
			}
			if err := export.VerifyFile(args[0], pub); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s: OK (sha256, sm3, sm2 signature)\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "the collector's export public key (PEM); default: the key in the data directory")
	return cmd
}

func newExportPubkeyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pubkey",
		Short: "Print the SM2 public key exports are signed with (PEM), for export verify --pubkey",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 {
				return cliexit.Usagef("export pubkey takes no arguments")
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := config.Load(configFile(c))
			if err != nil {
				return cliexit.Usage(fmt.Errorf("invalid configuration:\n%w", err))
			}
			signer, err := export.LoadOrCreateSigner(cfg.SigningKeyPath())
			if err != nil {
				return err
			}
			pem, err := signer.PublicKeyPEM()
			if err != nil {
				return err
			}
			_, err = c.OutOrStdout().Write(pem)
			return err
		},
	}
}
