#!/usr/bin/env bash
# Ingest at scale (issue #16): one report through the whole collector chain
# (inventory, rules, ledger, progress) on SQLite and PostgreSQL, with the
# product defaults (synchronous SQLite commits, fixed processors):
#   small      10-endpoint reports of 64 agents over 50 departments (reports/s)
#   bulk       10,000-endpoint reports (endpoints/s)
#   district-* a 500-endpoint report in a district of 50 vs 200 departments
#   dept-*     a 10-endpoint report in a department of 1k vs 10k endpoints
# then the scale check: 640 reports of 64 agents through two collectors on
# one PostgreSQL must give exactly the offline audit's findings.
# PostgreSQL: EGOVNET_TEST_POSTGRES_DSN (default the local test database).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
{
	go test -run '^$' -bench 'Pipeline/(sqlite|postgres)/small' -benchtime 200x -count 1 ./cmd/egovnet-collector/
	go test -run '^$' -bench 'Pipeline/(sqlite|postgres)/bulk' -benchtime 3x -count 1 ./cmd/egovnet-collector/
	go test -run '^$' -bench 'Pipeline/(sqlite|postgres)/(district|dept)' -benchtime 5x -count 1 ./cmd/egovnet-collector/
	EGOVNET_SCALE_REPORTS=640 go test -count=1 -run TestScaleTwoCollectorsMatchAudit -v ./cmd/egovnet-collector/
} 2>&1 | tee "$out/ingest.txt"
