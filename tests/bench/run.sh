#!/bin/sh
# zerotrace benchmarks: the userspace pipeline replayed without the kernel, nginx under wrk
# without and with the agent, chain accuracy through proxies, nginx proxy throughput with
# propagation on and off, and protocol clients (pgbench, redis-benchmark, h2load) without and
# with the agent. Prints figures and a summary block to paste into a README; asserts nothing (the exit code is non-zero only when a benchmark could not run).
#
#   usage: sh tests/bench/run.sh BUILD_DIR      (make bench builds everything and runs this)
#
# About 10 minutes on 2 CPUs. Loopback only.
set -u

BUILD=${1:?usage: run.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/zt-bench-run.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
rc=0
t0=$(date +%s)

echo "== replay: userspace pipeline without the kernel (one core)"
{
	timeout -k 5 150 "$BUILD/bench/replay"
	echo $? > "$TMP/replay.rc"
} | tee "$TMP/replay.out"
[ "$(cat "$TMP/replay.rc")" = 0 ] || { echo "run.sh: replay failed" >&2; rc=1; }

echo
echo "== nginx + wrk: untraced vs traced"
: > "$TMP/nginx.sum"
ZT_BENCH_SUMMARY="$TMP/nginx.sum" sh "$HERE/nginx_wrk.sh" "$BUILD" || { echo "run.sh: nginx_wrk.sh failed" >&2; rc=1; }

echo
echo "== nginx reverse proxy + wrk: propagation none vs all"
: > "$TMP/proxy.sum"
ZT_BENCH_SUMMARY="$TMP/proxy.sum" sh "$HERE/nginx_proxy.sh" "$BUILD" || { echo "run.sh: nginx_proxy.sh failed" >&2; rc=1; }

echo
echo "== chain accuracy: requests through traced services that form one connected trace"
: > "$TMP/chain.sum"
ZT_BENCH_SUMMARY="$TMP/chain.sum" timeout -k 30 1200 python3 "$HERE/chain_accuracy.py" "$BUILD" ||
	{ echo "run.sh: chain_accuracy.py failed" >&2; rc=1; }

echo
echo "== protocol clients: pgbench, redis-benchmark and h2load, untraced vs traced"
: > "$TMP/db.sum"
ZT_BENCH_SUMMARY="$TMP/db.sum" timeout -k 30 900 python3 "$HERE/proto_bench.py" "$BUILD" ||
	{ echo "run.sh: proto_bench.py failed" >&2; rc=1; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "zerotrace benchmarks"
echo "  machine: $(nproc) CPUs ($cpu), Linux $(uname -r), loopback; $(date -u +%Y-%m-%d)"
grep -E '^(replay|parse|encode): [^ ]' "$TMP/replay.out" | sed 's/^/  /'
sed 's/^/  /' "$TMP/nginx.sum"
sed 's/^/  /' "$TMP/proxy.sum"
sed 's/^/  /' "$TMP/chain.sum"
sed 's/^/  /' "$TMP/db.sum"
echo "  (benchmarks took $(($(date +%s) - t0)) s)"
exit $rc
