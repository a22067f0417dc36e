// Package progress answers the big-data centre's question "how far along is
// each department, and is it moving?". After every evaluation of a
// department's report it gathers the counts other packages own (open
// violations by rule, software compliance, endpoints and servers) through
// small interfaces defined here, keeps one snapshot per department and day
// in the store (the series the API and exports serve without InfluxDB), and
// queues the CONTRACT's egovnet_progress and egovnet_agent points in the
// tsdb outbox in the same transaction.
package progress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/tsdb"
	"github.com/egovnet/egovnet/internal/chinatime"
	"github.com/egovnet/egovnet/internal/wire"
)

// ViolationCounts gives the unresolved violations of a department by rule id
// (wire.Rule*): the ones still present, i.e. status open or acknowledged.
// Registered legacy exits and lines count until they are gone.
type ViolationCounts interface {
	OpenByRule(ctx context.Context, department string) (map[string]int, error)
}

// SoftwareStats gives a department's software ledger figures: installs
// counted, installs without a licence, compliance (licensed/installs, 0..1)
// and the domestic (信创) share of installs (0..1).
type SoftwareStats interface {
	Compliance(ctx context.Context, department string) (installs, unlicensed int, compliance, domesticShare float64, err error)
}

// EndpointStats gives a department's live endpoints, how many of them are
// servers, and how many of those servers sit in the e-gov cloud prefixes.
type EndpointStats interface {
	Counts(ctx context.Context, department string) (endpoints, servers, serversInCloud int, err error)
}

// Fields are the egovnet_progress fields (CONTRACT), also kept per day.
type Fields struct {
	InternetEgress     int64   `json:"internet_egress"`
	PrivateLinks       int64   `json:"private_links"`
	IsolationBreaches  int64   `json:"isolation_breaches"`
	LocalServers       int64   `json:"local_servers"`
	Websites           int64   `json:"websites"`
	Endpoints          int64   `json:"endpoints"`
	OpenViolations     int64   `json:"open_violations"`
	SoftwareInstalls   int64   `json:"software_installs"`
	UnlicensedInstalls int64   `json:"unlicensed_installs"`
	LicenseCompliance  float64 `json:"license_compliance"`
	DomesticShare      float64 `json:"domestic_share"`
	CloudRatio         float64 `json:"cloud_ratio"`
	// Servers and ServersInCloud weigh CloudRatio when departments are
	// summed; they are not sent to InfluxDB.
	Servers        int64 `json:"servers"`
	ServersInCloud int64 `json:"servers_in_cloud"`
}

// Influx returns the CONTRACT field set of egovnet_progress.
func (f Fields) Influx() map[string]any {
	return map[string]any{
		"internet_egress":     f.InternetEgress,
		"private_links":       f.PrivateLinks,
		"isolation_breaches":  f.IsolationBreaches,
		"local_servers":       f.LocalServers,
		"websites":            f.Websites,
		"endpoints":           f.Endpoints,
		"open_violations":     f.OpenViolations,
		"software_installs":   f.SoftwareInstalls,
		"unlicensed_installs": f.UnlicensedInstalls,
		"license_compliance":  f.LicenseCompliance,
		"domestic_share":      f.DomesticShare,
		"cloud_ratio":         f.CloudRatio,
	}
}

// Sources are the other packages' figures the recorder reads.
type Sources struct {
	Violations ViolationCounts
	Software   SoftwareStats
	Endpoints  EndpointStats
}

// Options tune a Recorder.
type Options struct {
	// District is the plan's district code, the egovnet_progress "district" tag.
	District string
	// Outbox receives the points; nil when no InfluxDB is configured.
	Outbox *tsdb.Outbox
	// Notify is called after points were committed (tsdb.Writer.Notify)
	// by a transaction of the recorder's own. Points queued inside a
	// caller's transaction (a report's, ctx carrying it) are not visible
	// before that commits: the caller notifies then (the ingester's
	// AfterCommit).
	Notify func()
	// Location decides which calendar day a scan belongs to (default UTC+8).
	Location *time.Location
	// Deferred says that the rules left a report's judgement to a batched
	// judgement of its (large) department: its figures would be the
	// previous judgement's, so they are recorded after the batch
	// (RecordDepartment), and the report records only its agent's point.
	Deferred func(reportID string) bool
	Log      *slog.Logger
}

// ChinaStandardTime is UTC+8 without daylight saving: the day boundary of a
// Chinese district.
var ChinaStandardTime = chinatime.Location

// Recorder is the ingest processor that records progress.
type Recorder struct {
	store *Store
	src   Sources
	opt   Options
}

// NewRecorder checks that every source is wired.
func NewRecorder(db *store.DB, src Sources, opt Options) (*Recorder, error) {
	var errs []error
	if src.Violations == nil {
		errs = append(errs, errors.New("progress recorder: no ViolationCounts source"))
	}
	if src.Software == nil {
		errs = append(errs, errors.New("progress recorder: no SoftwareStats source"))
	}
	if src.Endpoints == nil {
		errs = append(errs, errors.New("progress recorder: no EndpointStats source"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opt.Location == nil {
		opt.Location = ChinaStandardTime
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Recorder{store: NewStore(db, opt.Location), src: src, opt: opt}, nil
}

// Name implements ingest.Processor.
func (r *Recorder) Name() string { return "progress" }

// Process computes the department's figures after its report was evaluated,
// stores the day's snapshot and queues both points stamped with the scan's
// finish time, all in one transaction.
func (r *Recorder) Process(ctx context.Context, rep *wire.ScanReport, department string) error {
	if department == "" {
		return errors.New("record progress: empty department")
	}
	at := rep.FinishedAt
	if at.IsZero() {
		at = rep.StartedAt
	}
	if at.IsZero() {
		return fmt.Errorf("record progress of report %s: no finished_at", rep.ReportID)
	}
	agent := AgentPoint(rep, department)
	if r.opt.Deferred != nil && r.opt.Deferred(rep.ReportID) {
		if r.opt.Outbox == nil {
			return nil
		}
		if err := r.store.db.InTx(ctx, func(tx *store.Tx) error { return r.opt.Outbox.EnqueueTx(ctx, tx, agent) }); err != nil {
			return fmt.Errorf("record agent point of %s: %w", rep.ReportID, err)
		}
		r.notify(ctx)
		return nil
	}
	return r.record(ctx, department, at, rep.ReportID, agent)
}

// ScanAt names one scan a batched judgement covered.
type ScanAt struct {
	ReportID string
	At       time.Time
}

// RecordDepartment records dept's figures after a batched judgement that
// covered scans: one snapshot for each day among them, as of that day's
// last scan, so a batch across midnight leaves both days their snapshot.
// The figures are the judgement's, computed once.
func (r *Recorder) RecordDepartment(ctx context.Context, dept string, scans []ScanAt) error {
	last := map[string]ScanAt{}
	var days []string
	for _, sc := range scans {
		d := r.store.day(sc.At)
		old, ok := last[d]
		if !ok {
			days = append(days, d)
		}
		if !ok || sc.At.After(old.At) {
			last[d] = sc
		}
	}
	if len(days) == 0 {
		return nil
	}
	f, err := r.Compute(ctx, dept)
	if err != nil {
		return err
	}
	for _, d := range days {
		if err := r.save(ctx, dept, last[d].At, last[d].ReportID, f); err != nil {
			return err
		}
	}
	return nil
}

// record computes and stores one snapshot of department, with the points
// for InfluxDB (the department's, and any extra ones) in the same
// transaction.
func (r *Recorder) record(ctx context.Context, department string, at time.Time, reportID string, extra ...tsdb.Point) error {
	f, err := r.Compute(ctx, department)
	if err != nil {
		return err
	}
	return r.save(ctx, department, at, reportID, f, extra...)
}

// save stores figures f as department's snapshot of the scan reportID.
func (r *Recorder) save(ctx context.Context, department string, at time.Time, reportID string, f Fields, extra ...tsdb.Point) error {
	snap := Snapshot{Department: department, District: r.opt.District, At: at, ReportID: reportID, Fields: f}
	err := r.store.db.InTx(ctx, func(tx *store.Tx) error {
		if err := r.store.SaveTx(ctx, tx, snap); err != nil {
			return err
		}
		if r.opt.Outbox == nil {
			return nil
		}
		return r.opt.Outbox.EnqueueTx(ctx, tx, append([]tsdb.Point{ProgressPoint(r.opt.District, department, at, f)}, extra...)...)
	})
	if err != nil {
		return fmt.Errorf("record progress of %s: %w", department, err)
	}
	if r.opt.Outbox != nil {
		r.notify(ctx)
	}
	r.opt.Log.Debug("progress recorded", "department", department, "open_violations", f.OpenViolations)
	return nil
}

// notify wakes the InfluxDB writer when the points just queued are
// committed: not inside a caller's transaction, which would leave the
// writer finding nothing (see Options.Notify).
func (r *Recorder) notify(ctx context.Context) {
	if r.opt.Notify != nil && store.TxFrom(ctx) == nil {
		r.opt.Notify()
	}
}

// Compute reads the department's current figures from the sources.
func (r *Recorder) Compute(ctx context.Context, department string) (Fields, error) {
	var f Fields
	open, err := r.src.Violations.OpenByRule(ctx, department)
	if err != nil {
		return f, fmt.Errorf("count open violations of %s: %w", department, err)
	}
	for rule, n := range open {
		f.OpenViolations += int64(n)
		switch rule {
		case wire.RuleInternetEgress:
			f.InternetEgress += int64(n)
		case wire.RulePrivateLink:
			f.PrivateLinks += int64(n)
		case wire.RuleIsolationBreach:
			f.IsolationBreaches += int64(n)
		case wire.RuleDepartmentWebsite:
			f.Websites += int64(n)
		}
	}
	eps, servers, inCloud, err := r.src.Endpoints.Counts(ctx, department)
	if err != nil {
		return f, fmt.Errorf("count endpoints of %s: %w", department, err)
	}
	if inCloud > servers || servers > eps || eps < 0 || inCloud < 0 {
		return f, fmt.Errorf("count endpoints of %s: inconsistent counts endpoints=%d servers=%d in_cloud=%d", department, eps, servers, inCloud)
	}
	f.Endpoints, f.Servers, f.ServersInCloud = int64(eps), int64(servers), int64(inCloud)
	f.LocalServers = int64(servers - inCloud)
	f.CloudRatio = ratio(f.ServersInCloud, f.Servers)
	installs, unlicensed, compliance, domestic, err := r.src.Software.Compliance(ctx, department)
	if err != nil {
		return f, fmt.Errorf("read software compliance of %s: %w", department, err)
	}
	if installs < 0 || unlicensed < 0 || unlicensed > installs || !unit(compliance) || !unit(domestic) {
		return f, fmt.Errorf("read software compliance of %s: inconsistent figures installs=%d unlicensed=%d compliance=%v domestic=%v", department, installs, unlicensed, compliance, domestic)
	}
	f.SoftwareInstalls, f.UnlicensedInstalls = int64(installs), int64(unlicensed)
	f.LicenseCompliance, f.DomesticShare = compliance, domestic
	return f, nil
}

// ratio is part/whole, and 1 when whole is 0: no servers means none outside
// the cloud, which is the consolidated state.
func ratio(part, whole int64) float64 {
	if whole == 0 {
		return 1
	}
	return float64(part) / float64(whole)
}

func unit(v float64) bool { return v >= 0 && v <= 1 }

// ProgressPoint is the egovnet_progress point of a department.
func ProgressPoint(district, department string, at time.Time, f Fields) tsdb.Point {
	return tsdb.Point{
		Measurement: tsdb.MeasurementProgress,
		Tags:        map[string]string{"district": district, "department": department},
		Fields:      f.Influx(),
		Time:        at,
	}
}

// AgentPoint is the egovnet_agent point of the report's agent.
func AgentPoint(rep *wire.ScanReport, department string) tsdb.Point {
	agent := rep.Agent.ID
	if agent == "" {
		agent = rep.Agent.Hostname
	}
	at := rep.FinishedAt
	if at.IsZero() {
		at = rep.StartedAt
	}
	return tsdb.Point{
		Measurement: tsdb.MeasurementAgent,
		Tags:        map[string]string{"department": department, "agent": agent},
		Fields: map[string]any{
			"scan_duration_ms": rep.Stats.DurationMs,
			"addresses_probed": rep.Stats.AddressesProbed,
			"endpoints":        int64(len(rep.Endpoints)),
			"errors":           rep.Stats.Errors,
			"spool_depth":      rep.Stats.SpoolDepth,
			"dropped_reports":  rep.Stats.DroppedReports,
		},
		Time: at,
	}
}
