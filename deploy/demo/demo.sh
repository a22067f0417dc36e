#!/usr/bin/env bash
# `make demo`: egovnet end to end on one machine.
#
# As root: builds the district-small lab (deploy/lab/scenarios), starts a
# collector on its embedded store, listening on the root side of the lab's
# management link, enrols one agent per department and runs it inside that
# department's namespace, waits for the first reports, then prints the
# dashboard URL and a login. Ctrl-C tears everything down.
#
# Needs only a clone of the repository: the lab's SNMP devices are its own
# generated recordings (deploy/lab/recordings). As root it installs the Debian
# packages the lab needs (iproute2 procps snmpd snmp snmpsim) when they are
# missing, saying so first (DEMO_NO_INSTALL=1: never install).
#
# Without root: explains why, names the packages the lab demo would need,
# and runs a loopback-only demo instead (collector on 127.0.0.1, one agent
# scanning 127.0.0.1).
#
# Agents report the software the scenario gives their node (egovnet-lab
# software NODE -> EGOVNET_HOST_SOFTWARE_FILE), not this machine's packages.
#
# Non-interactive mode (CI: `--smoke` or DEMO_EXIT_WHEN_READY=1): the same
# start-up, then the demo checks itself instead of waiting for Ctrl-C: the
# admin login works, and (lab demo) every finding the scenario's
# .expected.yaml lists is raised and its clean departments have none. Then
# it tears everything down and exits 0, or 1 naming what failed (with the
# tails of the logs). The work dir is removed on success.
#
# Environment: BIN (default bin), SCENARIO (default district-small),
# DEMO_PASSWORD (admin password), DEMO_WAIT (seconds to wait for the first
# reports and for the findings, default 900, 240 in smoke mode),
# DEMO_INTERVAL (agents' scan interval, default 10m, 1m in smoke mode),
# TMPDIR (where the work dir goes, default /tmp).
set -euo pipefail
SMOKE=${DEMO_EXIT_WHEN_READY:-0}
for arg in "$@"; do
	case $arg in
	--smoke) SMOKE=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d' | cut -c3-
		exit 0
		;;
	*)
		echo "demo: unknown argument $arg (only --smoke)" >&2
		exit 2
		;;
	esac
done
[ "$SMOKE" = 1 ] || SMOKE=0
cd "$(dirname "$0")/../.."
REPO=$(pwd)
BIN=${BIN:-$REPO/bin}
SCENARIO=${SCENARIO:-$REPO/deploy/lab/scenarios/district-small.yaml}
PASSWORD=${DEMO_PASSWORD:-Egov-Demo-2026}
if [ "$SMOKE" = 1 ]; then WAIT=${DEMO_WAIT:-240}; else WAIT=${DEMO_WAIT:-900}; fi
# Smoke runs rescan every minute (the agent's minimum): a host a loaded
# machine's first scan missed is found by the next one within the wait.
if [ "$SMOKE" = 1 ]; then INTERVAL=${DEMO_INTERVAL:-1m}; else INTERVAL=${DEMO_INTERVAL:-10m}; fi
LAB=$BIN/egovnet-lab
COLLECTOR=$BIN/egovnet-collector
AGENT=$BIN/egovnet-agent

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for b in "$COLLECTOR" "$AGENT"; do
	[ -x "$b" ] || die "$b not found: run 'make build' first (make demo does)"
done

WORK=$(mktemp -d -t egovnet-demo.XXXXXX)
chmod 755 "$WORK"
PIDS=()
RUN=""
INTERRUPTED=0

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	say "stopping the demo"
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "$RUN" ] && ! "$LAB" down --run "$RUN"; then
		echo "demo: removing lab run $RUN failed; retry with: $LAB down --run $RUN" >&2
		[ "$rc" != 0 ] || rc=1
	fi
	if [ "$SMOKE" = 1 ] && [ "$rc" = 0 ]; then
		rm -rf "$WORK"
	else
		echo "logs and data kept in $WORK (rm -rf it when done)" >&2
	fi
	exit "$rc"
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

# http_post_json HOST PORT PATH BODY: prints the response, status line first.
http_post_json() (
	host=$1 port=$2 path=$3 body=$4
	LC_ALL=C # Content-Length counts bytes
	exec 9<>"/dev/tcp/$host/$port" || exit 1
	printf 'POST %s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		"$path" "$host" "${#body}" "$body" >&9
	timeout 10 cat <&9
)

wait_healthy() {
	local host=$1 port=$2
	for _ in $(seq 1 100); do
		if [[ $(http_get "$host" "$port" /healthz 2>/dev/null) == *'"ok"'* ]]; then return 0; fi
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
# The demo's administrator logs in with a password alone. In production the
# three administrator roles need a one-time code too (the default):
# egovnet-collector user totp --name admin
auth:
  totp:
    required_roles: []
EOF
}

add_admin() {
	printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" |
		"$COLLECTOR" --config "$WORK/collector.yaml" user add --name admin --role sysadmin >/dev/null
}

# wait_reports HOST PORT N DEPT...: until every department has a report.
wait_reports() {
	local host=$1 port=$2 deadline=$((SECONDS + WAIT)) auth missing d body
	shift 2
	auth=$(printf 'admin:%s' "$PASSWORD" | base64 -w0)
	while :; do
		missing=()
		for d in "$@"; do
			# captured, not piped into grep -q: with pipefail an early grep exit fails the pipe
			body=$(http_get "$host" "$port" "/api/v1/reports?department=$d" "$auth" 2>/dev/null || true)
			grep -q '"report_id"' <<<"$body" || missing+=("$d")
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		[ $SECONDS -ge $deadline ] && { echo "still waiting for: ${missing[*]} (see $WORK/agent-*.log)" >&2; return 1; }
		sleep 3
	done
}

# check_login HOST PORT: the admin login answers 200 with a session cookie,
# a wrong password gets 401.
check_login() {
	local host=$1 port=$2 resp
	resp=$(http_post_json "$host" "$port" /api/v1/login "{\"name\":\"admin\",\"password\":\"$PASSWORD\"}" 2>/dev/null || true)
	if ! head -n1 <<<"$resp" | grep -q ' 200 ' || ! grep -qi '^set-cookie:' <<<"$resp"; then
		echo "login as admin failed: $(head -n1 <<<"$resp")" >&2
		return 1
	fi
	resp=$(http_post_json "$host" "$port" /api/v1/login '{"name":"admin","password":"not-the-password"}' 2>/dev/null || true)
	if ! head -n1 <<<"$resp" | grep -q ' 401 '; then
		echo "login with a wrong password was not refused: $(head -n1 <<<"$resp")" >&2
		return 1
	fi
	echo "check: login as admin works, a wrong password gets 401" >&2
}

# expectations FILE: "clean DEPT", "finding DEPT RULE" and "absent DEPT RULE"
# lines from the findings: section of a scenario's .expected.yaml (an entry
# with expect: none and a rule: no finding of that rule for the department).
expectations() {
	awk '
		function flush() {
			if (dept == "") return
			if (none && rule == "") print "clean", dept
			else if (none) print "absent", dept, rule
			else if (rule != "") print "finding", dept, rule
			dept = ""; rule = ""; none = 0
		}
		/^findings:/ { on = 1; next }
		/^[^ #-]/ { if (on) flush(); on = 0 }
		!on { next }
		{ sub(/#.*/, ""); gsub(/["\047]/, "") }
		/^ *- *department:/ { flush(); dept = $NF; next }
		/^ *expect: *none/ { none = 1; next }
		/^ *rule:/ { rule = $NF }
		END { if (on) flush() }
	' "$1"
}

# violations_of HOST PORT AUTH QUERY: the JSON body of GET /api/v1/violations?QUERY.
violations_of() {
	local resp
	resp=$(http_get "$1" "$2" "/api/v1/violations?$4" "$3" 2>/dev/null || true)
	sed '1,/^\r\{0,1\}$/d' <<<"$resp"
}

# check_findings HOST PORT EXPECTED DEPT...: polls the violations until every
# expected (department, rule) is raised, then counts the findings of each
# department and checks the clean ones have none.
check_findings() {
	local host=$1 port=$2 file=$3 deadline=$((SECONDS + WAIT)) auth kind dept rule n body bad=0 w c
	shift 3
	auth=$(printf 'admin:%s' "$PASSWORD" | base64 -w0)
	local -a want=() clean=() missing=() absent=()
	while read -r kind dept rule; do
		case $kind in
		clean) clean+=("$dept") ;;
		finding) want+=("$dept $rule") ;;
		absent) absent+=("$dept $rule") ;;
		esac
	done < <(expectations "$file")
	[ ${#want[@]} -gt 0 ] || { echo "no expected findings in $file" >&2; return 1; }
	while :; do
		missing=()
		for w in "${want[@]}"; do
			read -r dept rule <<<"$w"
			body=$(violations_of "$host" "$port" "$auth" "department=$dept&rule=$rule")
			grep -q "\"rule\":\"$rule\"" <<<"$body" || missing+=("$dept/$rule")
		done
		[ ${#missing[@]} -eq 0 ] && break
		if [ $SECONDS -ge $deadline ]; then
			echo "findings still missing after ${WAIT}s: ${missing[*]}" >&2
			return 1
		fi
		sleep 3
	done
	for dept in "$@"; do
		body=$(violations_of "$host" "$port" "$auth" "department=$dept")
		n=$(grep -o '"rule":"' <<<"$body" | wc -l)
		echo "check: $dept has $n finding(s): $(grep -o '"rule":"[^"]*"' <<<"$body" | cut -d'"' -f4 | sort | uniq -c | xargs)" >&2
		for c in "${clean[@]}"; do
			if [ "$c" = "$dept" ] && [ "$n" != 0 ]; then
				echo "clean department $dept has findings: $body" >&2
				bad=1
			fi
		done
	done
	for w in "${absent[@]}"; do
		read -r dept rule <<<"$w"
		body=$(violations_of "$host" "$port" "$auth" "department=$dept&rule=$rule")
		if grep -q "\"rule\":\"$rule\"" <<<"$body"; then
			echo "wrong finding: $dept has $rule, expected none: $body" >&2
			bad=1
		fi
	done
	[ $bad = 0 ] || return 1
	echo "check: all ${#want[@]} expected findings raised; none for ${clean[*]:-(no clean department)}" >&2
	[ ${#absent[@]} = 0 ] || echo "check: none of the ${#absent[@]} wrong findings (${absent[*]})" >&2
	echo "check: findings complete ${SECONDS}s after start" >&2
}

# smoke_fail WHAT: the tails of every log, then exit 1 (cleanup runs on EXIT).
smoke_fail() {
	local f
	echo "demo: smoke check failed: $*" >&2
	for f in "$WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "--- tail of $f" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}

show_login() {
	cat >&2 <<EOF

  dashboard:  $1
  login:      admin / $PASSWORD
  work dir:   $WORK

EOF
	[ "$SMOKE" = 1 ] || echo "  Ctrl-C stops the demo and removes everything it started." >&2
}

loopback_demo() {
	say "not root: the lab needs network namespaces, so this is the loopback-only demo"
	cat >&2 <<'EOF'
   egovnet's real demo builds a district network out of Linux network namespaces
   (egovnet-lab), which needs root. Run `sudo make demo` for it. Here the collector
   listens on 127.0.0.1 and one agent scans only 127.0.0.1.
EOF
	local port=18080
	# Concurrent smoke runs (CI) must not race for the same first free port.
	[ "$SMOKE" = 0 ] || port=$((20000 + RANDOM % 20000))
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
schedule: {interval: $INTERVAL}
EOF
	"$AGENT" enroll --config "$WORK/agent.yaml" --collector "http://127.0.0.1:$port" --token "$token" >&2
	printf 'LibreOffice\t7.5.9.2\tThe Document Foundation\nMozilla Firefox\t115.6.0esr\tMozilla\n' >"$WORK/software.tsv"
	EGOVNET_HOST_SOFTWARE_FILE="$WORK/software.tsv" "$AGENT" run --config "$WORK/agent.yaml" >"$WORK/agent.log" 2>&1 &
	PIDS+=($!)
	say "waiting for the first report"
	if wait_reports 127.0.0.1 "$port" LOOP; then
		say "first report is in (${SECONDS}s after start)"
	elif [ "$SMOKE" = 1 ]; then
		smoke_fail "no report within ${WAIT}s"
	fi
	show_login "http://127.0.0.1:$port/"
	if [ "$SMOKE" = 1 ]; then
		check_login 127.0.0.1 "$port" || smoke_fail "login"
		say "smoke check passed (${SECONDS}s)"
		return 0
	fi
	wait
}

# Debian packages the lab demo needs, by the command that tells they are there.
LAB_PACKAGES="iproute2 procps snmpd snmp snmpsim"
LAB_TOOLS="ip sysctl snmpd snmpset snmpwalk snmpsimd"
if grep -q '^ *firewall:' "$SCENARIO" 2>/dev/null; then # NAT'd CPEs (district-fidelity)
	LAB_PACKAGES="$LAB_PACKAGES nftables"
	LAB_TOOLS="$LAB_TOOLS nft"
fi
lab_tools_missing() {
	local t missing=()
	for t in $LAB_TOOLS; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	echo "${missing[*]}"
}

# ensure_packages: as root on Debian/Ubuntu, installs what the lab needs
# (saying so first); elsewhere names what is missing and fails.
ensure_packages() {
	local missing
	missing=$(lab_tools_missing)
	[ -n "$missing" ] || return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		die "missing tools: $missing; install net-snmp (snmpd, snmpset, snmpwalk), snmpsim and iproute2 with your package manager"
	fi
	say "installing Debian packages the lab needs (missing: $missing): apt-get install $LAB_PACKAGES"
	echo "   (DEMO_NO_INSTALL=1 skips this; then install them yourself)" >&2
	[ "${DEMO_NO_INSTALL:-0}" != 1 ] || die "DEMO_NO_INSTALL=1 and tools are missing: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends $LAB_PACKAGES >/dev/null || die "apt-get install $LAB_PACKAGES failed"
	# Debian starts a system snmpd on 127.0.0.1:161 at install; the lab runs its own.
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet snmpd 2>/dev/null; then
		systemctl stop snmpd || true
	fi
	missing=$(lab_tools_missing)
	[ -z "$missing" ] || die "still missing after install: $missing"
}

if [ "$(id -u)" != 0 ]; then
	if missing=$(lab_tools_missing) && [ -n "$missing" ]; then
		echo "   For the lab demo, install as root: apt-get install $LAB_PACKAGES (or run 'sudo make demo', which does)." >&2
	fi
	loopback_demo
	exit 0
fi

ensure_packages

[ -x "$LAB" ] || die "$LAB not found: run 'make build' first"
say "lab up: $(basename "$SCENARIO")"
# A Ctrl-C while the lab comes up reaches egovnet-lab too, which then removes
# what it built; one that lands after it is done must still find RUN set.
trap 'INTERRUPTED=1' INT TERM
RUN=$("$LAB" up "$SCENARIO") || RUN=""
trap 'exit 130' INT TERM
[ "$INTERRUPTED" = 0 ] || exit 130
[ -n "$RUN" ] || die "egovnet-lab up failed (see above)"
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
	"$LAB" agent-config --run "$RUN" "$node" --collector "$RELAY_URL" --data-dir "$WORK/agent-$node" --interval "$INTERVAL" >"$cfg"
	"$LAB" exec --run "$RUN" "$node" -- "$AGENT" enroll --config "$cfg" --collector "$RELAY_URL" --token "$token" >&2
	# The department host's own software comes from the scenario, not from
	# this machine's dpkg database (agent key host.software_file).
	sw="$WORK/software-$node.tsv"
	"$LAB" software --run "$RUN" "$node" >"$sw"
	EGOVNET_HOST_SOFTWARE_FILE="$sw" "$LAB" exec --run "$RUN" "$node" -- "$AGENT" run --config "$cfg" >"$WORK/agent-$node.log" 2>&1 &
	PIDS+=($!)
	DEPTS+=("$dept")
done < <(awk '$1 == "node" && $3 == "agent" { print $2, $4 }' <<<"$STATUS")

say "waiting for the first report of ${#DEPTS[@]} departments (up to ${WAIT}s)"
if wait_reports "$ROOT_ADDR" "$PORT" "${DEPTS[@]}"; then
	say "first reports are in (${SECONDS}s after start)"
elif [ "$SMOKE" = 1 ]; then
	smoke_fail "not every department reported within ${WAIT}s"
fi
show_login "http://$ROOT_ADDR:$PORT/"
if [ "$SMOKE" = 1 ]; then
	check_login "$ROOT_ADDR" "$PORT" || smoke_fail "login"
	EXPECTED="${SCENARIO%.yaml}.expected.yaml"
	if [ -f "$EXPECTED" ]; then
		check_findings "$ROOT_ADDR" "$PORT" "$EXPECTED" "${DEPTS[@]}" || smoke_fail "findings"
	else
		echo "check: no $(basename "$EXPECTED"), findings not checked" >&2
	fi
	say "smoke check passed (${SECONDS}s)"
	exit 0
fi
wait
