package server

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/egovnet/egovnet/collector/api"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/ledger"
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/collector/tsdb"
	"github.com/egovnet/egovnet/collector/web"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// NewRulesEngine builds the rules engine the same way for the collector
// and the offline audit: the plan's packs, the optional patterns file and
// the given extra detectors (the software ledger's).
func NewRulesEngine(p *plan.Plan, patternsFile string, detectors ...rules.Detector) (*rules.Engine, error) {
	var opts []rules.Option
	if patternsFile != "" {
		data, err := os.ReadFile(patternsFile)
		if err != nil {
			return nil, fmt.Errorf("read rules.patterns_file: %w", err)
		}
		pat, err := rules.ParsePatterns(data)
		if err != nil {
			return nil, fmt.Errorf("rules.patterns_file %s: %w", patternsFile, err)
		}
		opts = append(opts, rules.WithPatterns(pat))
	}
	for _, d := range detectors {
		opts = append(opts, rules.WithDetector(d))
	}
	return rules.NewEngine(p, opts...)
}

// assemble builds what the collector packages contribute, in a fixed
// order, so nothing registers late: the ingest processors (devices first, so
// every later processor finds the report's devices filed; rules for the
// findings; the ledger for installs; progress, which reads both), each timed
// for /metrics, the engine with all its detectors, and the HTTP routes. Serve and
// import run the same processors; only Serve starts the InfluxDB writer
// (an import queues points in the outbox for the next serve to deliver).
func (a *App) assemble() error {
	cat, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("load software catalog: %w", err)
	}
	cfg := a.Config
	use := func(p ingest.Processor) { a.Ingester.Use(a.metrics().Processor(p)) }
	signer, err := export.LoadOrCreateSigner(cfg.SigningKeyPath())
	if err != nil {
		return err
	}
	a.API().UserRoute(terms.Route, auth.Roles, terms.Handler())
	ua := api.UserAdmin{Issuer: a.TOTPIssuer()}
	if a.MFA != nil {
		ua.TOTP = a.MFA
	}
	a.API().MountUserAdmin(ua)
	devs := a.mountDevices()
	use(devs)
	a.Ledger = ledger.New(a.DB, cat)
	a.Violations = lifecycle.NewStore(a.DB)
	var busy func() bool
	if cfg.Rules.BatchUnderLoad {
		busy = a.Ingester.Busy
	}
	if a.Plan != nil {
		if a.Rules, err = NewRulesEngine(a.Plan, cfg.Rules.PatternsFile, ledger.NewDetector(a.Ledger)); err != nil {
			return err
		}
		a.judge = lifecycle.NewProcessorWith(a.Rules, a.Violations, lifecycle.ProcessorOptions{
			ResolveAfter: cfg.Rules.ResolveAfter, Horizon: cfg.Rules.FactsHorizon,
			BatchAbove: cfg.Rules.BatchAbove, BatchInterval: cfg.Rules.BatchInterval, Busy: busy,
			Revoked: a.Auth.RevokedAgents, Facts: a.Inventory, Logger: a.Logger,
			// first sightings: endpoints from the inventory, SNMP walk
			// targets from the device inventory (filed before rules runs)
			Sightings: []lifecycle.Sightings{a.Inventory, devs.S},
			// findings about a host name its switch port
			Locator: hostLocator{devs.S},
		})
		use(a.judge)
		lifecycle.NewHandlers(a.Violations, a.Plan, a.Logger).Mount(a.API().UserRoute)
	}
	use(ledger.NewProcessor(a.Ledger))
	lh := ledger.NewHandlers(a.Ledger)
	lh.DepartmentExists, lh.Logger, lh.Signer = a.Inventory.DepartmentExists, a.Logger, signer
	lh.Mount(a.API().UserRoute)

	if cfg.Influx.URL != "" {
		a.Writer, err = tsdb.NewWriter(tsdb.Config{
			URL: cfg.Influx.URL, Token: cfg.Influx.Token, Org: cfg.Influx.Org, Bucket: cfg.Influx.Bucket,
			OutboxMax: cfg.Influx.OutboxMax, BatchSize: cfg.Influx.BatchSize, Timeout: cfg.Influx.Timeout,
		}, a.DB, a.Logger)
		if err != nil {
			return fmt.Errorf("configure influx: %w", err)
		}
	}
	if a.Plan != nil {
		opt := progress.Options{District: a.Plan.District.Code, Log: a.Logger, Deferred: a.judge.Queued}
		if a.Writer != nil {
			opt.Outbox, opt.Notify = a.Writer.Outbox(), a.Writer.Notify
			// points a report's processors queued are sent once it commits
			a.Ingester.AfterCommit(a.Writer.Notify)
		}
		cloud, err := prefixes(a.Plan.Cloud.Prefixes)
		if err != nil {
			return err
		}
		rec, err := progress.NewRecorder(a.DB, progress.Sources{
			Violations: a.Violations,
			Software:   a.Ledger,
			Endpoints:  endpointCounts{inv: a.Inventory, cloud: cloud},
		}, opt)
		if err != nil {
			return err
		}
		use(rec)
		// A large department's batched judgement records its figures once
		// it has committed.
		a.judge.OnJudged(func(ctx context.Context, dept string, scan lifecycle.Scan) error {
			scans := []progress.ScanAt{{ReportID: scan.ReportID, At: scan.FinishedAt}}
			for _, c := range scan.Covers {
				scans = append(scans, progress.ScanAt{ReportID: c.ReportID, At: c.FinishedAt})
			}
			return rec.RecordDepartment(ctx, dept, scans)
		})
	}
	ph := &progress.Handler{Store: progress.NewStore(a.DB, nil), Log: a.Logger, DepartmentExists: a.Inventory.DepartmentExists}
	if a.Writer != nil {
		ph.Influx = a.Writer
	}
	ph.Mount(a.API().UserRoute)

	names := map[string]string{}
	district := ""
	if a.Plan != nil {
		district = a.Plan.District.Name
		for _, d := range a.Plan.Departments {
			names[d.Code] = d.Name
		}
	}
	eh := &export.Handler{
		Exporter:        &export.Exporter{FontFile: cfg.Export.FontFile, MaxPDFRows: cfg.Export.MaxPDFRows},
		Signer:          signer,
		MaxConcurrent:   cfg.Export.MaxConcurrent,
		SpoolDir:        cfg.Export.SpoolDir,
		Violations:      ViolationsExport{a.Violations},
		Ledger:          ledger.ExportSource{S: a.Ledger},
		Progress:        progress.NewStore(a.DB, nil),
		District:        district,
		DepartmentNames: names,
		Log:             a.Logger,
	}
	eh.Mount(a.API().UserRoute)

	a.API().Handle("/", web.Handler())
	return nil
}

// runBackground starts what a serving collector runs beside HTTP until ctx
// ends: the InfluxDB writer and the recording of lapsed exemptions (reads
// show them open already; this writes the transition into history).
func (a *App) runBackground(ctx context.Context) {
	if a.Writer != nil {
		go func() {
			defer a.Writer.Close()
			a.Writer.Run(ctx)
		}()
	}
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			if err := a.Violations.ExpireDue(ctx); err != nil && ctx.Err() == nil {
				a.Logger.Error("record lapsed exemptions", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// ViolationsExport adapts the lifecycle store to export.ViolationStreamer
// (HTTP and CLI exports stream one violation at a time).
type ViolationsExport struct{ S *lifecycle.Store }

// List implements export.ViolationSource.
func (r ViolationsExport) List(ctx context.Context, f export.ViolationFilter) ([]wire.Violation, error) {
	return r.S.List(ctx, rulesFilter(f))
}

// Count implements export.ViolationStreamer.
func (r ViolationsExport) Count(ctx context.Context, f export.ViolationFilter) (int, error) {
	return r.S.Count(ctx, rulesFilter(f))
}

// Each implements export.ViolationStreamer.
func (r ViolationsExport) Each(ctx context.Context, f export.ViolationFilter, fn func(wire.Violation) error) error {
	return r.S.Each(ctx, rulesFilter(f), fn)
}

func rulesFilter(f export.ViolationFilter) lifecycle.Filter {
	return lifecycle.Filter{Department: f.Department, Status: f.Status, Rule: f.Rule, AsOf: f.AsOf}
}

// endpointCounts adapts the inventory to progress.EndpointStats with the
// plan's cloud prefixes.
type endpointCounts struct {
	inv   *inventory.Store
	cloud []netip.Prefix
}

func (e endpointCounts) Counts(ctx context.Context, dept string) (int, int, int, error) {
	return e.inv.Counts(ctx, dept, e.cloud)
}

func prefixes(ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("plan cloud prefix %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
