// Package server assembles a running collector from its configuration:
// store, migrations, plan, departments, audit log, auth, ingester and API,
// and serves HTTP(S) with timeouts and graceful shutdown. It exists so that
// cmd/egovnet-collector only parses flags and every command (serve, token,
// import, user, auditlog) opens the collector the same way.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/egovnet/egovnet/collector/api"
	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/ledger"
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/metrics"
	"github.com/egovnet/egovnet/collector/mfa"
	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/tsdb"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/release"
)

// App is an opened collector.
type App struct {
	Config    *config.Config
	Plan      *plan.Plan // nil when no plan_file is configured
	DB        *store.DB
	Audit     *auditlog.Log
	Auth      *auth.Service
	Inventory *inventory.Store
	Ingester  *ingest.Ingester
	Fleet     *fleet.Store
	MFA       *mfa.Store
	Logger    *slog.Logger

	// Assembled by Open (assemble.go), fixed from then on.
	Rules      *rules.Engine    // nil without a plan
	Violations *lifecycle.Store // the violation lifecycle
	Ledger     *ledger.Store
	Writer     *tsdb.Writer // nil without influx.url

	judge *lifecycle.Processor // the rules processor; nil without a plan
	// backlog watches the queue of scans waiting for a batched judgement
	// (Serve reads it), so uploads pause while the judgement is too far
	// behind (rules.max_judgement_lag).
	backlog *lifecycle.BacklogWatcher

	api        *api.Server
	metricsReg *metrics.Metrics
}

// ErrNoPlan is returned by RequirePlan when plan_file is not configured.
var ErrNoPlan = errors.New("plan_file: required (the district plan, see configs/plan.yaml)")

// PlanError marks a plan that failed to load (bad configuration: exit 2).
type PlanError struct{ Err error }

func (e *PlanError) Error() string { return "plan: " + e.Err.Error() }

// Unwrap returns the loader's error.
func (e *PlanError) Unwrap() error { return e.Err }

// Open opens the store, applies migrations, loads the plan (when
// configured), upserts its departments and assembles the collector: the
// rules engine with every detector, the ingest processors in their fixed
// order and the HTTP routes. Serve and Import use it as it is.
func Open(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.Default()
	}
	var p *plan.Plan
	if cfg.PlanFile != "" {
		var err error
		if p, err = plan.Load(cfg.PlanFile); err != nil {
			return nil, &PlanError{Err: err}
		}
	}
	db, err := store.Open(ctx, cfg.Store.Driver, cfg.DataDir, cfg.Store.DSN.Reveal())
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	if err := db.RefuseNewerSchema(ctx, store.Registered()); err != nil {
		db.Close()
		return nil, err
	}
	audit := auditlog.New(db)
	audit.SetAnchorFile(filepath.Join(cfg.DataDir, auditlog.AnchorFileName)) // H-trust: audit head anchor outside the DB
	a := &App{
		Config: cfg, Plan: p, DB: db, Audit: audit, Logger: logger,
		Auth: auth.NewService(db, audit, auth.Options{MaxLoginFailures: cfg.Auth.MaxLoginFailures,
			LockoutDuration: cfg.Auth.LockoutDuration, SessionTTL: cfg.Auth.SessionTTL}),
		Inventory: inventory.New(db),
		Ingester:  ingest.New(db, audit, logger),
	}
	// Agents and reports of a department the running plan lacks are
	// refused at enrolment and upload, and left alone when pending.
	a.Auth.SetInPlan(a.inPlan)
	a.Ingester.SetInPlan(a.inPlan)
	if err := a.openFleet(); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.openIdentity(); err != nil {
		db.Close()
		return nil, err
	}
	if p != nil {
		deps := make([]inventory.Department, 0, len(p.Departments))
		for _, d := range p.Departments {
			deps = append(deps, inventory.Department{Code: d.Code, Name: d.Name})
		}
		if err := a.Inventory.SyncDepartments(ctx, deps, time.Now()); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := a.assemble(); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// Close closes the store.
func (a *App) Close() error {
	if a.api != nil {
		// Queued audit records of reads go in before the store closes.
		if err := a.api.Close(context.Background()); err != nil {
			a.Logger.Error("flush read audit records", "err", err)
		}
	}
	// H-trust: anchor what offline commands appended (the server anchors
	// continuously); a failure is logged, closing goes on.
	if err := a.Audit.WriteAnchor(context.Background()); err != nil {
		a.Logger.Error("anchor audit log", "err", err)
	}
	return a.DB.Close()
}

// RequirePlan returns the plan or ErrNoPlan.
func (a *App) RequirePlan() (*plan.Plan, error) {
	if a.Plan == nil {
		return nil, ErrNoPlan
	}
	return a.Plan, nil
}

// API returns the HTTP API, built on first use (by Open's assembly).
func (a *App) API() *api.Server {
	if a.api == nil {
		a.backlog = lifecycle.NewBacklogWatcher(a.DB)
		a.api = api.New(api.Deps{
			JudgementLag: a.backlog.Lag, MaxJudgementLag: a.Config.Rules.MaxJudgementLag,
			// a refused agent comes back after about two judgement rounds
			LagRetryAfter: 2 * a.Config.Rules.BatchInterval,
			DB:            a.DB, Auth: a.Auth, Inventory: a.Inventory, Ingester: a.Ingester, Audit: a.Audit, Logger: a.Logger,
			MaxReportBytes: a.Config.Limits.MaxReportBytes, MaxRequestBytes: a.Config.Limits.MaxRequestBytes,
			MaxConcurrentReports: a.Config.Limits.MaxConcurrentReports,
			SecureCookies:        a.Config.TLSEnabled(),
			AgentsList:           a.fleetHandlers().ListAgents,
			ReleaseKey:           release.EncodeKey(a.Fleet.Keys().ReleasePublic()),
			InPlan:               a.inPlan,
		})
		a.fleetHandlers().MountUser(a.api.UserRoute)
		a.fleetHandlers().MountAgent(a.api.Handle)
	}
	return a.api
}

// Operator is the audit actor of a command run on the collector host: the
// OS user, so the audit log names a person even for offline commands.
func Operator() auth.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if s := os.Getenv("SUDO_USER"); s != "" {
		name = s + " (sudo " + name + ")"
	}
	return auth.Actor{Kind: auditlog.KindOperator, Name: name}
}

// inPlan says whether dept is a department of the plan this collector
// judges by (every department when it runs without a plan).
func (a *App) inPlan(dept string) bool {
	if a.Plan == nil {
		return true
	}
	_, ok := a.Plan.Department(dept)
	return ok
}
