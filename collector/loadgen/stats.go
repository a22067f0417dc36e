package loadgen

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// durations: the smallest value with at least p% of the samples at or
// below it. Nearest rank, not interpolation, so a reported p99 is always a
// latency some request really had. Empty input gives 0.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Latency summarises request latencies in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarise sorts ds in place and summarises it.
func Summarise(ds []time.Duration) Latency {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	l := Latency{Count: len(ds), P50: ms(Percentile(ds, 50)), P90: ms(Percentile(ds, 90)), P99: ms(Percentile(ds, 99))}
	if len(ds) > 0 {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		l.Mean, l.Max = ms(sum/time.Duration(len(ds))), ms(ds[len(ds)-1])
	}
	return l
}

// Memory is the collector process's memory as the kernel accounts it
// (/proc/<pid>/status), in KiB; zero when the pid is unknown.
type Memory struct {
	PID   int   `json:"pid,omitempty"`
	HWMKB int64 `json:"vm_hwm_kb"` // peak resident set
	RSSKB int64 `json:"vm_rss_kb"` // resident set at the end of the run
}

// Result is what one loadgen run measured.
type Result struct {
	Scenario     string  `json:"scenario"`
	Store        string  `json:"store"` // sqlite, postgres or "" (an existing collector)
	Departments  int     `json:"departments"`
	Agents       int     `json:"agents"`
	Endpoints    int     `json:"endpoints_per_report"`
	Concurrency  int     `json:"concurrency"`
	FillReports  int     `json:"fill_reports,omitempty"`
	FillEndpoint int     `json:"fill_endpoints,omitempty"`
	FillSeconds  float64 `json:"fill_seconds,omitempty"`

	Reports        int            `json:"reports"` // uploads answered 202 or 200 in the measured phase
	Failed         int            `json:"failed"`  // uploads answered otherwise or not at all
	ErrorsByStatus map[string]int `json:"errors_by_status,omitempty"`
	// Deferred counts answers asking to send again later (503 or 429 with
	// Retry-After: the collector's back-pressure); the report was sent
	// again after the pause, as an agent does, and counts once.
	Deferred      int     `json:"deferred"`
	Seconds       float64 `json:"seconds"`
	ReportsPerSec float64 `json:"reports_per_s"`
	EndpointsPerS float64 `json:"endpoints_per_s"`
	Latency       Latency `json:"latency"`
	Memory        Memory  `json:"memory"`

	// Stored is GET /api/v1/reports' X-Total-Count after the run (-1 when
	// not checked): every acknowledged upload, fill included, must be there.
	Stored   int  `json:"stored_reports"`
	Verified bool `json:"verified"`
	// JudgedAfterMS is how long after the last upload every queued scan
	// (rules.batch_above, rules.batch_under_load) had been judged, so the
	// findings stood for every report (-1 when not checked: an attached
	// collector, or a scenario without a load phase).
	JudgedAfterMS float64 `json:"judged_after_ms"`
}

// WriteText prints r for people, one fact a line, in a fixed order so
// scripts can also grep it.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario     %s (store %s)\n", r.Scenario, orDash(r.Store))
	fmt.Fprintf(&b, "load         %d departments, %d agents, %d endpoints/report, concurrency %d\n", r.Departments, r.Agents, r.Endpoints, r.Concurrency)
	if r.FillReports > 0 {
		fmt.Fprintf(&b, "fill         %d reports, %d endpoints in %.1f s\n", r.FillReports, r.FillEndpoint, r.FillSeconds)
	}
	fmt.Fprintf(&b, "reports      %d ok, %d failed in %.2f s\n", r.Reports, r.Failed, r.Seconds)
	fmt.Fprintf(&b, "throughput   %.1f reports/s, %.0f endpoints/s\n", r.ReportsPerSec, r.EndpointsPerS)
	l := r.Latency
	fmt.Fprintf(&b, "latency      p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, mean %.1f ms\n", l.P50, l.P90, l.P99, l.Max, l.Mean)
	if len(r.ErrorsByStatus) > 0 {
		keys := make([]string, 0, len(r.ErrorsByStatus))
		for k := range r.ErrorsByStatus {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %d", k, r.ErrorsByStatus[k]))
		}
		fmt.Fprintf(&b, "errors       %s\n", strings.Join(parts, ", "))
	}
	if r.Deferred > 0 {
		fmt.Fprintf(&b, "deferred     %d answers asked to retry later (Retry-After); those reports were sent again\n", r.Deferred)
	}
	if r.Memory.PID > 0 {
		fmt.Fprintf(&b, "collector    pid %d, peak RSS %.1f MiB, RSS %.1f MiB\n", r.Memory.PID, float64(r.Memory.HWMKB)/1024, float64(r.Memory.RSSKB)/1024)
	}
	if r.Stored >= 0 {
		fmt.Fprintf(&b, "stored       %d reports listed by GET /api/v1/reports (verified %v)\n", r.Stored, r.Verified)
	}
	if r.JudgedAfterMS >= 0 {
		fmt.Fprintf(&b, "judged       every queued scan judged %.1f s after the last upload\n", r.JudgedAfterMS/1000)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
