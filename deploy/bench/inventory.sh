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
# Needs root (namespace), snmpsimd, snmpd, snmpbulkwalk. Usage: inventory.sh [OUTDIR]
# Nothing leaves the machine: the simulator listens on 127.0.0.1, the
# namespace has only lo.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
data="${EGOVNET_TESTDATA:-$(cd .. && pwd)/shared/testdata}/snmp"
device="${INV_BENCH_DEVICE:-ssd-h3c-comware-7-1-075}" # the largest recording (8.6 MB)
reps="${INV_BENCH_REPS:-3}"
ndev="${INV_BENCH_DEVICES:-4094}"
manyreps="${INV_BENCH_MANY_REPS:-3}"

for b in snmpsimd snmpd snmpbulkwalk ip bc python3; do
	command -v "$b" >/dev/null || { echo "inventory.sh: $b not installed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "inventory.sh: needs root (network namespace)" >&2; exit 1; }

work="$(mktemp -d /tmp/egovnet-invbench.XXXXXX)"
chmod 755 "$work" # snmpsimd runs as nobody and needs its cache dir inside
ns="egl-snmpi-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
simpid="" snmpdpid=""
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null || true
	[ -n "$snmpdpid" ] && kill "$snmpdpid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

agent="${INV_BENCH_AGENT:-bin/egovnet-agent}"
if [ ! -x "$agent" ]; then
	agent="$work/egovnet-agent"
	CGO_ENABLED=0 go build -trimpath -o "$agent" ./cmd/egovnet-agent
fi
"$agent" snmp-walk --help >/dev/null

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# ---- 1. one full inventory walk vs snmpbulkwalk -Cr50 ---------------------
mkdir -p "$work/cache" && chown nobody:nogroup "$work/cache"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
snmpsimd --data-dir="$data/librenms" --data-dir="$data/snmpsim-data" \
	--agent-udpv4-endpoint=127.0.0.1:"$port" --process-user=nobody --process-group=nogroup \
	--cache-dir="$work/cache" >"$work/snmpsimd.log" 2>&1 &
simpid=$!
for _ in $(seq 1 240); do
	grep -q "Listening at UDP/IPv4 endpoint 127.0.0.1:$port" "$work/snmpsimd.log" && break
	kill -0 "$simpid" 2>/dev/null || { cat "$work/snmpsimd.log" >&2; exit 1; }
	sleep 0.5
done
target="127.0.0.1:$port"
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
for s in $subtrees; do snmpbulkwalk -v2c -c "$device" -Cr50 -On -t 10 "$target" "$s" >/dev/null 2>&1 || true; done

: >"$work/ours.txt"; : >"$work/whole.txt"; : >"$work/theirs.txt"
vb_theirs=0
for _ in $(seq 1 "$reps"); do
	t0=$(now)
	"$agent" snmp-walk --target "$target" --community "$device" --timeout 10s >"$work/inv.json"
	t1=$(now)
	echo "$t1 - $t0" | bc -l >>"$work/ours.txt"
	t0=$(now)
	"$agent" snmp-walk --target "$target" --community "$device" --timeout 10s --whole-tables >"$work/inv-whole.json"
	t1=$(now)
	echo "$t1 - $t0" | bc -l >>"$work/whole.txt"
	t0=$(now)
	vb_theirs=0
	for s in $subtrees; do
		n=$(snmpbulkwalk -v2c -c "$device" -Cr50 -On -t 10 "$target" "$s" 2>/dev/null | grep -vc "No more variables\|No Such" || true)
		vb_theirs=$((vb_theirs + n))
	done
	t1=$(now)
	echo "$t1 - $t0" | bc -l >>"$work/theirs.txt"
done
ours=$(median <"$work/ours.txt")
whole=$(median <"$work/whole.txt")
theirs=$(median <"$work/theirs.txt")
norm='import json,sys; d=json.load(open(sys.argv[1])); d["system"]["uptime_s"]=0; print(json.dumps(d, sort_keys=True))'
cmp -s <(python3 -c "$norm" "$work/inv.json") <(python3 -c "$norm" "$work/inv-whole.json") && same="identical" || same="DIFFERENT"
counts=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(f"{k}={len(d[k])}" for k in ["interfaces","ip_addresses","arp","routes","neighbors","software","fdb","vlans","entities","vrfs","errors"]))' "$work/inv.json")
kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null || true
simpid=""

# ---- 2. many devices, full inventory: one snmpd on AnyIP addresses --------
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" route add local 10.78.0.0/20 dev lo
cat >"$work/snmpd.conf" <<EOF
agentAddress udp:0.0.0.0:161
view inv included .1
view inv excluded .1.3.6.1.2.1.25
rocommunity public 10.78.0.0/20 -V inv
[snmp] serverRecvBuf 4194304
EOF
mkdir -p "$work/snmpd-state"
SNMP_PERSISTENT_DIR="$work/snmpd-state" MIBS= ip netns exec "$ns" snmpd -f -C -c "$work/snmpd.conf" -Lf "$work/snmpd.log" -p "$work/snmpd.pid" &
snmpdpid=$!
for _ in $(seq 1 50); do
	ip netns exec "$ns" snmpget -v2c -c public -t 0.2 -r 0 10.78.0.1 1.3.6.1.2.1.1.2.0 >/dev/null 2>&1 && break
	sleep 0.2
done
python3 - "$ndev" >"$work/targets.txt" <<'EOF'
import ipaddress, sys
n = int(sys.argv[1])
hosts = list(ipaddress.ip_network("10.78.0.0/20").hosts())[:n]
print("\n".join(str(h) for h in hosts))
EOF
ndev=$(wc -l <"$work/targets.txt")
declare -A rate
ip netns exec "$ns" "$agent" snmp-walk --target 10.78.0.1 --community public --timeout 2s >"$work/one.json" 2>/dev/null || true
onecounts=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(f"{k}={len(d[k])}" for k in ["interfaces","ip_addresses","arp","routes","neighbors","software","fdb","vlans","entities","vrfs","errors"]))' "$work/one.json" 2>/dev/null || echo "?")
for c in 64 256; do
	: >"$work/rates-$c.txt"
	for _ in $(seq 1 "$manyreps"); do
		ip netns exec "$ns" "$agent" snmp-walk --targets-file "$work/targets.txt" --community public \
			--concurrency "$c" --timeout 2s --format json >"$work/many-$c.json" 2>"$work/many-$c.err" || true
		sed -n 's/.* \([0-9.]*\) devices\/s.*/\1/p' "$work/many-$c.err" >>"$work/rates-$c.txt"
		answered=$(sed -n 's/.*targets, \([0-9]*\) answered.*/\1/p' "$work/many-$c.err")
		[ "$answered" = "$ndev" ] || echo "WARNING: concurrency $c: $answered of $ndev answered" >&2
	done
	rate[$c]=$(median <"$work/rates-$c.txt")
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

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
