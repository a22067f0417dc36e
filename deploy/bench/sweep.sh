#!/usr/bin/env bash
# Host discovery benchmark (issue 4): egovnet's one-socket ICMP sweep and its
# AF_PACKET ARP scan side by side with fping and nmap, in ONE run, on
# networks built here in namespaces (root only; nothing leaves the machine):
#
#   scanner --veth-- router --veth-- target     routed: 10.20.0.0/20 (live
#      |                                        10.20.4.0/22 as AnyIP local
#      +--veth-- lan                            routes on target, the rest
#                                               blackholed by the router) and
#                                               10.16.0.0/16 (all live)
#   on-link: scanner 10.30.0.1/20 and lan 10.30.4.1/20, lan answers ARP and
#   ICMP for 10.30.4.0/22 (AnyIP); default sysctls (gc_thresh3 = 1024).
#
# Usage: deploy/bench/sweep.sh [OUTDIR]   (prints a table; writes OUTDIR/sweep.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench-results}"
mkdir -p "$out"
if [ "$(id -u)" != 0 ]; then
	echo "sweep.sh: SKIPPED: needs root (network namespaces, raw sockets)" | tee "$out/sweep.txt" >&2
	exit 0
fi
for t in ip fping nmap /usr/bin/time go; do
	command -v "$t" >/dev/null || { echo "sweep.sh: $t not installed" >&2; exit 1; }
done

id="egl-bench-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
S="$id-scan" R="$id-rtr" T="$id-tgt" L="$id-lan"
work="$(mktemp -d)"
cleanup() {
	for n in "$S" "$R" "$T" "$L"; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "building sweepbench" >&2
CGO_ENABLED=0 go build -o "$work/sweepbench" ./agent/probe/icmp/internal/sweepbench
sb="$work/sweepbench"
agent="${EGOVNET_AGENT_BIN:-$PWD/bin/egovnet-agent}" # built by make bench; its rows are left out when absent

for n in "$S" "$R" "$T" "$L"; do
	ip netns add "$n"
	ip -n "$n" link set lo up
done
ip -n "$S" link add s0 type veth peer name r0 netns "$R"
ip -n "$R" link add r1 type veth peer name t0 netns "$T"
ip -n "$S" link add l0 type veth peer name l1 netns "$L"
ip -n "$S" addr add 10.99.0.1/30 dev s0
ip -n "$R" addr add 10.99.0.2/30 dev r0
ip -n "$R" addr add 10.98.0.1/30 dev r1
ip -n "$T" addr add 10.98.0.2/30 dev t0
ip -n "$S" addr add 10.30.0.1/20 dev l0
ip -n "$L" addr add 10.30.4.1/20 dev l1
for x in "$S s0" "$R r0" "$R r1" "$T t0" "$S l0" "$L l1"; do set -- $x; ip -n "$1" link set "$2" up; done
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip -n "$S" route add 10.16.0.0/16 via 10.99.0.2
ip -n "$S" route add 10.20.0.0/20 via 10.99.0.2
ip -n "$R" route add blackhole 10.20.0.0/20
ip -n "$R" route add 10.20.4.0/22 via 10.98.0.2
ip -n "$R" route add 10.16.0.0/16 via 10.98.0.2
ip -n "$T" route add local 10.20.4.0/22 dev lo
ip -n "$T" route add local 10.16.0.0/16 dev lo
ip -n "$T" route add 10.99.0.0/30 via 10.98.0.1
ip -n "$L" route add local 10.30.4.0/22 dev lo
ip netns exec "$S" ping -q -c1 -W2 10.20.4.1 >/dev/null
ip netns exec "$R" ping -q -c1 -W2 10.98.0.2 >/dev/null

# Address extraction per tool.
plain() { cp "$work/$1.out" "$work/$1.addrs"; }
nmapup() { awk '/Status: Up/{print $2}' "$work/$1.out" >"$work/$1.addrs"; }
report() { "$sb" ips <"$work/$1.out" >"$work/$1.addrs" || true; }

# run NAME EXPECT EXTRACT CMD...: runs CMD in the scanner namespace under
# /usr/bin/time, extracts the live addresses from its output and checks
# them. Repeated runs keep every time (the table shows the median), the
# largest RSS and the worst found/missing/false counts.
declare -A times rss found missing falsep
run() {
	local name="$1" expect="$2" extract="$3" ignore=""
	shift 3
	# SWEEP_ONLY=REGEX runs only the matching cases (a quick look; the
	# table then shows "-" for the rest).
	if [ -n "${SWEEP_ONLY:-}" ] && ! [[ $name =~ $SWEEP_ONLY ]]; then return 0; fi
	case "$name" in *onlink*|*arp*) ignore=10.30.0.1 ;; esac # the scanner itself
	local t0 t1 s c f m x r
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$work/$name.rss" ip netns exec "$S" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
	t1=$(date +%s%N)
	s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
	times[$name]="${times[$name]:-} $s"
	r=$(tail -1 "$work/$name.rss")
	[ "${rss[$name]:-0}" -ge "$r" ] || rss[$name]=$r
	"$extract" "$name"
	c=$("$sb" check -expect "$expect" -ignore "$ignore" <"$work/$name.addrs")
	f=$(sed -E 's/.*found=([0-9]+).*/\1/' <<<"$c")
	m=$(sed -E 's/.*missing=([0-9]+).*/\1/' <<<"$c")
	x=$(sed -E 's/.*false=([0-9]+).*/\1/' <<<"$c")
	[ -n "${found[$name]:-}" ] && [ "${found[$name]}" -le "$f" ] || found[$name]=$f
	[ "${missing[$name]:--1}" -ge "$m" ] || missing[$name]=$m
	[ "${falsep[$name]:--1}" -ge "$x" ] || falsep[$name]=$x
	printf '%-22s %8ss  found %6s  missing %6s  false %4s  rss %6s KB  | %s\n' "$name" "$s" "$f" "$m" "$x" "$r" \
		"$(tail -1 "$work/$name.err" | cut -c1-110)" >&2
}
median() { tr ' ' '\n' <<<"${times[$1]}" | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

reps="${SWEEP_REPEAT:-3}"
echo "== running $reps rounds, every tool in every round (same machine, same moment)" >&2
for ((rep = 1; rep <= reps; rep++)); do
	echo "-- round $rep" >&2
	# Steady state: the scanner knows its router, the router its target.
	ip netns exec "$S" ping -q -c1 -W2 10.20.4.1 >/dev/null || true
	ip netns exec "$R" ping -q -c1 -W2 10.98.0.2 >/dev/null || true
	# /20 routed: 4094 probed addresses, 1024 live.
	run egovnet-20 10.20.4.0/22 plain "$sb" icmp -targets 10.20.0.0/20 -timeout 1s -retries 0
	# The product end to end: egovnet-agent scan (its default --rate is a
	# cautious 500 pps; here the sweep's own default, 100000).
	[ ! -x "$agent" ] || run agent-scan-20 10.20.4.0/22 report "$agent" scan --methods icmp --targets 10.20.0.0/20 \
		--timeout 1s --retries 0 --rate 100000 --format json
	# The product with its defaults (adaptive pacing up to probe.max_rate,
	# timeout 1s, retries 1): issue 12's goals are judged on these rows.
	[ ! -x "$agent" ] || run agent-default-20 10.20.4.0/22 report "$agent" scan --methods icmp --targets 10.20.0.0/20 --format json
	run egovnet-20-fixed1s 10.20.4.0/22 plain "$sb" icmp -targets 10.20.0.0/20 -timeout 1s -min-timeout 1s -retries 0
	run fping-20 10.20.4.0/22 plain fping -a -q -i 0 -r 0 -t 1000 -g 10.20.0.0/20
	run nmap-20 10.20.4.0/22 nmapup nmap -sn -n -T4 -oG - 10.20.0.0/20
	# The old way (issue 4: 12.7 s), once: one pro-bing Pinger per host, pool 256.
	[ "$rep" != 1 ] || run probing-pool-20 10.20.4.0/22 plain "$sb" probing -targets 10.20.0.0/20 -timeout 1s
	# /16 routed, all live: 65534 probed addresses.
	run egovnet-16 10.16.0.1-10.16.255.254 plain "$sb" icmp -targets 10.16.0.0/16 -timeout 1s -retries 0
	cp "$work/egovnet-16.err" "$work/egovnet-16.err.$rep" 2>/dev/null || true
	run fping-16 10.16.0.1-10.16.255.254 plain fping -a -q -i 0 -r 0 -t 1000 -g 10.16.0.0/16
	# On-link /20 with default sysctls: 4093 probed (our own .1 excluded), 1024 live.
	run egovnet-arp-20 10.30.4.0/22 plain "$sb" arp -targets 10.30.0.0/20 -timeout 1s -retries 1
	[ ! -x "$agent" ] || run agent-scan-arp-20 10.30.4.0/22 report "$agent" scan --methods arp --targets 10.30.0.0/20 \
		--timeout 1s --retries 1 --rate 10000 --format json
	run nmap-onlink-20 10.30.4.0/22 nmapup nmap -sn -n -T4 -oG - 10.30.0.0/20
	run nmap-sn-onlink-20 10.30.4.0/22 nmapup nmap -sn -n -oG - 10.30.0.0/20
	[ ! -x "$agent" ] || run agent-default-onlink-20 10.30.4.0/22 report "$agent" scan --methods icmp,arp --targets 10.30.0.0/20 --format json
	# Memory of a big scan: the product, defaults, a routed /16 with every address live.
	[ ! -x "$agent" ] || run agent-default-16 10.16.0.1-10.16.255.254 report "$agent" scan --methods icmp --targets 10.16.0.0/16 --format json
done
# Why ARP: ICMP to an on-link /20 through the kernel's neighbour table.
# Opt-in (SWEEP_SHOW_OVERFLOW=1), once, last: the table is shared by every
# namespace on the host, and overflowing it for a second disturbs whatever
# else runs here (it made a following sweep lose every reply once).
if [ "${SWEEP_SHOW_OVERFLOW:-0}" = 1 ]; then
	run fping-onlink-20 10.30.4.0/22 plain fping -a -q -i 0 -r 0 -t 1000 -g 10.30.0.0/20
	ip -n "$S" neigh flush dev l0 2>/dev/null || true
fi

set +u # with SWEEP_ONLY some cases did not run: their cells stay empty
declare -A secs
for n in "${!times[@]}"; do secs[$n]=$(median "$n"); done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.3fx", a/b; else print "-" }'; }
pps16=$(cat "$work"/egovnet-16.err.* 2>/dev/null | grep -oE 'pps=[0-9]+' | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') || true
{
	echo "# egovnet host discovery benchmark, $(date -u +%FT%TZ), $(nproc) cores, kernel $(uname -r)"
	echo "# $(fping -v 2>&1 | head -1); $(nmap --version | head -1); load average before: $load0"
	echo "# seconds: median of $reps rounds (each: $(for n in egovnet-20 fping-20 egovnet-16 fping-16; do printf '%s:%s ' "$n" "${times[$n]# }"; done))"
	echo "# found/missing/false: the worst round; RSS: the largest"
	printf '| %-56s | %8s | %6s | %7s | %5s | %8s | %-22s |\n' case seconds found missing false "RSS KB" ratio
	printf '|%s|\n' "----------------------------------------------------------|----------|--------|---------|-------|----------|------------------------"
	row() { printf '| %-56s | %8s | %6s | %7s | %5s | %8s | %-22s |\n' "$1" "${secs[$2]:--}" "${found[$2]:--}" "${missing[$2]:--}" "${falsep[$2]:--}" "${rss[$2]:--}" "$3"; }
	row "/20 routed, 1024 live: egovnet icmp (adaptive, -r 0)" egovnet-20 "$(ratio "${secs[egovnet-20]}" "${secs[fping-20]}") fping, $(ratio "${secs[egovnet-20]}" "${secs[nmap-20]}") nmap"
	[ -z "${secs[agent-scan-20]:-}" ] || row "/20 routed: egovnet-agent scan --methods icmp (product)" agent-scan-20 "$(ratio "${secs[agent-scan-20]}" "${secs[fping-20]}") fping"
	row "/20 routed: egovnet icmp, fixed 1 s wait like fping" egovnet-20-fixed1s "$(ratio "${secs[egovnet-20-fixed1s]}" "${secs[fping-20]}") fping"
	row "/20 routed: fping -a -q -i 0 -r 0 -t 1000" fping-20 "1.000x"
	row "/20 routed: nmap -sn -n -T4" nmap-20 "1.000x"
	row "/20 routed: pro-bing, a Pinger per host, pool 256 (1 run)" probing-pool-20 "$(ratio "${secs[probing-pool-20]}" "${secs[fping-20]}") fping"
	row "/16 routed, all live: egovnet icmp ($pps16 pps)" egovnet-16 "$(ratio "${secs[egovnet-16]}" "${secs[fping-16]}") fping"
	row "/16 routed, all live: fping -i 0 -r 0 -t 1000" fping-16 "1.000x"
	row "on-link /20, 1024 live: egovnet arp (-r 1)" egovnet-arp-20 "$(ratio "${secs[egovnet-arp-20]}" "${secs[nmap-onlink-20]}") nmap"
	[ -z "${secs[agent-scan-arp-20]:-}" ] || row "on-link /20: egovnet-agent scan --methods arp (product)" agent-scan-arp-20 "$(ratio "${secs[agent-scan-arp-20]}" "${secs[nmap-onlink-20]}") nmap"
	row "on-link /20: nmap -sn -n -T4 (ARP)" nmap-onlink-20 "1.000x"
	row "on-link /20: nmap -sn -n (ARP)" nmap-sn-onlink-20 "1.000x"
	if [ -n "${secs[agent-default-20]:-}" ]; then
		row "/20 routed: egovnet-agent scan --methods icmp, DEFAULTS" agent-default-20 "$(ratio "${secs[agent-default-20]}" "${secs[nmap-20]}") nmap -T4"
		row "on-link /20: egovnet-agent scan --methods icmp,arp, DEFAULTS" agent-default-onlink-20 "$(ratio "${secs[agent-default-onlink-20]}" "${secs[nmap-sn-onlink-20]}") nmap -sn"
		row "/16 routed, all live: egovnet-agent scan --methods icmp, DEFAULTS" agent-default-16 "RSS $(( ${rss[agent-default-16]} / 1024 )) MB"
	fi
	[ -z "${secs[fping-onlink-20]:-}" ] || row "on-link /20: fping (kernel neighbour table, 1 run)" fping-onlink-20 "(overflow shows here)"
} | tee "$out/sweep.txt"
# Issue 4's goals, judged on the numbers above.
goal() { if awk "BEGIN{exit !($2)}"; then echo "PASS  $1"; else echo "MISS  $1"; fi; }
{
	echo "# goals"
	if [ -z "${SWEEP_ONLY:-}" ]; then
	goal "/20 egovnet <= 1.05x fping ($(ratio "${secs[egovnet-20]}" "${secs[fping-20]}")), all 1024 found, 0 false" \
		"${secs[egovnet-20]} <= 1.05 * ${secs[fping-20]} && ${missing[egovnet-20]} == 0 && ${falsep[egovnet-20]} == 0"
	goal "/20 egovnet <= 0.10x nmap -sn ($(ratio "${secs[egovnet-20]}" "${secs[nmap-20]}"))" "${secs[egovnet-20]} <= 0.10 * ${secs[nmap-20]}"
	goal "/16 all live >= 60 kpps (${pps16} pps over the whole sweep), no loss, RSS <= 16 MB (${rss[egovnet-16]} KB)" \
		"${pps16:-0} >= 60000 && ${missing[egovnet-16]} == 0 && ${rss[egovnet-16]} <= 16384"
	goal "on-link /20 ARP: all 1024 found, 0 false, <= 1.0x nmap -sn ($(ratio "${secs[egovnet-arp-20]}" "${secs[nmap-onlink-20]}"))" \
		"${missing[egovnet-arp-20]} == 0 && ${falsep[egovnet-arp-20]} == 0 && ${secs[egovnet-arp-20]} <= ${secs[nmap-onlink-20]}"
	fi
	if [ -n "${secs[agent-default-20]:-}" ]; then
		echo "# issue 12: default pacing ratios and /16 RSS (product binary, defaults)"
		goal "default routed /20 <= 0.25x nmap -sn -n -T4 ($(ratio "${secs[agent-default-20]}" "${secs[nmap-20]}")), 0 missing, 0 false" \
			"${secs[agent-default-20]} <= 0.25 * ${secs[nmap-20]} && ${missing[agent-default-20]} == 0 && ${falsep[agent-default-20]} == 0"
		goal "default on-link /20 icmp+arp <= 0.5x nmap -sn ($(ratio "${secs[agent-default-onlink-20]}" "${secs[nmap-sn-onlink-20]}")), 0 missing, 0 false" \
			"${secs[agent-default-onlink-20]} <= 0.5 * ${secs[nmap-sn-onlink-20]} && ${missing[agent-default-onlink-20]} == 0 && ${falsep[agent-default-onlink-20]} == 0"
		goal "scan of a routed /16, 65,534 live, RSS <= 48 MB (${rss[agent-default-16]} KB), 0 missing" \
			"${rss[agent-default-16]} <= 49152 && ${missing[agent-default-16]} == 0"
	fi
} | tee -a "$out/sweep.txt"
