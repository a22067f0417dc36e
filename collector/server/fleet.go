package server

import (
	"path/filepath"

	"github.com/egovnet/egovnet/collector/fleet"
)

// openFleet loads the fleet keys (created on first start) and the fleet
// store, whose ingest processor records each agent's last report.
func (a *App) openFleet() error {
	cfg := a.Config
	seal, rel := cfg.Fleet.SealKeyFile, cfg.Fleet.ReleaseKeyFile
	if seal == "" {
		seal = filepath.Join(cfg.DataDir, "fleet-seal.key")
	}
	if rel == "" {
		rel = filepath.Join(cfg.DataDir, "release.key")
	}
	keys, err := fleet.LoadKeys(seal, rel)
	if err != nil {
		return err
	}
	a.Fleet = fleet.New(a.DB, keys, fleet.Options{
		Prefixes:        a.planPrefixes,
		PollInterval:    cfg.Fleet.PollInterval,
		DefaultInterval: cfg.Fleet.DefaultInterval,
	})
	a.Ingester.Use(a.Fleet.Processor())
	return nil
}

// planPrefixes is a department's planned prefixes: the agents' default
// scope.
func (a *App) planPrefixes(dept string) []string {
	if a.Plan == nil {
		return nil
	}
	if d, ok := a.Plan.Department(dept); ok {
		return append([]string(nil), d.Prefixes...)
	}
	return nil
}

func (a *App) fleetHandlers() *fleet.Handlers {
	return &fleet.Handlers{Store: a.Fleet, Auth: a.Auth, DepartmentExists: a.Inventory.DepartmentExists, Logger: a.Logger,
		MaxBody: a.Config.Limits.MaxRequestBytes, InPlan: a.inPlan}
}
