package main

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/ledger"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/collector/tsdb"
	"github.com/egovnet/egovnet/collector/web"
	"github.com/egovnet/egovnet/internal/catalog"
)

// extend mounts what the collector packages contribute, for serve and import
// alike (import runs the same processors). Processor order matters: rules
// first (findings), then the ledger (installs), then progress, which reads
// both. With serving set, the InfluxDB writer runs until ctx ends; an import
// only queues points in the outbox for the next serve to deliver.
func extend(ctx context.Context, app *server.App, serving bool) error {
	mountDevices(app) // H-web: devices processor + device/topology routes
	eng, err := mountRules(app)
	if err != nil {
		return err
	}
	cat, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("load software catalog: %w", err)
	}
	led := ledger.New(app.DB, cat)
	if eng != nil {
		eng.AddDetector(ledger.NewDetector(led))
	}
	app.Ingester.Use(ledger.NewProcessor(led))
	lh := ledger.NewHandlers(led)
	lh.DepartmentExists, lh.Logger = app.Inventory.DepartmentExists, app.Logger
	cfg := app.Config
	signer, err := export.LoadOrCreateSigner(cfg.SigningKeyPath())
	if err != nil {
		return err
	}
	lh.Signer = signer
	lh.Mount(paging.Mounter(app.API().UserRoute, "GET /api/v1/software", "GET /api/v1/licenses")) // paged in memory until the ledger pages in SQL

	var writer *tsdb.Writer
	if cfg.Influx.URL != "" {
		writer, err = tsdb.NewWriter(tsdb.Config{
			URL: cfg.Influx.URL, Token: cfg.Influx.Token, Org: cfg.Influx.Org, Bucket: cfg.Influx.Bucket,
			OutboxMax: cfg.Influx.OutboxMax, BatchSize: cfg.Influx.BatchSize, Timeout: cfg.Influx.Timeout,
		}, app.DB, app.Logger)
		if err != nil {
			return fmt.Errorf("configure influx: %w", err)
		}
		if serving {
			go func() {
				defer writer.Close()
				writer.Run(ctx)
			}()
		}
	}
	if app.Plan != nil {
		opt := progress.Options{District: app.Plan.District.Code, Log: app.Logger}
		if writer != nil {
			opt.Outbox, opt.Notify = writer.Outbox(), writer.Notify
		}
		cloud, err := prefixes(app.Plan.Cloud.Prefixes)
		if err != nil {
			return err
		}
		rec, err := progress.NewRecorder(app.DB, progress.Sources{
			Violations: rules.NewStore(app.DB),
			Software:   led,
			Endpoints:  endpointCounts{inv: app.Inventory, cloud: cloud},
		}, opt)
		if err != nil {
			return err
		}
		app.Ingester.Use(rec)
	}
	ph := &progress.Handler{Store: progress.NewStore(app.DB, nil), Log: app.Logger}
	if writer != nil {
		ph.Influx = writer
	}
	ph.Mount(app.API().UserRoute)

	names := map[string]string{}
	district := ""
	if app.Plan != nil {
		district = app.Plan.District.Name
		for _, d := range app.Plan.Departments {
			names[d.Code] = d.Name
		}
	}
	eh := &export.Handler{
		Exporter:        &export.Exporter{FontFile: cfg.Export.FontFile, MaxPDFRows: cfg.Export.MaxPDFRows},
		Signer:          signer,
		MaxConcurrent:   cfg.Export.MaxConcurrent,
		SpoolDir:        cfg.Export.SpoolDir,
		Violations:      rulesViolations{rules.NewStore(app.DB)},
		Ledger:          ledger.ExportSource{S: led},
		Progress:        progress.NewStore(app.DB, nil),
		District:        district,
		DepartmentNames: names,
		Log:             app.Logger,
	}
	eh.Mount(app.API().UserRoute)

	app.API().Handle("/", web.Handler())
	return nil
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
