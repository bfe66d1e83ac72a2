#!/bin/sh
# Cost of traceparent injection: wrk against an nginx reverse proxy (proxy_pass to a keepalive
# upstream) in front of a backend nginx answering 200, with zerotrace tracing both nginx
# (--pid of each master) with propagation off and on. Prints figures, asserts nothing.
#
#   usage: sh tests/bench/nginx_proxy.sh BUILD_DIR
#
# Modes, interleaved ("base none all" x ROUNDS) to cancel drift:
#   base  no agent
#   none  zerotrace -q --propagation none   (spans of both nginx, no sockops/sk_msg)
#   all   zerotrace -q                      (default --propagation all: every proxied
#                                            request gets a traceparent in the kernel)
# Each run starts both nginx afresh (1 worker each) and, traced, the agent before any
# traffic, so the upstream keep-alive connections are made under the agent (sockops sees
# their connect()); then 2 s of wrk warm-up (not counted) and wrk -t2 -c50 -d${DUR}s --latency.
# Medians of req/s and p50/p99 per mode, the median of the rounds' all/none ratios (target
# >= 0.97), all/untraced,
# and the agent's 'propagated' count (injected headers) against the requests wrk made.
#
# Environment: ZT_BENCH_DURATION (s per wrk run, default 10), ZT_BENCH_ROUNDS (default 5),
# ZT_BENCH_AGENT_ARGS (extra agent flags), ZT_BENCH_SUMMARY (file to append summary lines to).
set -eu

BUILD=${1:-build}
AGENT=$(cd "$BUILD" && pwd)/zerotrace
DUR=${ZT_BENCH_DURATION:-10}
ROUNDS=${ZT_BENCH_ROUNDS:-5}
SUMMARY=${ZT_BENCH_SUMMARY:-/dev/null}
AGENT_ARGS=${ZT_BENCH_AGENT_ARGS:-}
TARGET_RATIO=0.97
HZ=$(getconf CLK_TCK)

for tool in nginx wrk python3 curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "nginx_proxy: $tool not found (make deps installs it)" >&2
		exit 1
	fi
done
[ -x "$AGENT" ] || { echo "nginx_proxy: no agent at $AGENT (make first)" >&2; exit 1; }

D=$(mktemp -d /tmp/zt-bench-proxy.XXXXXX)
chmod 755 "$D"	# nginx workers run as an unprivileged user
FRONT_PID=
BACK_PID=
FRONT_KIDS=
BACK_KIDS=
AGENT_PID=

BENCH=nginx_proxy
. "$(dirname "$0")/proc.sh"

# Stop both nginx (master, then any worker left behind).
stop_nginx() {
	for m in "$FRONT_PID" "$BACK_PID"; do
		[ -n "$m" ] && stop_pid "$m" TERM 5
	done
	for k in $FRONT_KIDS $BACK_KIDS; do
		alive "$k" && kill -KILL "$k" 2>/dev/null
	done
	FRONT_PID=''
	BACK_PID=''
	FRONT_KIDS=''
	BACK_KIDS=''
}

cleanup() {
	trap - EXIT INT TERM
	[ -n "$AGENT_PID" ] && stop_pid "$AGENT_PID" INT 10
	stop_nginx
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
BACK_PORT=$(free_port)
FRONT_PORT=$(free_port)
URL=http://127.0.0.1:$FRONT_PORT/api/x

# conf NAME PORT SERVER_BLOCK_BODY [HTTP_EXTRA]
conf() {
	mkdir -p "$D/$1"
	cat > "$D/$1/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $D/$1/nginx.pid;
error_log $D/$1/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $D/$1/body;
    proxy_temp_path $D/$1/proxy;
    fastcgi_temp_path $D/$1/fastcgi;
    uwsgi_temp_path $D/$1/uwsgi;
    scgi_temp_path $D/$1/scgi;
    keepalive_requests 1000000;
    $4
    server {
        listen 127.0.0.1:$2;
        $3
    }
}
EOF
}
conf back "$BACK_PORT" 'location / { return 200 "backend\n"; }' ''
conf front "$FRONT_PORT" 'location /api/ {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }' "upstream backend {
        server 127.0.0.1:$BACK_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }"

# start_one NAME PORT: nginx in the background; prints its master pid.
start_one() {
	nginx -c "$D/$1/nginx.conf" -p "$D/$1" -e "$D/$1/error.log" </dev/null >/dev/null 2>&1 &
	echo $!
}

# Both nginx, waiting until both listen (TCP probes only: no request goes through the proxy,
# so no upstream connection exists before the agent attaches).
start_nginx() {
	BACK_PID=$(start_one back "$BACK_PORT")
	FRONT_PID=$(start_one front "$FRONT_PORT")
	n=0
	until python3 -c "import socket, sys
for p in sys.argv[1:]: socket.create_connection(('127.0.0.1', int(p)), timeout=0.5).close()" \
		"$BACK_PORT" "$FRONT_PORT" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt 100 ] || ! alive "$BACK_PID" || ! alive "$FRONT_PID"; then
			echo "nginx_proxy: nginx did not start on 127.0.0.1:$BACK_PORT/$FRONT_PORT" >&2
			cat "$D/back/error.log" "$D/front/error.log" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done
	FRONT_KIDS=$(pgrep -P "$FRONT_PID" | tr '\n' ' ')
	BACK_KIDS=$(pgrep -P "$BACK_PID" | tr '\n' ' ')
}

# start_agent ARGS...: zerotrace -v -q ARGS --pid <both masters>, wait until it traces.
start_agent() {
	: > "$D/agent.err"
	# shellcheck disable=SC2086 # AGENT_ARGS is a list of flags
	"$AGENT" -v -q $AGENT_ARGS "$@" --pid "$FRONT_PID" --pid "$BACK_PID" </dev/null >/dev/null 2>"$D/agent.err" &
	AGENT_PID=$!
	n=0
	until grep -q "tracing; stop with Ctrl-C" "$D/agent.err"; do
		n=$((n + 1))
		if [ "$n" -gt 300 ] || ! alive "$AGENT_PID"; then
			echo "nginx_proxy: agent did not start (last lines of its stderr):" >&2
			tail -n 15 "$D/agent.err" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# Stop the agent (SIGINT, bounded); AGENT_SUMMARY is its final line.
stop_agent() {
	stop_pid "$AGENT_PID" INT 30
	AGENT_PID=
	AGENT_SUMMARY=$(grep '^zerotrace: events' "$D/agent.err" | tail -n 1)
	[ -n "$AGENT_SUMMARY" ] || AGENT_SUMMARY="(no summary line; stderr: $(tail -n 3 "$D/agent.err" | tr '\n' ' '))"
	grep -E 'warning|error' "$D/agent.err" | sed 's/^/nginx_proxy:   agent said: /' || true
}

# utime + stime of the agent, in clock ticks.
agent_ticks() {
	awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat" 2>/dev/null || echo 0
}

# to_ms VALUE: wrk latency ("625.00us", "1.05ms", "1.20s") in ms.
to_ms() {
	echo "$1" | awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) ; else if ($1 ~ /m$/) v *= 60000; else if ($1 ~ /s$/) v *= 1000; printf "%.3f", v }'
}

# run_wrk OUT SECONDS: wrk -t2 -c50 --latency, bounded in time; sets RPS REQS P50 P99 ERRS
# and HOST_BUSY (% of all CPUs during the run).
run_wrk() {
	ht=$(host_ticks)
	timeout -k 5 $(($2 + 30)) wrk -t2 -c50 -d"$2s" --latency "$URL" > "$1" 2>&1 || {
		echo "nginx_proxy: wrk failed:" >&2
		cat "$1" >&2
		exit 1
	}
	RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1")
	REQS=$(awk '/requests in/ { print $1 }' "$1")
	P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$1")")
	P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$1")")
	ERRS=$(awk '/Socket errors|Non-2xx/ { sub(/^ +/, ""); printf "%s; ", $0 }' "$1")
	ht2=$(host_ticks)
	HOST_BUSY=$(awk -v b="$((${ht2% *} - ${ht% *}))" -v t="$((${ht2#* } - ${ht#* }))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * b / t : 0) }')
}

# A figure for the summary: printed, and appended to $SUMMARY.
say() {
	echo "nginx_proxy: $1"
	echo "$1" >> "$SUMMARY"
}

label_of() {
	case $1 in
	base) echo "untraced" ;;
	none) echo "--propagation none" ;;
	all) echo "--propagation all" ;;
	esac
}

# summary_count NAME: a count from the agent's final line ("propagated 123").
# The first match: "spans" also ends "database spans 0" later on the line.
summary_count() {
	echo "$AGENT_SUMMARY" | grep -o "[ (]$1 [0-9]*" | head -n 1 | awk '{ print $NF }'
}

# Results, one line per run:
#   mode rps p50 p99 reqs warmup_reqs propagated had_tp spans agent_cpu host_busy
RES=$D/results
: > "$RES"
one_run() {
	mode=$1
	start_nginx
	case $mode in
	none) start_agent --propagation none ;;
	all) start_agent ;;
	esac
	run_wrk "$D/warm.out" 2
	warm=$REQS
	t0=$(agent_ticks)
	run_wrk "$D/wrk.out" "$DUR"
	prop=0 had=0 spans=0 cpu=0
	if [ "$mode" != base ]; then
		cpu=$(awk -v t="$(($(agent_ticks) - t0))" -v hz="$HZ" -v d="$DUR" 'BEGIN { printf "%.0f", 100 * t / hz / d }')
		stop_agent
		prop=$(summary_count propagated)
		had=$(summary_count "had traceparent")
		spans=$(summary_count spans)
	fi
	stop_nginx
	echo "$mode $RPS $P50 $P99 $REQS $warm ${prop:-0} ${had:-0} ${spans:-0} $cpu $HOST_BUSY" >> "$RES"
	extra=
	if [ "$mode" != base ]; then
		extra=$(printf '  agent CPU %s%% of a core, propagated %s, had traceparent %s, spans %s (requests incl. warm-up %s)' \
			"$cpu" "${prop:-?}" "${had:-?}" "${spans:-?}" "$((REQS + warm))")
	fi
	printf 'nginx_proxy: %-4s %6s req/s  p50 %s ms  p99 %s ms  host busy %s%%%s%s\n' "$mode" "$RPS" "$P50" "$P99" \
		"$HOST_BUSY" "$extra" "${ERRS:+  [$ERRS]}"
	[ "$mode" = base ] || echo "nginx_proxy:      $AGENT_SUMMARY"
}

# Other load on the host skews every figure below: say so.
IDLE_BUSY=$(host_busy_over_1s)
if [ "$IDLE_BUSY" -gt 10 ]; then
	say "WARNING: host already ${IDLE_BUSY}% busy before the benchmark (other load): figures are unreliable"
else
	echo "nginx_proxy: host ${IDLE_BUSY}% busy before the benchmark"
fi

echo "nginx_proxy: wrk -t2 -c50 -d${DUR}s -> nginx proxy_pass 127.0.0.1:$FRONT_PORT (keepalive upstream) -> nginx return 200 127.0.0.1:$BACK_PORT; 1 worker each; $(nproc) CPUs; $ROUNDS rounds"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for m in base none all; do
		one_run "$m"
	done
	r=$((r + 1))
done

B_RPS=$(median 2 base)
N_RPS=$(median 2 none)
A_RPS=$(median 2 all)
echo "nginx_proxy: medians of $ROUNDS rounds (wrk -t2 -c50 -d${DUR}s, nginx -> nginx keepalive, $(nproc) CPUs shared by wrk, both nginx and the agent):"
for m in base none all; do
	s=$(printf 'nginx proxy %-19s %6.0f req/s  p50 %.3f ms  p99 %.3f ms  host busy %s%%' \
		"$(label_of "$m")" "$(median 2 "$m")" "$(median 3 "$m")" "$(median 4 "$m")" "$(median 11 "$m")")
	[ "$m" = base ] || s="$s  agent CPU $(median 10 "$m")% of a core"
	say "$s"
done
# all/none per round: each 'all' run against the 'none' run just before it. This host's
# throughput drifts by 10-25 % within minutes; a ratio of the two modes' medians mixes that
# drift in, a median of paired ratios does not.
PAIRED=$(awk '$1 == "none" { n = $2 } $1 == "all" && n > 0 { printf "%.3f\n", $2 / n }' "$RES" | sort -g)
r_an=$(echo "$PAIRED" | awk '{ v[NR] = $1 } END { if (NR == 0) print "0.000"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
r_spread=$(echo "$PAIRED" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }')
r_ab=$(awk -v a="$A_RPS" -v b="$B_RPS" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
r_nb=$(awk -v a="$N_RPS" -v b="$B_RPS" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
ok=$(awk -v r="$r_an" -v t="$TARGET_RATIO" 'BEGIN { print ((r >= t) ? "met" : "MISSED") }')
say "nginx proxy ratio all/none $r_an (median of $ROUNDS paired rounds, range $r_spread) [target >= $TARGET_RATIO: $ok]; all/untraced $r_ab; none/untraced $r_nb (ratios of medians)"
# Injection happened: headers injected per proxied request (warm-up included), 'all' runs.
inj=$(awk '$1 == "all" { p += $7; n += $5 + $6; h += $8 } END { printf "%d of %d requests (%.3f per request), had traceparent %d", p, n, (n > 0 ? p / n : 0), h }' "$RES")
inj_none=$(awk '$1 == "none" { p += $7 } END { print p + 0 }' "$RES")
say "nginx proxy propagated (all runs, sum): $inj; with --propagation none: $inj_none"
exit 0
