#!/usr/bin/env bash
# make bench: every benchmark, side by side with the reference tools, in one
# run, so ratios compare like with like on the same machine at the same time.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${BENCH_OUT:-bench-results}"
mkdir -p "$out"
echo "== Go benchmarks"
go test -run '^$' -bench . -benchmem ./... | tee "$out/go-bench.txt"
for s in deploy/bench/sweep.sh deploy/bench/snmp.sh deploy/bench/inventory.sh deploy/bench/ingest.sh deploy/bench/load.sh deploy/bench/ui.sh; do
	if [ -x "$s" ]; then
		echo "== $s"
		bash "$s" "$out"
	fi
done
[ -x deploy/bench/hostile.sh ] && { echo "== deploy/bench/hostile.sh"; bash deploy/bench/hostile.sh "$out"; } # H-export: collector peak RSS under hostile inputs (#10)
echo "results in $out/"
