#!/usr/bin/env bash
# `make demo`: egovnet end to end on one machine.
#
# As root: builds the district-small lab (deploy/lab/scenarios), starts a
# collector on its embedded store, listening on the root side of the lab's
# management link, enrols one agent per department and runs it inside that
# department's namespace, waits for the first reports, then prints the
# dashboard URL and a login. Ctrl-C tears everything down.
#
# Without root: explains why and runs a loopback-only demo instead (collector
# on 127.0.0.1, one agent scanning 127.0.0.1).
#
# Environment: BIN (default bin), SCENARIO (default district-small),
# DEMO_PASSWORD (admin password), DEMO_WAIT (seconds to wait for first reports, default 900).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
BIN=${BIN:-$REPO/bin}
SCENARIO=${SCENARIO:-$REPO/deploy/lab/scenarios/district-small.yaml}
PASSWORD=${DEMO_PASSWORD:-Egov-Demo-2026}
WAIT=${DEMO_WAIT:-900}
LAB=$BIN/egovnet-lab
COLLECTOR=$BIN/egovnet-collector
AGENT=$BIN/egovnet-agent

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for b in "$COLLECTOR" "$AGENT"; do
	[ -x "$b" ] || die "$b not found: run 'make build' first (make demo does)"
done

WORK=$(mktemp -d /tmp/egovnet-demo.XXXXXX)
chmod 755 "$WORK"
PIDS=()
RUN=""

cleanup() {
	trap - EXIT INT TERM
	say "stopping the demo"
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "$RUN" ]; then "$LAB" down --run "$RUN" || true; fi
	echo "logs and data kept in $WORK (rm -rf it when done)" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# http_get HOST PORT PATH [BASIC]: minimal HTTP/1.0 client (bash /dev/tcp, no curl needed).
http_get() (
	host=$1 port=$2 path=$3 auth=${4:-} hdr=""
	[ -n "$auth" ] && hdr="Authorization: Basic $auth"$'\r\n'
	exec 9<>"/dev/tcp/$host/$port" || exit 1
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n%s\r\n' "$path" "$host" "$hdr" >&9
	timeout 10 cat <&9
)

wait_healthy() {
	local host=$1 port=$2
	for _ in $(seq 1 100); do
		if http_get "$host" "$port" /healthz 2>/dev/null | grep -q '"ok"'; then return 0; fi
		sleep 0.3
	done
	die "collector did not become healthy; see $WORK/collector.log"
}

collector_config() { # listen plan tls_disable
	cat >"$WORK/collector.yaml" <<EOF
listen: "$1"
data_dir: "$WORK/collector-data"
plan_file: "$2"
tls:
  disable: $3
log:
  level: info
EOF
}

add_admin() {
	printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" |
		"$COLLECTOR" --config "$WORK/collector.yaml" user add --name admin --role sysadmin >/dev/null
}

# wait_reports HOST PORT N DEPT...: until every department has a report.
wait_reports() {
	local host=$1 port=$2 deadline=$((SECONDS + WAIT)) auth missing
	shift 2
	auth=$(printf 'admin:%s' "$PASSWORD" | base64 -w0)
	while :; do
		missing=()
		for d in "$@"; do
			http_get "$host" "$port" "/api/v1/reports?department=$d" "$auth" 2>/dev/null | grep -q '"report_id"' || missing+=("$d")
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		[ $SECONDS -ge $deadline ] && { echo "still waiting for: ${missing[*]} (see $WORK/agent-*.log)" >&2; return 1; }
		sleep 3
	done
}

loopback_demo() {
	say "not root: the lab needs network namespaces, so this is the loopback-only demo"
	cat >&2 <<'EOF'
   egovnet's real demo builds a district network out of Linux network namespaces
   (egovnet-lab), which needs root. Run `sudo make demo` for it. Here the collector
   listens on 127.0.0.1 and one agent scans only 127.0.0.1.
EOF
	local port=18080
	while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
	cat >"$WORK/plan.yaml" <<'EOF'
district: {code: "310110", name: "杨浦区 (loopback demo)"}
packs: [yangpu-2021, shanghai-extranet-2020]
extranet: {prefixes: ["127.0.0.0/8"], uplink_next_hops: []}
egress: {sanctioned: []}
cloud: {prefixes: []}
probes: {internet: [], extranet: []}
private_networks: []
departments:
  - {code: "LOOP", name: "本机演示", prefixes: ["127.0.0.1/32"], classified_prefixes: [], registered_internet_exit: false}
websites: {approved: []}
exemptions: []
EOF
	collector_config "127.0.0.1:$port" "$WORK/plan.yaml" false
	add_admin
	"$COLLECTOR" --config "$WORK/collector.yaml" serve >"$WORK/collector.log" 2>&1 &
	PIDS+=($!)
	wait_healthy 127.0.0.1 "$port"
	local token
	token=$("$COLLECTOR" --config "$WORK/collector.yaml" token create --department LOOP)
	cat >"$WORK/agent.yaml" <<EOF
collector: {url: "http://127.0.0.1:$port"}
data_dir: "$WORK/agent-data"
scope: {targets: ["127.0.0.1/32"]}
schedule: {interval: 10m}
EOF
	"$AGENT" enroll --config "$WORK/agent.yaml" --collector "http://127.0.0.1:$port" --token "$token" >&2
	"$AGENT" run --config "$WORK/agent.yaml" >"$WORK/agent.log" 2>&1 &
	PIDS+=($!)
	say "waiting for the first report"
	wait_reports 127.0.0.1 "$port" LOOP && say "first report is in" || true
	show_login "http://127.0.0.1:$port/"
}

show_login() {
	cat >&2 <<EOF

  dashboard:  $1
  login:      admin / $PASSWORD
  work dir:   $WORK

  Ctrl-C stops the demo and removes everything it started.
EOF
	wait
}

if [ "$(id -u)" != 0 ]; then
	loopback_demo
	exit 0
fi

[ -x "$LAB" ] || die "$LAB not found: run 'make build' first"
say "lab up: $(basename "$SCENARIO")"
RUN=$("$LAB" up "$SCENARIO")
STATUS=$("$LAB" status --run "$RUN")
ROOT_ADDR=$(awk '$1 == "management" { print $3 }' <<<"$STATUS")
[ -n "$ROOT_ADDR" ] || die "scenario has no management link"
PLAN=$(sed -n 's/^plan: *//p' "$SCENARIO")
PLAN="$(dirname "$SCENARIO")/$PLAN"
# Agents reach the collector through the relay on the extranet core
# (10.255.0.1:8443 in both shipped scenarios); it forwards to ROOT_ADDR:8443.
PORT=8443
RELAY_URL="http://10.255.0.1:$PORT"

say "collector on $ROOT_ADDR:$PORT (management link of run $RUN)"
collector_config "$ROOT_ADDR:$PORT" "$PLAN" true
add_admin
"$COLLECTOR" --config "$WORK/collector.yaml" serve >"$WORK/collector.log" 2>&1 &
PIDS+=($!)
wait_healthy "$ROOT_ADDR" "$PORT"

DEPTS=()
while read -r node dept; do
	say "agent $node for department $dept"
	token=$("$COLLECTOR" --config "$WORK/collector.yaml" token create --department "$dept")
	cfg="$WORK/agent-$node.yaml"
	"$LAB" agent-config --run "$RUN" "$node" --collector "$RELAY_URL" --data-dir "$WORK/agent-$node" --interval 10m >"$cfg"
	"$LAB" exec --run "$RUN" "$node" -- "$AGENT" enroll --config "$cfg" --collector "$RELAY_URL" --token "$token" >&2
	"$LAB" exec --run "$RUN" "$node" -- "$AGENT" run --config "$cfg" >"$WORK/agent-$node.log" 2>&1 &
	PIDS+=($!)
	DEPTS+=("$dept")
done < <(awk '$1 == "node" && $3 == "agent" { print $2, $4 }' <<<"$STATUS")

say "waiting for the first report of ${#DEPTS[@]} departments (up to ${WAIT}s)"
wait_reports "$ROOT_ADDR" "$PORT" "${DEPTS[@]}" && say "first reports are in" || true
show_login "http://$ROOT_ADDR:$PORT/"
