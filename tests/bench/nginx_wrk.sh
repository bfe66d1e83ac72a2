#!/bin/sh
# nginx under wrk on 127.0.0.1, without and with zerotrace attached (--pid of the master,
# which follows the worker). Prints figures, asserts nothing.
#
#   usage: sh tests/bench/nginx_wrk.sh BUILD_DIR
#
# Saturated runs (wrk -t2 -c50 -d10s --latency), interleaved to cancel drift:
#   base  no agent
#   q     zerotrace -q            (console off, no exporter: capture + parse + spans)
#   qn    zerotrace -q --propagation none   (the same without context propagation: q/qn is
#         what propagation costs a server, which has no outgoing request to inject into)
#   qo    zerotrace -q -o FILE    (plus OTLP/JSON lines export to a file)
# ROUNDS rounds of "base q qn qo"; medians of req/s and p50/p99 latency per mode, the ratio
# traced/untraced, agent RSS (idle after attach, and at the end of the load) and CPU, and the
# agent's final summary line (spans made, drops).
# Then a paced run at 10 000 req/s (tests/bench/pace.lua: Debian has wrk, not wrk2), without
# and with the agent (-q -o FILE): achieved rate, latency, agent RSS and CPU.
#
# Environment: ZT_BENCH_DURATION (s per wrk run, default 10), ZT_BENCH_ROUNDS (default 3),
# ZT_BENCH_RATE (paced req/s, default 10000), ZT_BENCH_AGENT_ARGS (extra agent flags, e.g.
# "--hooks raw_tp"), ZT_BENCH_SUMMARY (file to append summary lines to, for run.sh).
set -eu

BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
AGENT=$(cd "$BUILD" && pwd)/zerotrace
DUR=${ZT_BENCH_DURATION:-10}
ROUNDS=${ZT_BENCH_ROUNDS:-3}
RATE=${ZT_BENCH_RATE:-10000}
SUMMARY=${ZT_BENCH_SUMMARY:-/dev/null}
AGENT_ARGS=${ZT_BENCH_AGENT_ARGS:-}
TARGET_RATIO=0.97
TARGET_RSS_MIB=32
HZ=$(getconf CLK_TCK)

for tool in nginx wrk python3 curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "nginx_wrk: $tool not found (make deps installs it)" >&2
		exit 1
	fi
done
[ -x "$AGENT" ] || { echo "nginx_wrk: no agent at $AGENT (make first)" >&2; exit 1; }

D=$(mktemp -d /tmp/zt-bench.XXXXXX)
chmod 755 "$D"	# nginx workers run as an unprivileged user
mkdir "$D/www"
NGINX_PID=
NGINX_KIDS=
AGENT_PID=

BENCH=nginx_wrk
. "$HERE/proc.sh"

cleanup() {
	trap - EXIT INT TERM
	[ -n "$AGENT_PID" ] && stop_pid "$AGENT_PID" INT 10
	if [ -n "$NGINX_PID" ]; then
		stop_pid "$NGINX_PID" TERM 5
		for k in $NGINX_KIDS; do
			alive "$k" && kill -KILL "$k" 2>/dev/null
		done
	fi
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/echo
cat > "$D/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $D/nginx.pid;
error_log $D/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $D/body;
    proxy_temp_path $D/proxy;
    fastcgi_temp_path $D/fastcgi;
    uwsgi_temp_path $D/uwsgi;
    scgi_temp_path $D/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$PORT;
        root $D/www;
        location /echo { return 200 "echo\n"; }
    }
}
EOF
nginx -c "$D/nginx.conf" -p "$D" -e "$D/error.log" </dev/null >/dev/null 2>&1 &
NGINX_PID=$!
n=0
until curl -fsS -o /dev/null "$URL" 2>/dev/null; do
	n=$((n + 1))
	if [ "$n" -gt 100 ] || ! alive "$NGINX_PID"; then
		echo "nginx_wrk: nginx did not start on 127.0.0.1:$PORT" >&2
		cat "$D/error.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done
NGINX_KIDS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
echo "nginx_wrk: nginx master $NGINX_PID (worker $NGINX_KIDS) on 127.0.0.1:$PORT; wrk -d${DUR}s; $(nproc) CPUs"

# ---- agent ----

# start_agent ARGS...: zerotrace -v ARGS --pid <nginx master>, wait until it traces.
start_agent() {
	: > "$D/agent.err"
	# shellcheck disable=SC2086 # AGENT_ARGS is a list of flags
	"$AGENT" -v $AGENT_ARGS "$@" --pid "$NGINX_PID" </dev/null >/dev/null 2>"$D/agent.err" &
	AGENT_PID=$!
	n=0
	until grep -q "tracing; stop with Ctrl-C" "$D/agent.err"; do
		n=$((n + 1))
		if [ "$n" -gt 300 ] || ! alive "$AGENT_PID"; then
			echo "nginx_wrk: agent did not start (last lines of its stderr):" >&2
			tail -n 15 "$D/agent.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	if [ -z "${HOOKS_SHOWN:-}" ]; then
		HOOKS_SHOWN=1
		echo "nginx_wrk: agent: $(sed -n 's/^zerotrace: info: //p' "$D/agent.err" | grep -i hook | tr '\n' ' ')"
	fi
}

# Stop the agent (SIGINT, bounded) and print its final summary line.
stop_agent() {
	t0=$(date +%s%N)
	stop_pid "$AGENT_PID" INT 30
	AGENT_PID=
	STOP_MS=$((($(date +%s%N) - t0) / 1000000))
	AGENT_SUMMARY=$(grep '^zerotrace: events' "$D/agent.err" | tail -n 1)
	[ -n "$AGENT_SUMMARY" ] || AGENT_SUMMARY="(no summary line; stderr: $(tail -n 3 "$D/agent.err" | tr '\n' ' '))"
	grep -E 'warning|error' "$D/agent.err" | sed 's/^/nginx_wrk:   agent said: /' || true
}

# "rss hwm anon" in kB of the running agent.
agent_mem() {
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } /^RssAnon:/ { a = $2 }
	     END { print r + 0, h + 0, a + 0 }' "/proc/$AGENT_PID/status" 2>/dev/null || echo "0 0 0"
}

# Voluntary + involuntary context switches of the agent (its wake-ups), all threads.
agent_cswitch() {
	cat /proc/"$AGENT_PID"/task/*/status 2>/dev/null |
		awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { t += $2 } END { print t + 0 }'
}

# utime + stime of the agent, in clock ticks.
agent_ticks() {
	awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat" 2>/dev/null || echo 0
}

# utime + stime of the nginx worker(s), in clock ticks.
nginx_ticks() {
	t=0
	for k in $NGINX_KIDS; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$k/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# ---- wrk ----

# to_ms VALUE: wrk latency ("625.00us", "1.05ms", "1.20s") in ms.
to_ms() {
	echo "$1" | awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) ; else if ($1 ~ /m$/) v *= 60000; else if ($1 ~ /s$/) v *= 1000; printf "%.3f", v }'
}

# run_wrk OUT ARGS...: wrk --latency ARGS (URL included), bounded in time; sets RPS P50 P99
# ERRS from its output, NGX_US (nginx worker CPU us per request) and HOST_BUSY (% of all CPUs).
run_wrk() {
	out=$1
	shift
	ngx0=$(nginx_ticks)
	ht=$(host_ticks)
	hb0=${ht% *}
	ht0=${ht#* }
	timeout -k 5 $((DUR + 30)) wrk --latency "$@" > "$out" 2>&1 || {
		echo "nginx_wrk: wrk failed:" >&2
		cat "$out" >&2
		exit 1
	}
	NGX_T=$(($(nginx_ticks) - ngx0))
	ht=$(host_ticks)
	HOST_BUSY=$(awk -v b="$((${ht% *} - hb0))" -v t="$((${ht#* } - ht0))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * b / t : 0) }')
	RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	REQS=$(awk '/requests in/ { print $1 }' "$out")
	NGX_US=$(awk -v t="$NGX_T" -v hz="$HZ" -v n="$REQS" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
	P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	ERRS=$(awk '/Socket errors|Non-2xx/ { sub(/^ +/, ""); printf "%s; ", $0 }' "$out")
}

# ---- saturated, interleaved ----

# A figure for the summary: printed, and appended to $SUMMARY.
say() {
	echo "nginx_wrk: $1"
	echo "$1" >> "$SUMMARY"
}

label_of() {
	case $1 in
	base) echo "untraced" ;;
	q) echo "zerotrace -q" ;;
	qn) echo "-q --propagation none" ;;
	qo) echo "zerotrace -q -o F" ;;
	esac
}

mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# Results, one line per run:
#   mode rps p50 p99 ngx_us host_busy idle_rss end_rss hwm idle_anon end_anon agent_cpu spans
RES=$D/results
: > "$RES"
saturated() {
	mode=$1
	case $mode in
	q) start_agent -q ;;
	qn) start_agent -q --propagation none ;;
	qo) start_agent -q -o "$D/spans.jsonl" ;;
	esac
	if [ "$mode" != base ]; then
		sleep 1	# settle after attach: the idle figure is the agent at rest
		# shellcheck disable=SC2046 # three numbers, split on purpose
		set -- $(agent_mem)
		IDLE_RSS=$1 IDLE_ANON=$3
		ticks0=$(agent_ticks)
		cs0=$(agent_cswitch)
	fi
	run_wrk "$D/wrk.out" -t2 -c50 -d"${DUR}s" "$URL"
	line="$mode $RPS $P50 $P99 $NGX_US $HOST_BUSY"
	msg=""
	if [ "$mode" = base ]; then
		line="$line 0 0 0 0 0 0 0"
	else
		# shellcheck disable=SC2046 # three numbers, split on purpose
		set -- $(agent_mem)
		cpu=$(awk -v t="$(($(agent_ticks) - ticks0))" -v hz="$HZ" -v d="$DUR" 'BEGIN { printf "%.0f", 100 * t / hz / d }')
		cs=$(awk -v c="$(($(agent_cswitch) - cs0))" -v n="$REQS" 'BEGIN { printf "%.2f", (n > 0 ? c / n : 0) }')
		stop_agent
		spans=$(echo "$AGENT_SUMMARY" | sed -n 's/^[^;]*, spans \([0-9]*\).*/\1/p')
		line="$line $IDLE_RSS $1 $2 $IDLE_ANON $3 $cpu ${spans:-0}"
		msg=" | agent RSS idle $(mib "$IDLE_RSS") MiB, end $(mib "$1") MiB (peak $(mib "$2"), private $(mib "$3")), CPU ${cpu}% of a core, ${cs} wake-ups/req, stop ${STOP_MS} ms"
		if [ "$mode" = qo ]; then
			bytes=$(stat -c %s "$D/spans.jsonl" 2>/dev/null || echo 0)
			msg="$msg, file $((bytes / 1048576)) MiB"
			rm -f "$D/spans.jsonl"
		fi
		eval "SUMLINE_$mode=\$AGENT_SUMMARY"
	fi
	echo "$line" >> "$RES"
	printf 'nginx_wrk: %-4s %6s req/s  p50 %s ms  p99 %s ms  nginx %s us CPU/req  host busy %s%%%s%s\n' \
		"$mode" "$RPS" "$P50" "$P99" "$NGX_US" "$HOST_BUSY" "$msg" "${ERRS:+  [$ERRS]}"
	[ "$mode" = base ] || echo "nginx_wrk:      $AGENT_SUMMARY"
}

# Other load on the host skews every figure below: say so.
IDLE_BUSY=$(host_busy_over_1s)
if [ "$IDLE_BUSY" -gt 10 ]; then
	say "WARNING: host already ${IDLE_BUSY}% busy before the benchmark (other load): figures are unreliable"
else
	echo "nginx_wrk: host ${IDLE_BUSY}% busy before the benchmark"
fi

# Warm-up (not counted): nginx, page cache, CPU frequency.
run_wrk "$D/wrk.out" -t2 -c50 -d2s "$URL"
echo "nginx_wrk: warm-up $RPS req/s"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for m in base q qn qo; do
		saturated "$m"
	done
	r=$((r + 1))
done

B_RPS=$(median 2 base)
echo "nginx_wrk: medians of $ROUNDS rounds (wrk -t2 -c50 -d${DUR}s, nginx 1 worker, GET /echo, $(nproc) CPUs shared by wrk, nginx and the agent):"
for m in base q qn qo; do
	rps=$(median 2 "$m")
	ratio=$(awk -v a="$rps" -v b="$B_RPS" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	s=$(printf 'nginx+wrk %-17s %6.0f req/s  p50 %.3f ms  p99 %.3f ms  nginx %s us CPU/req' \
		"$(label_of "$m")" "$rps" "$(median 3 "$m")" "$(median 4 "$m")" "$(median 5 "$m")")
	if [ "$m" != base ]; then
		ok=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print ((r >= t) ? "met" : "MISSED") }')
		s="$s  ratio $ratio [target >= $TARGET_RATIO: $ok]"
	fi
	say "$s"
done
# Propagation on/off for a server: each round's q against its qn (paired: the host drifts).
pq=$(awk '$1 == "q" { q = $2 } $1 == "qn" && $2 > 0 { printf "%.3f\n", q / $2 }' "$RES" | sort -g |
	awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
ok=$(awk -v r="$pq" -v t="$TARGET_RATIO" 'BEGIN { print ((r >= t) ? "met" : "MISSED") }')
say "nginx+wrk propagation on/off (zerotrace -q vs -q --propagation none, median of $ROUNDS paired rounds) $pq [target >= $TARGET_RATIO: $ok]"
for m in q qo; do
	end=$(median 8 "$m")
	ok=$(awk -v r="$end" -v t="$TARGET_RSS_MIB" 'BEGIN { print ((r / 1024 < t) ? "met" : "MISSED") }')
	say "$(printf 'agent %-17s saturated: RSS idle %s MiB, end of load %s MiB (peak %s) [target < %d MiB: %s]; private (RssAnon) idle %s, end %s MiB; CPU %s%% of a core' \
		"$(label_of "$m")" "$(mib "$(median 7 "$m")")" "$(mib "$end")" "$(mib "$(median 9 "$m")")" \
		"$TARGET_RSS_MIB" "$ok" "$(mib "$(median 10 "$m")")" "$(mib "$(median 11 "$m")")" "$(median 12 "$m")")"
done
# Drops: the last run's summary line of each traced mode.
for m in q qo; do
	sl=
	eval "sl=\${SUMLINE_$m:-}"
	say "agent $(label_of "$m") summary (last run): $(echo "$sl" | sed -n 's/^zerotrace: \([^;]*\);.*/\1/p'); dropped: $(echo "$sl" | sed -n 's/.*dropped: \([^;]*\).*/\1/p')"
done

# ---- paced ----

# Enough connections that one is always free when its slot comes.
paced() {
	run_wrk "$D/wrk.out" -t1 -c32 -d"${DUR}s" -s "$HERE/pace.lua" "$URL" -- "$RATE" 1
}
paced
say "$(printf 'paced %s req/s untraced:          achieved %s req/s, p50 %.3f ms, p99 %.3f ms, nginx %s us CPU/req, host busy %s%%%s' \
	"$RATE" "$RPS" "$P50" "$P99" "$NGX_US" "$HOST_BUSY" "${ERRS:+  [$ERRS]}")"
start_agent -q -o "$D/spans.jsonl"
sleep 1
# shellcheck disable=SC2046 # three numbers, split on purpose
set -- $(agent_mem)
IDLE_RSS=$1
ticks0=$(agent_ticks)
cs0=$(agent_cswitch)
paced
# shellcheck disable=SC2046 # three numbers, split on purpose
set -- $(agent_mem)
cpu=$(awk -v t="$(($(agent_ticks) - ticks0))" -v hz="$HZ" -v d="$DUR" 'BEGIN { printf "%.1f", 100 * t / hz / d }')
cs=$(awk -v c="$(($(agent_cswitch) - cs0))" -v n="$REQS" 'BEGIN { printf "%.2f", (n > 0 ? c / n : 0) }')
stop_agent
bytes=$(stat -c %s "$D/spans.jsonl" 2>/dev/null || echo 0)
rm -f "$D/spans.jsonl"
ok=$(awk -v r="$1" -v t="$TARGET_RSS_MIB" 'BEGIN { print ((r / 1024 < t) ? "met" : "MISSED") }')
say "$(printf 'paced %s req/s zerotrace -q -o F: achieved %s req/s, p50 %.3f ms, p99 %.3f ms, nginx %s us CPU/req, host busy %s%%%s' \
	"$RATE" "$RPS" "$P50" "$P99" "$NGX_US" "$HOST_BUSY" "${ERRS:+  [$ERRS]}")"
say "$(printf 'paced %s req/s agent: RSS idle %s MiB, end %s MiB (peak %s, private %s) [target < %d MiB: %s]; CPU %s%% of a core; %s wake-ups/req; file %s MiB' \
	"$RATE" "$(mib "$IDLE_RSS")" "$(mib "$1")" "$(mib "$2")" "$(mib "$3")" "$TARGET_RSS_MIB" "$ok" "$cpu" "$cs" "$((bytes / 1048576))")"
say "paced agent summary: $(echo "$AGENT_SUMMARY" | sed -n 's/^zerotrace: \([^;]*\);.*/\1/p'); dropped: $(echo "$AGENT_SUMMARY" | sed -n 's/.*dropped: \([^;]*\).*/\1/p')"
echo "nginx_wrk: RSS counts the agent's mapping of the kernel ring buffer (touched pages); 'private' (RssAnon) is the agent's own heap and stacks."
exit 0
