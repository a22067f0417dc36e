// Package loadgen loads a real collector over HTTP on loopback, as a fleet
// of agents would, and measures what it takes (issue #16): it enrols
// synthetic agents over the plan's departments with enrolment tokens,
// uploads valid, synthetic scan reports (data only: addresses of the
// plan's private or documentation prefixes, nothing is probed) and
// reports throughput, latency percentiles, errors by status and the
// collector's resident memory.
//
// The collector is either started by loadgen (Start: `egovnet-collector
// serve` with the product defaults, a generated plan, SQLite or a fresh
// PostgreSQL schema) or an existing one on loopback (Attach). Scenarios:
//   - load: N agents over D departments upload reports of E endpoints at
//     concurrency C for a duration or a number of reports (the small and
//     bulk goals);
//   - district: every department reports once (fill), then single reports
//     of E endpoints are timed one at a time (growth with the district);
//   - department: one department is filled with K endpoints by other
//     agents, then single reports of E endpoints are timed (growth with
//     the department).
//
// It measures, it never asserts: goals are compared in deploy/bench.
package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/server"
)

// Scenarios.
const (
	ScenarioLoad       = "load"
	ScenarioDistrict   = "district"
	ScenarioDepartment = "department"
)

// Options of one run; zero values take the defaults of Defaults.
type Options struct {
	Scenario    string
	Agents      int           // load: agents enrolled, spread over the departments
	Concurrency int           // uploads in flight (load, and the fill of growth scenarios)
	Endpoints   int           // endpoints per measured report
	Reports     int           // load: stop after this many uploads (0: run for Duration)
	Duration    time.Duration // load: how long uploads start when Reports is 0 (those in flight finish)
	Fill        int           // district: endpoints of each department's fill report; department: endpoints pre-filled
	Samples     int           // growth scenarios: single reports timed one at a time
	Progress    io.Writer     // progress lines (nil: none)
}

// Defaults fills the zero fields of o.
func (o Options) Defaults() Options {
	if o.Scenario == "" {
		o.Scenario = ScenarioLoad
	}
	if o.Agents == 0 {
		o.Agents = 64
	}
	if o.Concurrency == 0 {
		o.Concurrency = 32
	}
	if o.Endpoints == 0 {
		o.Endpoints = map[string]int{ScenarioLoad: 10, ScenarioDistrict: 500, ScenarioDepartment: 10}[o.Scenario]
	}
	if o.Reports == 0 && o.Duration == 0 {
		o.Duration = 30 * time.Second
	}
	if o.Fill == 0 {
		o.Fill = map[string]int{ScenarioDistrict: 50, ScenarioDepartment: 1000}[o.Scenario]
	}
	if o.Samples == 0 {
		o.Samples = 10
	}
	return o
}

// Validate names every bad option.
func (o Options) Validate() error {
	var errs []error
	switch o.Scenario {
	case ScenarioLoad, ScenarioDistrict, ScenarioDepartment:
	default:
		errs = append(errs, fmt.Errorf("scenario: %q is not load, district or department", o.Scenario))
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"agents", o.Agents}, {"concurrency", o.Concurrency}, {"endpoints", o.Endpoints}, {"samples", o.Samples}} {
		if c.v < 1 {
			errs = append(errs, fmt.Errorf("%s: must be at least 1 (got %d)", c.name, c.v))
		}
	}
	// The collector takes two uploads per agent at a time (429 beyond);
	// a fleet has more agents than uploads in flight, and so must the load.
	if o.Scenario == ScenarioLoad && o.Agents < o.Concurrency {
		errs = append(errs, fmt.Errorf("agents: at least concurrency (%d), one upload in flight per agent (got %d)", o.Concurrency, o.Agents))
	}
	if o.Reports < 0 || o.Duration < 0 || o.Fill < 0 {
		errs = append(errs, errors.New("reports, duration and fill must not be negative"))
	}
	return errors.Join(errs...)
}

// fillChunk is the size of the reports that fill a department: each comes
// from its own agent, as a department's many scanners would send them.
const fillChunk = 1000

// Run loads t as o says and returns what it measured.
func Run(ctx context.Context, t *Target, o Options) (*Result, error) {
	o = o.Defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	r := &runner{t: t, o: o, c: newClient(t.URL, o.Concurrency),
		res: &Result{Scenario: o.Scenario, Store: t.Store, Concurrency: o.Concurrency, Endpoints: o.Endpoints, Stored: -1,
			JudgedAfterMS: -1, ErrorsByStatus: map[string]int{}}}
	user, pw := t.Credentials()
	before := 0
	if user != "" {
		n, err := r.c.countReports(ctx, user, pw)
		if err != nil {
			return nil, err
		}
		before = n
	}
	var err error
	switch o.Scenario {
	case ScenarioLoad:
		if err = r.load(ctx); err == nil && !t.attached {
			// Under load, scans are judged in batches: the figure a user
			// meets is also how soon the findings caught up.
			err = r.judged(ctx, time.Now())
		}
	case ScenarioDistrict:
		err = r.district(ctx)
	case ScenarioDepartment:
		err = r.department(ctx)
	}
	if t.attached {
		// Not the load tool's collector: its synthetic agents must not
		// keep counting in that collector's findings.
		if rerr := t.Revoke(context.WithoutCancel(ctx), r.enrolled); rerr != nil {
			err = errors.Join(err, rerr)
		} else {
			r.progressf("%d synthetic agents revoked on the attached collector (their %d reports stay stored)", len(r.enrolled), r.stored.Load())
		}
	}
	if err != nil {
		return nil, err
	}
	r.res.Memory = t.Memory()
	r.res.Deferred = int(r.deferred.Load())
	if user != "" {
		n, err := r.c.countReports(ctx, user, pw)
		if err != nil {
			return nil, err
		}
		r.res.Stored = n - before
		r.res.Verified = r.res.Stored == int(r.stored.Load())
	}
	if len(r.res.ErrorsByStatus) == 0 {
		r.res.ErrorsByStatus = nil
	}
	return r.res, nil
}

// judgedWithin bounds the wait for the queued scans to be judged.
const judgedWithin = 2 * time.Minute

// judged waits until no scan is queued for judgement and records how long
// after end that was.
func (r *runner) judged(ctx context.Context, end time.Time) error {
	if err := r.waitJudged(ctx, end); err != nil {
		return err
	}
	r.res.JudgedAfterMS = float64(time.Since(end).Microseconds()) / 1000
	return nil
}

// waitJudged waits until no scan is queued for judgement, at most
// judgedWithin after since.
func (r *runner) waitJudged(ctx context.Context, since time.Time) error {
	return r.t.withApp(ctx, func(app *server.App) error {
		for {
			n, err := lifecycle.QueuedScans(ctx, app.DB)
			if err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
			if time.Since(since) > judgedWithin {
				return fmt.Errorf("%d scans still queued for judgement %s after the last upload", n, judgedWithin)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

type runner struct {
	enrolled []string // agent ids enrolled by this run
	t        *Target
	o        Options
	c        *client
	res      *Result
	stored   atomic.Int64 // uploads answered 202 (stored), fill included
	deferred atomic.Int64 // answers asking to retry later (503/429 with Retry-After)
}

func (r *runner) progressf(format string, args ...any) {
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "loadgen: "+format+"\n", args...)
	}
}

// enrol mints tokens and enrols the agents of perDept[i] agents in
// department i, concurrently.
func (r *runner) enrol(ctx context.Context, depts []Department, perDept []int, prefix string) ([]*agent, error) {
	uses := map[string]int{}
	var agents []*agent
	for i, d := range depts {
		if perDept[i] == 0 {
			continue
		}
		uses[d.Code] += perDept[i]
		for j := 0; j < perDept[i]; j++ {
			agents = append(agents, &agent{Hostname: fmt.Sprintf("%s-%s-%d", prefix, d.Code, j), Dept: d, Index: j})
		}
	}
	tokens, err := r.t.Mint(ctx, uses)
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, len(agents), r.o.Concurrency, func(ctx context.Context, i int) error {
		a := agents[i]
		id, cred, err := r.c.enroll(ctx, tokens[a.Dept.Code], a.Hostname)
		a.ID, a.Credential = id, cred
		return err
	})
	if err != nil {
		return nil, err
	}
	r.res.Agents += len(agents)
	for _, a := range agents {
		r.enrolled = append(r.enrolled, a.ID)
	}
	return agents, nil
}

// send uploads one report; measured ones count in the result. A 503 or
// 429 with Retry-After is what an agent answers by keeping the report and
// sending it again after that pause (collector back-pressure,
// rules.max_judgement_lag): the generator does the same, counts the
// deferral, and times the report from its first attempt to its
// acknowledgement, as the agent meets it.
func (r *runner) send(ctx context.Context, a *agent, n, offset int, measured bool, mu *sync.Mutex, lat *[]time.Duration) error {
	rep := Report(a.Dept, a.ID, a.Hostname, n, offset, time.Now().UTC())
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	start := time.Now()
	var u uploaded
	for {
		u, err = r.c.upload(ctx, a, body)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if (u.status != http.StatusServiceUnavailable && u.status != http.StatusTooManyRequests) || u.retryAfter <= 0 {
			break
		}
		r.deferred.Add(1)
		t := time.NewTimer(u.retryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	status := u.status
	if status == 202 {
		r.stored.Add(1)
	}
	ok := status == 202 || status == 200
	if !measured {
		if !ok {
			return fmt.Errorf("fill upload of %s: status %d: %v", a.Hostname, status, err)
		}
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if ok {
		r.res.Reports++
		*lat = append(*lat, time.Since(start))
		return nil
	}
	r.res.Failed++
	key := strconv.Itoa(status)
	if status == 0 {
		key = "transport"
	}
	r.res.ErrorsByStatus[key]++
	return nil
}

// load: agents spread round-robin over every department; worker w drives
// the agents a with a % C == w in turn, so no agent ever has more than
// one upload in flight when agents >= concurrency (the collector allows
// two per agent).
func (r *runner) load(ctx context.Context) error {
	depts := r.t.Departments
	per := make([]int, len(depts))
	for a := 0; a < r.o.Agents; a++ {
		per[a%len(depts)]++
	}
	r.res.Departments = min(len(depts), r.o.Agents)
	agents, err := r.enrol(ctx, depts, per, "lg")
	if err != nil {
		return err
	}
	r.progressf("%d agents enrolled over %d departments; uploading %d-endpoint reports at concurrency %d", len(agents), r.res.Departments, r.o.Endpoints, r.o.Concurrency)
	var (
		mu     sync.Mutex
		lat    []time.Duration
		issued atomic.Int64
	)
	// With a duration, no upload starts after the deadline but those in
	// flight are answered: every upload the collector saw has a known
	// outcome, so the stored count can be checked exactly.
	start := time.Now()
	deadline := start.Add(r.o.Duration)
	var wg sync.WaitGroup
	for w := 0; w < r.o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				if r.o.Reports > 0 && issued.Add(1) > int64(r.o.Reports) {
					return
				}
				if r.o.Reports == 0 && !time.Now().Before(deadline) {
					return
				}
				// the agents of this worker in turn
				a := agents[(w+k*r.o.Concurrency)%len(agents)]
				if err := r.send(ctx, a, r.o.Endpoints, a.Index*r.o.Endpoints, true, &mu, &lat); err != nil {
					return // interrupted
				}
			}
		}()
	}
	wg.Wait()
	r.finish(time.Since(start), lat)
	return ctx.Err()
}

func (r *runner) finish(elapsed time.Duration, lat []time.Duration) {
	r.res.Seconds = elapsed.Seconds()
	if r.res.Seconds > 0 {
		r.res.ReportsPerSec = float64(r.res.Reports) / r.res.Seconds
		r.res.EndpointsPerS = float64(r.res.Reports*r.o.Endpoints) / r.res.Seconds
	}
	r.res.Latency = Summarise(lat)
}

// district: one agent per department reports Fill endpoints (the
// district), then Samples reports of Endpoints are timed one at a time,
// from the agents of successive departments.
func (r *runner) district(ctx context.Context) error {
	depts := r.t.Departments
	per := make([]int, len(depts))
	for i := range per {
		per[i] = 1
	}
	r.res.Departments = len(depts)
	agents, err := r.enrol(ctx, depts, per, "district")
	if err != nil {
		return err
	}
	if err := r.fill(ctx, agents, r.o.Fill, func(*agent) int { return 0 }); err != nil {
		return err
	}
	return r.samples(ctx, func(i int) *agent { return agents[i%len(agents)] }, 0)
}

// department: ceil(Fill/1000) agents fill the first department with Fill
// endpoints, 1000 each at distinct addresses; then one more agent's
// reports of Endpoints addresses beyond the fill are timed one at a time.
func (r *runner) department(ctx context.Context) error {
	d := r.t.Departments[0]
	for _, c := range r.t.Departments {
		if c.Capacity() > d.Capacity() {
			d = c
		}
	}
	if d.Capacity() < r.o.Fill+r.o.Endpoints {
		return fmt.Errorf("department scenario: the largest department %s holds %d addresses, fewer than fill %d + endpoints %d", d.Code, d.Capacity(), r.o.Fill, r.o.Endpoints)
	}
	fillers := (r.o.Fill + fillChunk - 1) / fillChunk
	r.res.Departments = 1
	agents, err := r.enrol(ctx, []Department{d}, []int{fillers + 1}, "dept")
	if err != nil {
		return err
	}
	fill, probe := agents[:fillers], agents[fillers]
	if err := r.fill(ctx, fill, fillChunk, func(a *agent) int { return a.Index * fillChunk }); err != nil {
		return err
	}
	return r.samples(ctx, func(int) *agent { return probe }, r.o.Fill)
}

// fill uploads one report of n endpoints per agent at the run's
// concurrency; its time is reported apart from the measured samples.
func (r *runner) fill(ctx context.Context, agents []*agent, n int, offset func(*agent) int) error {
	if n == 0 {
		return nil
	}
	r.progressf("filling: %d reports of %d endpoints", len(agents), n)
	start := time.Now()
	err := parallel(ctx, len(agents), r.o.Concurrency, func(ctx context.Context, i int) error {
		return r.send(ctx, agents[i], n, offset(agents[i]), false, nil, nil)
	})
	r.res.FillReports, r.res.FillEndpoint, r.res.FillSeconds = len(agents), len(agents)*n, time.Since(start).Seconds()
	if err == nil && !r.t.attached {
		// The samples time one report in the filled collector at rest,
		// not beside the fill's own judgements (queued: it arrived at
		// once), which would charge the district's backlog to them.
		err = r.waitJudged(ctx, time.Now())
	}
	return err
}

// samples times Samples single reports, one at a time (concurrency 1):
// the cost of one report in the filled collector.
func (r *runner) samples(ctx context.Context, pick func(int) *agent, offset int) error {
	r.progressf("timing %d single reports of %d endpoints", r.o.Samples, r.o.Endpoints)
	r.res.Concurrency = 1
	var mu sync.Mutex
	var lat []time.Duration
	start := time.Now()
	for i := 0; i < r.o.Samples; i++ {
		if err := r.send(ctx, pick(i), r.o.Endpoints, offset, true, &mu, &lat); err != nil {
			return err
		}
	}
	r.finish(time.Since(start), lat)
	return nil
}

// parallel runs fn(0..n-1) on at most c goroutines; the first error stops
// the rest and is returned.
func parallel(ctx context.Context, n, c int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	for w := 0; w < min(c, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
