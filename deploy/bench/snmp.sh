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
# Needs root (namespace), snmpsimd, snmpd, snmpbulkwalk. Usage: snmp.sh [OUTDIR]
# Nothing leaves the machine: the simulator listens on 127.0.0.1, the
# namespace has only lo.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
data="${EGOVNET_TESTDATA:-$(cd .. && pwd)/shared/testdata}/snmp"
device="${SNMP_BENCH_DEVICE:-ssd-cisco-n5000}"
reps="${SNMP_BENCH_REPS:-3}"
ndev="${SNMP_BENCH_DEVICES:-4094}"
manyreps="${SNMP_BENCH_MANY_REPS:-5}" # the machine is shared: median of several runs per level

for b in snmpsimd snmpd snmpbulkwalk ip; do
	command -v "$b" >/dev/null || { echo "snmp.sh: $b not installed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "snmp.sh: needs root (network namespace)" >&2; exit 1; }

work="$(mktemp -d /tmp/egovnet-snmpbench.XXXXXX)"
chmod 755 "$work" # snmpsimd runs as nobody and needs its cache dir inside
ns="egl-snmpb-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
simpid="" snmpdpid=""
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null || true
	[ -n "$snmpdpid" ] && kill "$snmpdpid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The agent binary: bin/ from `make build`, else built here.
agent="${SNMP_BENCH_AGENT:-bin/egovnet-agent}"
if [ ! -x "$agent" ]; then
	agent="$work/egovnet-agent"
	CGO_ENABLED=0 go build -trimpath -o "$agent" ./cmd/egovnet-agent
fi
"$agent" snmp-walk --help >/dev/null

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# ---- 1. one full walk: egovnet-agent vs snmpbulkwalk -Cr50 -----------------
mkdir -p "$work/cache" && chown nobody:nogroup "$work/cache"
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
snmpsimd --data-dir="$data/librenms" --data-dir="$data/snmpsim-data" \
	--agent-udpv4-endpoint=127.0.0.1:"$port" --process-user=nobody --process-group=nogroup \
	--cache-dir="$work/cache" >"$work/snmpsimd.log" 2>&1 &
simpid=$!
for _ in $(seq 1 180); do
	grep -q "Listening at UDP/IPv4 endpoint 127.0.0.1:$port" "$work/snmpsimd.log" && break
	kill -0 "$simpid" 2>/dev/null || { cat "$work/snmpsimd.log" >&2; exit 1; }
	sleep 0.5
done
target="127.0.0.1:$port"
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

: >"$work/ours.txt"; : >"$work/whole.txt"; : >"$work/theirs.txt"
vb_theirs=0
for _ in $(seq 1 "$reps"); do
	t0=$(now)
	"$agent" snmp-walk --target "$target" --community "$device" --tables "$tables" --timeout 10s >"$work/inv.json"
	t1=$(now)
	echo "$t1 - $t0" | bc -l >>"$work/ours.txt"
	t0=$(now)
	"$agent" snmp-walk --target "$target" --community "$device" --tables "$tables" --timeout 10s --whole-tables >"$work/inv-whole.json"
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
cmp -s <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["system"]["uptime_s"]=0; print(json.dumps(d, sort_keys=True))' "$work/inv.json") \
	<(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["system"]["uptime_s"]=0; print(json.dumps(d, sort_keys=True))' "$work/inv-whole.json") &&
	same="identical" || same="DIFFERENT"
theirs=$(median <"$work/theirs.txt")
counts=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(f"{k}={len(d[k])}" for k in ["interfaces","ip_addresses","arp","routes","neighbors","software","errors"]))' "$work/inv.json")

# ---- 2. many devices: one snmpd on AnyIP addresses in a namespace ----------
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" route add local 10.77.0.0/20 dev lo
# One snmpd plays 4094 devices: give its socket the buffer 256 concurrent
# requests need (the 208 KiB default drops some, each costing a timeout).
cat >"$work/snmpd.conf" <<EOF
agentAddress udp:0.0.0.0:161
rocommunity public 10.77.0.0/20
[snmp] serverRecvBuf 4194304
EOF
mkdir -p "$work/snmpd-state"
SNMP_PERSISTENT_DIR="$work/snmpd-state" MIBS= ip netns exec "$ns" snmpd -f -C -c "$work/snmpd.conf" -Lf "$work/snmpd.log" -p "$work/snmpd.pid" &
snmpdpid=$!
for _ in $(seq 1 50); do
	ip netns exec "$ns" snmpget -v2c -c public -t 0.2 -r 0 10.77.0.1 1.3.6.1.2.1.1.2.0 >/dev/null 2>&1 && break
	sleep 0.2
done
python3 - "$ndev" >"$work/targets.txt" <<'EOF'
import ipaddress, sys
n = int(sys.argv[1])
hosts = list(ipaddress.ip_network("10.77.0.0/20").hosts())[:n]
print("\n".join(str(h) for h in hosts))
EOF
ndev=$(wc -l <"$work/targets.txt")
declare -A rate
ip netns exec "$ns" "$agent" snmp-walk --targets-file "$work/targets.txt" --community public \
	--tables interfaces --concurrency 64 --timeout 2s >/dev/null 2>&1 || true # warm-up
for c in 1 16 64 256; do
	: >"$work/rates-$c.txt"
	for _ in $(seq 1 "$manyreps"); do
		ip netns exec "$ns" "$agent" snmp-walk --targets-file "$work/targets.txt" --community public \
			--tables interfaces --concurrency "$c" --timeout 2s --format json >"$work/many-$c.json" 2>"$work/many-$c.err" || true
		sed -n 's/.* \([0-9.]*\) devices\/s.*/\1/p' "$work/many-$c.err" >>"$work/rates-$c.txt"
		answered=$(sed -n 's/.*targets, \([0-9]*\) answered.*/\1/p' "$work/many-$c.err")
		[ "$answered" = "$ndev" ] || echo "WARNING: concurrency $c: $answered of $ndev answered" >&2
	done
	rate[$c]=$(median <"$work/rates-$c.txt")
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
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
