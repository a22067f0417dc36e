package main

import (
	"fmt"
	"os"

	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/collector/terms"
)

// mountRules wires the rules engine into an opened collector: the terms
// every screen reads (GET /api/v1/terms, with or without a plan), the processor
// that evaluates a department after every ingested report (serve and
// import), and the violations API. Without a plan there is nothing to
// judge against, so nothing is mounted. Call it from extend, before the
// ledger's processor adds its detector with engine.AddDetector.
func mountRules(app *server.App) (*rules.Engine, error) {
	app.API().UserRoute(terms.Route, auth.Roles, terms.Handler())
	if app.Plan == nil {
		return nil, nil
	}
	var opts []rules.Option
	if f := app.Config.Rules.PatternsFile; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read rules.patterns_file: %w", err)
		}
		p, err := rules.ParsePatterns(data)
		if err != nil {
			return nil, fmt.Errorf("rules.patterns_file %s: %w", f, err)
		}
		opts = append(opts, rules.WithPatterns(p))
	}
	eng, err := rules.NewEngine(app.Plan, opts...)
	if err != nil {
		return nil, err
	}
	st := rules.NewStore(app.DB)
	app.Ingester.Use(rules.NewProcessor(eng, st, app.Config.Rules.ResolveAfter, app.Logger))
	rules.NewHandlers(st, app.Plan, app.Logger).Mount(paging.Mounter(app.API().UserRoute, "GET /api/v1/violations")) // paged in memory until the lifecycle store pages
	return eng, nil
}
