#!/usr/bin/env bash
# Full-inventory SNMP benchmarks (issue #13), one run, beside the reference tool:
#  1. one full inventory walk (every table: interfaces, addresses, ARP,
#     routes, LLDP/CDP, software, VLANs, FDB with bridge ports, ENTITY-MIB,
#     MPLS-L3VPN VRFs) of the largest recording, served by snmpsimd on
#     loopback: `egovnet-agent snmp-walk` vs `snmpbulkwalk -Cr50` of the same
#     subtrees (the ones the walk reads on that device; snmpbulkwalk reads them
#     whole, one process per subtree). Goal: ratio <= 1.0x.
#  2. many devices, full inventory: one net-snmp snmpd answering on N AnyIP
#     addresses (10.78.0.0/20 routed "local" to lo) inside a private network
#     namespace egl-snmpi-<rand>, walked from inside it at concurrency 64 and
#     256 with every table. The view leaves out HOST-RESOURCES (the machine's
#     own dpkg list would make every "switch" a server with hundreds of
#     packages). Goal: >= 300 devices/s.
# The steps shared with snmp.sh are in snmp-common.sh.
# Needs root (namespace), snmpsimd, snmpd, snmpbulkwalk. Usage: inventory.sh [OUTDIR]
# Nothing leaves the machine: the simulator listens on 127.0.0.1, the
# namespace has only lo.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
bench=inventory.sh
data="${EGOVNET_TESTDATA:-$(cd .. && pwd)/shared/testdata}/snmp"
device="${INV_BENCH_DEVICE:-ssd-h3c-comware-7-1-075}" # the largest recording (8.6 MB)
reps="${INV_BENCH_REPS:-3}"
ndev="${INV_BENCH_DEVICES:-4094}"
manyreps="${INV_BENCH_MANY_REPS:-3}"
source deploy/bench/snmp-common.sh
snmp_setup egovnet-invbench egl-snmpi "${INV_BENCH_AGENT:-bin/egovnet-agent}" bc python3
lists=(interfaces ip_addresses arp routes neighbors software fdb vlans entities vrfs errors)

# ---- 1. one full inventory walk vs snmpbulkwalk -Cr50 ---------------------
snmp_simulator 240
# The subtrees the full walk reads on this device: inetCidrRouteTable is
# served, so the older route tables are not read; no LLDP remotes, so no
# man-addr/local-port tables; Q-BRIDGE FDB is served, so not dot1dTpFdb; the
# static VLAN table has egress ports, so not the current one; VRFs are listed
# only if mplsL3VpnVrfTable answers (it is read, empty).
subtrees="1.3.6.1.2.1.1 1.3.6.1.2.1.2.2 1.3.6.1.2.1.31.1.1 1.3.6.1.2.1.4.34 1.3.6.1.2.1.4.20
1.3.6.1.2.1.4.35 1.3.6.1.2.1.4.22 1.3.6.1.2.1.4.24.7 1.0.8802.1.1.2.1.4.1 1.3.6.1.4.1.9.9.23.1.2.1
1.3.6.1.2.1.25.6.3 1.3.6.1.2.1.17.1.4 1.3.6.1.2.1.17.7.1.4.3 1.3.6.1.2.1.17.7.1.2.2 1.3.6.1.2.1.47.1.1.1
1.3.6.1.2.1.10.166.11.1.2.2"
nsub=$(echo $subtrees | wc -w)
"$agent" snmp-walk --target "$target" --community "$device" --timeout 10s >"$work/inv.json" # warm the simulator
snmp_walks "$subtrees"
counts=$(snmp_counts "$work/inv.json" "${lists[@]}")
snmp_stop_simulator

# ---- 2. many devices, full inventory: one snmpd on AnyIP addresses --------
snmp_namespace 10.78.0.0/20 "view inv included .1" "view inv excluded .1.3.6.1.2.1.25" "rocommunity public 10.78.0.0/20 -V inv"
ip netns exec "$ns" "$agent" snmp-walk --target 10.78.0.1 --community public --timeout 2s >"$work/one.json" 2>/dev/null || true
onecounts=$(snmp_counts "$work/one.json" "${lists[@]}" 2>/dev/null || echo "?")
snmp_many 64 256

{
	echo "SNMP full-inventory benchmarks ($(date -u +%FT%TZ), $(nproc) cores, one run)"
	echo
	echo "1. one full inventory walk of '$device' (snmpsimd 0.4.5 on loopback), median of $reps"
	printf '%-46s %10s %8s\n' "tool" "seconds" "ratio"
	printf '%-46s %10.3f %8.2fx\n' "egovnet-agent snmp-walk (all tables)" "$ours" "$(echo "$ours / $theirs" | bc -l)"
	printf '%-46s %10.3f %8.2fx\n' "egovnet-agent snmp-walk --whole-tables" "$whole" "$(echo "$whole / $theirs" | bc -l)"
	printf '%-46s %10.3f %8.2fx\n' "snmpbulkwalk -Cr50 ($nsub subtrees whole)" "$theirs" 1
	echo "   snmpbulkwalk returned $vb_theirs varbinds"
	echo "   inventory: $counts"
	echo "   column and whole-table inventories $same   (goal: ratio <= 1.0x)"
	echo
	echo "2. many devices, full inventory (every table): one snmpd on $ndev AnyIP addresses in a namespace, median of $manyreps runs"
	echo "   one device: $onecounts"
	printf '%-12s %14s\n' "concurrency" "devices/s"
	for c in 64 256; do
		printf '%-12s %14.1f\n' "$c" "${rate[$c]}"
	done
	echo "   goal: >= 300 devices/s (load average during the run: $load)"
} | tee "$out/inventory-bench.txt"
