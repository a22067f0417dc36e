#!/usr/bin/env bash
# Peak RSS of a real collector (200,000 violations stored) under the hostile
# inputs of issue #10: licence zip bomb, 16 MB junk CSV, concurrent PDF/XLSX/
# CSV/JSON exports. Loopback only. Usage: hostile.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
go build -o bin/egovnet-collector ./cmd/egovnet-collector
go run ./deploy/bench/hostile --collector bin/egovnet-collector --plan configs/plan.yaml \
	--violations "${HOSTILE_VIOLATIONS:-200000}" | tee "$out/hostile.txt"
