"""Protocol client throughput without and with zerotrace: pgbench (select-only, prepared),
redis-benchmark (plain and pipelined -P 16), h2load against nghttpd (HTTP/2, 50 streams per
connection; the agent traces both ends and injects traceparent into every HEADERS frame).
Runs alternate untraced/traced to cancel drift; medians per mode, the traced/untraced ratio
(target >= 0.95) and the spans the agent made. Prints figures, asserts nothing.
usage: proto_bench.py BUILD_DIR

Environment: ZT_BENCH_DURATION (s per pgbench run, default 8), ZT_BENCH_ROUNDS (default 3),
ZT_BENCH_SUMMARY (file to append summary lines to, for run.sh).
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import db_servers  # noqa: E402
from lib import Skip, free_port, wait_port  # noqa: E402

TARGET = 0.95
DUR = int(os.environ.get("ZT_BENCH_DURATION", "8"))
ROUNDS = int(os.environ.get("ZT_BENCH_ROUNDS", "3"))


def traced(agent, cmd, out, extra=()):
    """cmd under `zerotrace -q -o out`; returns (stdout, agent summary line)."""
    r = subprocess.run([agent, "-q", "-o", out] + list(extra) + ["--"] + cmd,
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise RuntimeError("traced %s failed: %s" % (cmd[0], r.stderr[-500:]))
    summary = [x for x in r.stderr.splitlines() if x.startswith("zerotrace: events")]
    return r.stdout, summary[-1] if summary else ""


def untraced(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise RuntimeError("%s failed: %s" % (cmd[0], r.stderr[-500:]))
    return r.stdout


def spans_of(summary):
    m = re.search(r"spans (\d+)", summary)
    return int(m.group(1)) if m else 0


def compare(name, agent, cmd, rate_of, extra=()):
    base, with_agent, spans = [], [], []
    out = os.path.join(tempfile.mkdtemp(prefix="zt-bench-"), "spans.jsonl")
    for _ in range(ROUNDS):
        base.append(rate_of(untraced(cmd)))
        stdout, summary = traced(agent, cmd, out, extra)
        with_agent.append(rate_of(stdout))
        spans.append(spans_of(summary))
        os.unlink(out)
    b, t = statistics.median(base), statistics.median(with_agent)
    ratio = t / b if b else 0
    line = "%s: %.0f/s untraced, %.0f/s traced, ratio %.3f (target %.2f: %s), %d spans per run" % (
        name, b, t, ratio, TARGET, "met" if ratio >= TARGET else "MISSED", statistics.median(spans))
    print(line, flush=True)
    return line


def pgbench_tps(out):
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def redis_rps(test):
    def rate(out):
        return float(re.search(r"^%s: ([\d.]+) requests per second" % test, out, re.M).group(1))
    return rate


def h2load_rps(out):
    return float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", out).group(1))


def bench_h2(agent):
    for tool in ("nghttpd", "h2load"):
        if not shutil.which(tool):
            print("proto_bench: %s missing: HTTP/2 skipped" % tool)
            return None
    d = tempfile.mkdtemp(prefix="zt-h2bench-")
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("hello over h2\n")
    port = free_port()
    srv = subprocess.Popen(["nghttpd", "--no-tls", "-d", d, str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        h2 = ["h2load", "-n", "200000", "-c", "4", "-m", "50",
              "http://127.0.0.1:%d/index.html" % port]
        return compare("h2load -c 4 -m 50 (HTTP/2), nghttpd traced too", agent, h2,
                       h2load_rps, ["--pid", str(srv.pid)])
    finally:
        srv.terminate()
        srv.wait()


def main():
    agent = os.path.join(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build"),
                         "zerotrace")
    lines = []
    try:
        pg, rd = db_servers.postgres(), db_servers.redis()
    except Skip as e:
        print("proto_bench: cannot start the databases: %s" % e)
        return 1
    subprocess.run(["pgbench", "-i", "-q", "-s", "2", "-h", "127.0.0.1", "-p", str(pg.port),
                    "-U", "postgres", "shop"], check=True, capture_output=True)
    pgb = ["pgbench", "-n", "-S", "-M", "prepared", "-c", "4", "-j", "2", "-T", str(DUR),
           "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "shop"]
    lines.append(compare("pgbench select-only prepared, 4 clients", agent, pgb, pgbench_tps))
    for pipe in (1, 16):
        n = 100000 if pipe == 1 else 400000
        rb = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(rd.port), "-n", str(n), "-c", "8",
              "-P", str(pipe), "-t", "get", "-q"]
        lines.append(compare("redis-benchmark GET -P %d, 8 clients" % pipe, agent, rb,
                             redis_rps("GET")))
    h2 = bench_h2(agent)
    if h2:
        lines.append(h2)
    summary = os.environ.get("ZT_BENCH_SUMMARY")
    if summary:
        with open(summary, "a") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
