#!/usr/bin/env bash
# SNMP benchmarks, one run, side by side with the reference tool:
#  1. one full walk of a big recording (snmpsimd on loopback):
#     `egovnet-agent snmp-walk` vs `snmpbulkwalk -Cr50` over the same tables
#     (snmpbulkwalk reads them whole, one process per subtree; snmp-walk reads
#     the columns it decodes of ifTable, ARP, route and software tables, and
#     the rest whole, several tables per GETBULK, in one process);
#  2. many devices against one net-snmp snmpd answering on 4094 AnyIP
#     addresses (10.77.0.0/20 routed "local" to lo) inside a private network
#     namespace egl-snmpb-<rand>, walked from inside that namespace at
#     concurrency 1, 16, 64, 256 with the light profile: the system group
#     (one GET, which is also the credential probe) + interfaces, one GETBULK
#     per device here (--tables interfaces).
# The steps shared with inventory.sh are in snmp-common.sh.
# Needs root (namespace), snmpsimd, snmpd, snmpbulkwalk. Usage: snmp.sh [OUTDIR]
# Nothing leaves the machine: the simulator listens on 127.0.0.1, the
# namespace has only lo.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
bench=snmp.sh
data="${EGOVNET_TESTDATA:-$(cd .. && pwd)/shared/testdata}/snmp"
device="${SNMP_BENCH_DEVICE:-ssd-cisco-n5000}"
reps="${SNMP_BENCH_REPS:-3}"
ndev="${SNMP_BENCH_DEVICES:-4094}"
manyreps="${SNMP_BENCH_MANY_REPS:-5}" # the machine is shared: median of several runs per level
source deploy/bench/snmp-common.sh
snmp_setup egovnet-snmpbench egl-snmpb "${SNMP_BENCH_AGENT:-bin/egovnet-agent}"

# ---- 1. one full walk: egovnet-agent vs snmpbulkwalk -Cr50 -----------------
snmp_simulator 180
# The first-round tables these 15 subtrees hold; the full inventory (VLANs,
# FDB, ENTITY, VRFs and their context walks) is deploy/bench/inventory.sh.
tables="interfaces,ip_addresses,arp,routes,neighbors,software"
# The subtrees our full walk reads (routes: all three tables, as this device
# serves only ipRouteTable; LLDP man-addr and local ports because it has remotes).
subtrees="1.3.6.1.2.1.1 1.3.6.1.2.1.2.2 1.3.6.1.2.1.31.1.1 1.3.6.1.2.1.4.34 1.3.6.1.2.1.4.20
1.3.6.1.2.1.4.35 1.3.6.1.2.1.4.22 1.3.6.1.2.1.4.24.7 1.3.6.1.2.1.4.24.4 1.3.6.1.2.1.4.21
1.0.8802.1.1.2.1.4.1 1.0.8802.1.1.2.1.4.2 1.0.8802.1.1.2.1.3.7 1.3.6.1.4.1.9.9.23.1.2.1 1.3.6.1.2.1.25.6.3"
# warm the simulator's caches once with each tool
"$agent" snmp-walk --target "$target" --community "$device" --tables "$tables" --timeout 10s >"$work/inv.json"
for s in $subtrees; do snmpbulkwalk -v2c -c "$device" -Cr50 -On -t 10 "$target" "$s" >/dev/null 2>&1 || true; done
snmp_walks "$subtrees" --tables "$tables"
counts=$(snmp_counts "$work/inv.json" interfaces ip_addresses arp routes neighbors software errors)

# ---- 2. many devices: one snmpd on AnyIP addresses in a namespace ----------
snmp_namespace 10.77.0.0/20 "rocommunity public 10.77.0.0/20"
ip netns exec "$ns" "$agent" snmp-walk --targets-file "$work/targets.txt" --community public \
	--tables interfaces --concurrency 64 --timeout 2s >/dev/null 2>&1 || true # warm-up
snmp_many 1 16 64 256 -- --tables interfaces
peak=$(printf '%s\n' "${rate[@]}" | sort -g | tail -1)

{
	echo "SNMP benchmarks ($(date -u +%FT%TZ), $(nproc) cores, one run)"
	echo
	echo "1. one full walk of '$device' (snmpsimd 0.4.5 on loopback), median of $reps"
	printf '%-44s %10s %8s\n' "tool" "seconds" "ratio"
	printf '%-44s %10.3f %8.2fx\n' "egovnet-agent snmp-walk (decoded columns)" "$ours" "$(echo "$ours / $theirs" | bc -l)"
	printf '%-44s %10.3f %8.2fx\n' "egovnet-agent snmp-walk --whole-tables" "$whole" "$(echo "$whole / $theirs" | bc -l)"
	printf '%-44s %10.3f %8.2fx\n' "snmpbulkwalk -Cr50 (15 subtrees whole)" "$theirs" 1
	echo "   snmpbulkwalk returned $vb_theirs varbinds"
	echo "   inventory: $counts; column and whole-table inventories $same   (goal: ratio <= 1.0x)"
	echo
	echo "2. many devices: one snmpd on $ndev AnyIP addresses in a namespace, median of $manyreps runs each"
	echo "   light profile: system group GET + interfaces (--tables interfaces), 2 requests/device"
	printf '%-12s %14s %12s\n' "concurrency" "devices/s" "of peak"
	for c in 1 16 64 256; do
		printf '%-12s %14.1f %11.2fx\n' "$c" "${rate[$c]}" "$(echo "${rate[$c]} / $peak" | bc -l)"
	done
	echo "   goal: >= 2500 devices/s, concurrency 256 >= 0.9x of peak (load average during the run: $load)"
} | tee "$out/snmp-bench.txt"
