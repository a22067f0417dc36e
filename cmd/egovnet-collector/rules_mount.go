package main

import (
	"fmt"
	"os"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/server"
)

// mountRules wires the rules engine into an opened collector: the processor
// that evaluates a department after every ingested report (serve and
// import), and the violations API. Without a plan there is nothing to
// judge against, so nothing is mounted. Call it from extend, before the
// ledger's processor adds its detector with engine.AddDetector.
func mountRules(app *server.App) (*rules.Engine, error) {
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
	app.Ingester.Use(rules.NewProcessorWith(eng, st, rules.ProcessorOptions{
		ResolveAfter: app.Config.Rules.ResolveAfter, Horizon: app.Config.Rules.FactsHorizon,
		Revoked: app.Auth.RevokedAgents, Facts: app.Inventory, Logger: app.Logger,
	}))
	rules.NewHandlers(st, app.Plan, app.Logger).Mount(app.API().UserRoute)
	return eng, nil
}
