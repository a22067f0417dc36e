# Shared part of the SNMP benchmarks (snmp.sh, inventory.sh), sourced, not
# run: the setup and teardown, the one-device walk against snmpsimd beside
# snmpbulkwalk, and the many-device runs against one snmpd on AnyIP
# addresses in a private network namespace. Nothing leaves the machine: the
# simulator listens on 127.0.0.1, the namespace has only lo.
# The caller sets: bench (its name, for messages), data, device, reps, ndev,
# manyreps; it reads back the variables each function names.

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# snmp_setup WORKPREFIX NSPREFIX AGENT [TOOL...]: checks the tools and root,
# makes $work and the namespace name $ns, arms the cleanup, and sets $agent
# (AGENT when executable, else built here).
snmp_setup() {
	local workprefix=$1 nsprefix=$2 b
	agent=$3
	shift 3
	for b in snmpsimd snmpd snmpbulkwalk ip "$@"; do
		command -v "$b" >/dev/null || { echo "$bench: $b not installed" >&2; exit 1; }
	done
	[ "$(id -u)" = 0 ] || { echo "$bench: needs root (network namespace)" >&2; exit 1; }
	work="$(mktemp -d "/tmp/$workprefix.XXXXXX")"
	chmod 755 "$work" # snmpsimd runs as nobody and needs its cache dir inside
	ns="$nsprefix-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	simpid="" snmpdpid=""
	trap snmp_cleanup EXIT INT TERM
	# The agent binary: bin/ from `make build`, else built here.
	if [ ! -x "$agent" ]; then
		agent="$work/egovnet-agent"
		CGO_ENABLED=0 go build -trimpath -o "$agent" ./cmd/egovnet-agent
	fi
	"$agent" snmp-walk --help >/dev/null
}

snmp_cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null || true
	[ -n "$snmpdpid" ] && kill "$snmpdpid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}

# snmp_simulator TRIES: snmpsimd on a free loopback port with the recordings
# of $data; sets $simpid and $target. TRIES half-seconds to come up.
snmp_simulator() {
	local port
	mkdir -p "$work/cache" && chown nobody:nogroup "$work/cache"
	port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	snmpsimd --data-dir="$data/librenms" --data-dir="$data/snmpsim-data" \
		--agent-udpv4-endpoint=127.0.0.1:"$port" --process-user=nobody --process-group=nogroup \
		--cache-dir="$work/cache" >"$work/snmpsimd.log" 2>&1 &
	simpid=$!
	for _ in $(seq 1 "$1"); do
		grep -q "Listening at UDP/IPv4 endpoint 127.0.0.1:$port" "$work/snmpsimd.log" && break
		kill -0 "$simpid" 2>/dev/null || { cat "$work/snmpsimd.log" >&2; exit 1; }
		sleep 0.5
	done
	target="127.0.0.1:$port"
}

# snmp_stop_simulator: the many-device part does not need it.
snmp_stop_simulator() {
	kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null || true
	simpid=""
}

# snmp_walks SUBTREES [WALK-ARG...]: $reps rounds of the three timed walks
# of $device at $target: snmp-walk WALK-ARGS (decoded columns), the same
# with --whole-tables, and snmpbulkwalk -Cr50 of every subtree. Sets the
# medians $ours, $whole, $theirs, the varbinds snmpbulkwalk returned
# $vb_theirs, and $same (identical|DIFFERENT: the two inventories, uptime
# aside). The last inventory stays in $work/inv.json.
snmp_walks() {
	local subtrees=$1 s t0 t1 n norm
	shift
	: >"$work/ours.txt"; : >"$work/whole.txt"; : >"$work/theirs.txt"
	vb_theirs=0
	for _ in $(seq 1 "$reps"); do
		t0=$(now)
		"$agent" snmp-walk --target "$target" --community "$device" "$@" --timeout 10s >"$work/inv.json"
		t1=$(now)
		echo "$t1 - $t0" | bc -l >>"$work/ours.txt"
		t0=$(now)
		"$agent" snmp-walk --target "$target" --community "$device" "$@" --timeout 10s --whole-tables >"$work/inv-whole.json"
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
}

# snmp_counts FILE KEY...: "key=len ..." of an inventory's lists.
snmp_counts() {
	local f=$1
	shift
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(f"{k}={len(d[k])}" for k in sys.argv[2:]))' "$f" "$@"
}

# snmp_namespace NET SNMPD-ACCESS...: the namespace $ns with NET (a /20)
# routed "local" to lo and one snmpd answering on all of it, the access
# lines given (rocommunity, views); writes $ndev of NET's addresses to
# $work/targets.txt and sets $ndev to how many there are.
snmp_namespace() {
	local net=$1 first
	shift
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" route add local "$net" dev lo
	# One snmpd plays 4094 devices: give its socket the buffer 256 concurrent
	# requests need (the 208 KiB default drops some, each costing a timeout).
	{
		echo "agentAddress udp:0.0.0.0:161"
		printf '%s\n' "$@"
		echo "[snmp] serverRecvBuf 4194304"
	} >"$work/snmpd.conf"
	mkdir -p "$work/snmpd-state"
	SNMP_PERSISTENT_DIR="$work/snmpd-state" MIBS= ip netns exec "$ns" snmpd -f -C -c "$work/snmpd.conf" -Lf "$work/snmpd.log" -p "$work/snmpd.pid" &
	snmpdpid=$!
	first=$(python3 -c 'import ipaddress,sys; print(next(ipaddress.ip_network(sys.argv[1]).hosts()))' "$net")
	for _ in $(seq 1 50); do
		ip netns exec "$ns" snmpget -v2c -c public -t 0.2 -r 0 "$first" 1.3.6.1.2.1.1.2.0 >/dev/null 2>&1 && break
		sleep 0.2
	done
	python3 - "$ndev" "$net" >"$work/targets.txt" <<'PY'
import ipaddress, sys
n = int(sys.argv[1])
hosts = list(ipaddress.ip_network(sys.argv[2]).hosts())[:n]
print("\n".join(str(h) for h in hosts))
PY
	ndev=$(wc -l <"$work/targets.txt")
}

# snmp_many LEVEL... -- [WALK-ARG...]: at each concurrency LEVEL, $manyreps
# walks of every target from inside the namespace; sets rate[LEVEL] to the
# median devices/s, warns when a run left devices unanswered, and sets
# $load to the load average after the runs.
declare -A rate
snmp_many() {
	local levels=() c
	while [ $# -gt 0 ] && [ "$1" != -- ]; do levels+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	for c in "${levels[@]}"; do
		: >"$work/rates-$c.txt"
		for _ in $(seq 1 "$manyreps"); do
			ip netns exec "$ns" "$agent" snmp-walk --targets-file "$work/targets.txt" --community public \
				"$@" --concurrency "$c" --timeout 2s --format json >"$work/many-$c.json" 2>"$work/many-$c.err" || true
			sed -n 's/.* \([0-9.]*\) devices\/s.*/\1/p' "$work/many-$c.err" >>"$work/rates-$c.txt"
			answered=$(sed -n 's/.*targets, \([0-9]*\) answered.*/\1/p' "$work/many-$c.err")
			[ "$answered" = "$ndev" ] || echo "WARNING: concurrency $c: $answered of $ndev answered" >&2
		done
		rate[$c]=$(median <"$work/rates-$c.txt")
	done
	load=$(cut -d' ' -f1-3 /proc/loadavg)
}
