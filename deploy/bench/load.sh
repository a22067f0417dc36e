#!/usr/bin/env bash
# Collector load over HTTP (issue #16), the product as the README runs it:
# `egovnet-collector loadgen` starts `egovnet-collector serve` with the
# default configuration (a generated plan, a loopback port), enrols
# synthetic agents with enrolment tokens and uploads synthetic reports
# (data only, private 10.0.0.0/8 addresses; nothing is probed). Each run
# gets a fresh collector: a new SQLite data dir, or a new PostgreSQL schema
# dropped afterwards. Scenarios, on SQLite and on PostgreSQL:
#   small       10-endpoint reports, 64 agents over 50 departments, concurrency 32
#   small-fleet the same from 3,000 agents (each then reports about once per
#               rules.batch_interval, as a fleet's agents do)
#   bulk        10,000-endpoint reports of 32 agents at concurrency 32 (endpoints/s)
#   district-*  one 500-endpoint report at a time after every department of a
#               50- or 200-department district reported 50 endpoints
#   dept-*      one 10-endpoint report at a time in a department that other
#               agents filled with 1k or 50k endpoints
# Measured, never asserted; the goals are printed beside the figures.
# PostgreSQL: EGOVNET_TEST_POSTGRES_DSN (default the local test database);
# skipped with a note when it does not answer.
# Knobs: LOAD_DURATION (small, 30s), LOAD_BULK_REPORTS (64), LOAD_BULK_CONCURRENCY (32),
# LOAD_SAMPLES (20), LOAD_BIG_DEPT (50000), LOAD_FLEET_AGENTS (3000). Usage: load.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
command -v jq >/dev/null || { echo "load.sh: jq not installed" >&2; exit 1; }
collector="${LOAD_COLLECTOR:-bin/egovnet-collector}"
work="$(mktemp -d /tmp/egovnet-loadbench.XXXXXX)"
trap 'rm -rf "$work"' EXIT INT TERM
if [ ! -x "$collector" ]; then
	CGO_ENABLED=0 go build -trimpath -o "$work/egovnet-collector" ./cmd/egovnet-collector
	collector="$work/egovnet-collector"
fi
dsn="${EGOVNET_TEST_POSTGRES_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
duration="${LOAD_DURATION:-30s}"
bulk_reports="${LOAD_BULK_REPORTS:-64}"
bulk_conc="${LOAD_BULK_CONCURRENCY:-32}"
samples="${LOAD_SAMPLES:-20}"
big="${LOAD_BIG_DEPT:-50000}"
fleet="${LOAD_FLEET_AGENTS:-3000}"

backends=(sqlite)
if psql "$dsn" -Atqc 'select 1' >/dev/null 2>&1; then
	backends+=(postgres)
else
	echo "load.sh: PostgreSQL at $dsn does not answer: postgres skipped" >&2
fi

# run NAME BACKEND ARGS...: one loadgen run; its JSON goes to $work/NAME-BACKEND.json
cmds=()
run() {
	local name=$1 backend=$2
	shift 2
	local args=("$@") shown="$*"
	if [ "$backend" = postgres ]; then
		args+=(--postgres "$dsn")
		shown+=' --postgres "$EGOVNET_TEST_POSTGRES_DSN"'
	fi
	cmds+=("$backend/$name: egovnet-collector loadgen $shown")
	echo "== $backend/$name" >&2
	"$collector" loadgen --json "${args[@]}" >"$work/$name-$backend.json"
}

for b in "${backends[@]}"; do
	run small "$b" --scenario load --departments 50 --agents 64 --concurrency 32 --endpoints 10 --duration "$duration"
	# the same load from a fleet: each agent reports about once per batch_interval, as agents do
	run small-fleet "$b" --scenario load --departments 50 --agents "$fleet" --concurrency 32 --endpoints 10 --duration "$duration"
	# one agent per department: every agent's 10,000 addresses are its own
	run bulk "$b" --scenario load --departments "$bulk_conc" --agents "$bulk_conc" --concurrency "$bulk_conc" --endpoints 10000 --reports "$bulk_reports"
	run district-50 "$b" --scenario district --departments 50 --fill 50 --endpoints 500 --samples "$samples"
	run district-200 "$b" --scenario district --departments 200 --fill 50 --endpoints 500 --samples "$samples"
	run dept-1k "$b" --scenario department --departments 4 --fill 1000 --endpoints 10 --samples "$samples"
	run dept-big "$b" --scenario department --departments 4 --fill "$big" --endpoints 10 --samples "$samples"
done

p50() { jq -r '.latency.p50_ms' "$work/$1-$2.json"; }
{
	echo "Collector load over loopback HTTP ($(date -u +%FT%TZ), $(nproc) cores shared by collector, database and load; product defaults)"
	echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo ?); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	printf '%-22s %6s %6s %9s %11s %9s %9s %9s %9s %8s %8s %s\n' scenario conc ok reports/s endpoints/s p50_ms p90_ms p99_ms max_ms rss_MiB judged_s "errors / stored"
	for b in "${backends[@]}"; do
		for s in small small-fleet bulk district-50 district-200 dept-1k dept-big; do
			jq -r --arg n "$b/$s" '[$n, .concurrency, .reports, .reports_per_s, .endpoints_per_s, .latency.p50_ms, .latency.p90_ms,
				.latency.p99_ms, .latency.max_ms, (.memory.vm_hwm_kb/1024),
				(if (.judged_after_ms // -1) < 0 then "-" else (.judged_after_ms / 100 | round / 10 | tostring) end),
				(((.errors_by_status // {}) | to_entries | map("\(.key):\(.value)") | join(",")) as $e
				 | (if $e == "" then "none" else $e end) + " / \(.stored_reports) verified=\(.verified)")]
				| @tsv' "$work/$s-$b.json" |
				awk -F'\t' '{printf "%-22s %6d %6d %9.1f %11.0f %9.1f %9.1f %9.1f %9.1f %8.1f %8s %s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12}'
		done
	done
	echo "   rss_MiB: the collector's peak resident set (VmHWM); growth rows time single reports one at a time (conc 1)"
	echo "   judged_s: seconds after the last upload until every queued scan was judged (findings stand for every report)"
	for b in "${backends[@]}"; do
		for s in district-50 district-200 dept-1k dept-big; do
			jq -r --arg n "$b/$s" '"   fill of \($n): \(.fill_reports) reports, \(.fill_endpoints) endpoints in \(.fill_seconds * 10 | round / 10) s"' "$work/$s-$b.json"
		done
	done
	echo
	echo "Goals (issue #16):"
	for b in "${backends[@]}"; do
		small_rate=$(jq -r .reports_per_s "$work/small-$b.json")
		small_p99=$(jq -r .latency.p99_ms "$work/small-$b.json")
		bulk_rate=$(jq -r .endpoints_per_s "$work/bulk-$b.json")
		dist=$(echo "$(p50 district-200 "$b") / $(p50 district-50 "$b")" | bc -l)
		dept=$(echo "$(p50 dept-big "$b") / $(p50 dept-1k "$b")" | bc -l)
		fleet_rate=$(jq -r .reports_per_s "$work/small-fleet-$b.json")
		fleet_p99=$(jq -r .latency.p99_ms "$work/small-fleet-$b.json")
		printf '  %-8s small %.1f reports/s (goal >= 1000) p99 %.0f ms (goal <= 100); bulk %.0f endpoints/s (goal >= 100000)\n' "$b" "$small_rate" "$small_p99" "$bulk_rate"
		printf '  %-8s small from %d agents %.1f reports/s p99 %.0f ms\n' "$b" "$fleet" "$fleet_rate" "$fleet_p99"
		printf '  %-8s growth: district 200/50 p50 %.2fx (goal <= 1.5x); department %d/1k endpoints p50 %.2fx (goal <= 2x)\n' "$b" "$dist" "$big" "$dept"
	done
	echo
	echo "Commands:"
	printf '  %s\n' "${cmds[@]}"
} | tee "$out/load.txt"
for f in "$work"/*.json; do cp "$f" "$out/load-$(basename "$f")"; done # the full results, for scripts
