#!/usr/bin/env bash
# UI first render: each workplace page loaded afresh in headless Chromium
# (script, session check, the page's API calls, drawing) against a collector
# seeded with 50 departments, 20,000 endpoints and 500 devices. Goal: under
# 1 s per page on the reference machine. Measured, never asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
EGOVNET_BENCH_UI=1 go test -run '^$' -bench 'WorkplaceFirstRender' -benchtime "${UI_BENCHTIME:-5x}" -timeout 40m ./collector/e2e/ | tee "$out/ui.txt"
