#!/usr/bin/env python3
"""Chain accuracy: does every request through several traced services become one connected
trace? Prints figures, asserts nothing (exit code non-zero only when a run could not happen).

    usage: python3 tests/bench/chain_accuracy.py [BUILD_DIR]

Topologies (all on 127.0.0.1, every service traced with --pid, the load generator untraced):
  python-threads  load -> A (scripts/demo/service.py) -> B (service.py)
  nginx-front     load -> nginx (proxy_pass, keepalive upstream) -> B (service.py)
  nginx-middle    load -> A (service.py) -> nginx (proxy_pass, keepalive upstream) -> B
  node-front      load -> Node.js http event loop (tests/bench/node_proxy.js) -> B
For each topology and each concurrency (1, 10, 50) fresh services and a fresh agent are
started, N requests are sent (unique path per request: /r/<topology>-c<c>/<i>) over keep-alive
connections from a thread pool, the agent is stopped and its OTLP/JSON spans are read.

A request counts as correct when its chain is complete and well linked, from the first
service's SERVER span down (the load generator is untraced, so it has no client span):
  - exactly one SERVER span of the first service with the request's url.path, with no parent;
  - for each hop: exactly one CLIENT span of that service whose parent is the hop's SERVER
    span, then exactly one SERVER span of the next service whose parent is that CLIENT span,
    its url.path the one expected (the request's own path through nginx, /b from A);
  - one trace_id along the chain; each child inside its parent in time (1 ms slack);
  - the request itself answered 200.
Failures are counted by reason (first broken link) and a few are printed with the spans
around them. A looser figure is printed too: every hop's spans present in the request's own
trace, whatever their parent links (a trace that is whole but mis-parented inside).

About 3.5 minutes: service.py answers with two writes (head, then body), so on a keep-alive
connection Nagle + delayed ACK cost ~40 ms per request, with or without the agent; the c=1
runs take ~45 s each.

Environment: ZT_CHAIN_REQUESTS (default 1000), ZT_CHAIN_CONC (default "1 10 50"),
ZT_CHAIN_KINDS (default "python-threads nginx-front nginx-middle"), ZT_CHAIN_EXAMPLES (wrong
chains shown per run, default 3), ZT_BENCH_SUMMARY (file to append summary lines to).
"""
import collections
import http.client
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
if len(sys.argv) > 1:
    os.environ["ZEROTRACE"] = os.path.join(os.path.abspath(sys.argv[1]), "zerotrace")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from lib import (AGENT, CLIENT, SERVER, Agent, Proc, free_port, tmpdir,  # noqa: E402
                 wait_port)

SERVICE_PY = os.path.join(ROOT, "scripts", "demo", "service.py")
N = int(os.environ.get("ZT_CHAIN_REQUESTS", "1000"))
CONCS = [int(c) for c in os.environ.get("ZT_CHAIN_CONC", "1 10 50").split()]
KINDS = os.environ.get("ZT_CHAIN_KINDS",
                       "python-threads nginx-front nginx-middle node-front").split()
EXAMPLES = int(os.environ.get("ZT_CHAIN_EXAMPLES", "3"))
SUMMARY = os.environ.get("ZT_BENCH_SUMMARY")
TARGET = {"python-threads": 100.0, "nginx-front": 99.0, "nginx-middle": 99.0,
          "node-front": 99.0}
LOAD_DEADLINE = 180      # s for the N requests of one run
REQ_TIMEOUT = 15         # s per request
SLACK_NS = 1_000_000     # time containment slack

NGINX_PROXY_CONF = """
daemon off;
master_process on;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000;
    upstream backend {{
        server 127.0.0.1:{up};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 10s;
        }}
    }}
}}
"""


def log(msg):
    print("chain_accuracy: " + msg, flush=True)


def say(msg):
    """A headline figure: printed, and appended to $ZT_BENCH_SUMMARY."""
    line = "chain_accuracy: " + msg
    print(line, flush=True)
    if SUMMARY:
        with open(SUMMARY, "a") as f:
            f.write(line + "\n")
    return line


DIRS = []


def mkdir():
    d = tmpdir()
    DIRS.append(d)
    return d


def rm_dirs():
    while DIRS:
        shutil.rmtree(DIRS.pop(), ignore_errors=True)


def python_service(port, name, downstream=()):
    env = dict(os.environ, OTEL_SERVICE_NAME=name)
    p = Proc(["python3", SERVICE_PY, str(port)] + list(downstream), env=env, cwd=mkdir())
    wait_port(port)
    return p


def nginx_proxy(port, up):
    d = mkdir()
    os.chmod(d, 0o755)  # nginx workers run as an unprivileged user
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_PROXY_CONF.format(dir=d, port=port, up=up))
    p = Proc(["nginx", "-c", conf, "-p", d, "-e", os.path.join(d, "error.log")])
    wait_port(port)
    return p


def start_topology(kind):
    """Start the services; return (procs, entry port, hops). hops: [(service, path of its
    server span or None for the request's own path)], first service first."""
    procs = []
    try:
        b = free_port()
        procs.append(python_service(b, "svcB"))
        if kind == "python-threads":
            a = free_port()
            procs.append(python_service(a, "svcA", ["http://127.0.0.1:%d/b" % b]))
            return procs, a, [("svcA", None), ("svcB", "/b")]
        if kind == "nginx-front":
            n = free_port()
            procs.append(nginx_proxy(n, b))
            return procs, n, [("nginx", None), ("svcB", None)]
        if kind == "node-front":
            n = free_port()
            env = dict(os.environ, OTEL_SERVICE_NAME="node")
            procs.append(Proc(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "node_proxy.js"), str(n), str(b)], env=env))
            wait_port(n)
            return procs, n, [("node", None), ("svcB", "/b")]
        if kind == "nginx-middle":
            n = free_port()
            procs.append(nginx_proxy(n, b))
            a = free_port()
            procs.append(python_service(a, "svcA", ["http://127.0.0.1:%d/b" % n]))
            return procs, a, [("svcA", None), ("nginx", "/b"), ("svcB", "/b")]
        raise ValueError("unknown kind " + kind)
    except BaseException:
        for p in reversed(procs):
            p.stop()
        raise


def run_load(port, paths, conc):
    """GET every path with `conc` threads, one keep-alive connection each; bounded in time.
    Returns {path: status} (0: failed or not sent before the deadline)."""
    deadline = time.time() + LOAD_DEADLINE
    local = threading.local()
    status = {}

    def one(path):
        if time.time() > deadline:
            return path, 0
        for attempt in range(2):
            c = getattr(local, "conn", None)
            if c is None:
                c = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQ_TIMEOUT)
            try:
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                if r.will_close:
                    c.close()
                    local.conn = None
                return path, r.status
            except (OSError, http.client.HTTPException):
                c.close()
                local.conn = None
                if time.time() > deadline:
                    break
        return path, 0

    ex = ThreadPoolExecutor(max_workers=conc)
    try:
        for path, st in ex.map(one, paths):
            status[path] = st
    except BaseException:
        deadline = 0  # queued requests return at once; in-flight ones within REQ_TIMEOUT
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown()
    return status


def fmt_span(s):
    if s is None:
        return "(none)"
    return "%s %s %s trace=%s span=%s parent=%s start=%d dur=%.3fms pid=%s peer=%s" % (
        s["service"], {SERVER: "SERVER", CLIENT: "CLIENT"}.get(s["kind"], s["kind"]),
        s["attrs"].get("url.path"), s["trace_id"], s["span_id"], s["parent"] or "-",
        s["start"], (s["end"] - s["start"]) / 1e6, s["resource"].get("process.pid"),
        s["attrs"].get("network.peer.port"))


class Index:
    def __init__(self, spans):
        self.spans = spans
        self.by_id = {}
        self.kids = collections.defaultdict(list)
        self.by_path = collections.defaultdict(list)
        self.by_trace = collections.defaultdict(list)
        for s in spans:
            self.by_trace[s["trace_id"]].append(s)
            self.by_id[s["span_id"]] = s
            if s["parent"]:
                self.kids[s["parent"]].append(s)
            if s["kind"] == SERVER:
                self.by_path[(s["service"], s["attrs"].get("url.path"))].append(s)


def inside(child, parent):
    return child["start"] + SLACK_NS >= parent["start"] and child["end"] <= parent["end"] + SLACK_NS


def check_chain(idx, path, hops, status):
    """(None, chain) when correct, else (reason, chain so far)."""
    chain = []
    if status != 200:
        return "request answered %s" % (status or "nothing"), chain
    first = idx.by_path.get((hops[0][0], path), [])
    if len(first) != 1:
        return "%d %s SERVER spans for the path" % (len(first), hops[0][0]), chain
    srv = first[0]
    chain.append(srv)
    if srv["parent"]:
        return "%s SERVER has a parent (%s) but the load is untraced" % (
            hops[0][0], "known span" if srv["parent"] in idx.by_id else "unknown span"), chain
    trace = srv["trace_id"]
    for i in range(1, len(hops)):
        svc = hops[i - 1][0]
        nxt, nxt_path = hops[i]
        cli = [k for k in idx.kids.get(srv["span_id"], []) if k["kind"] == CLIENT]
        if len(cli) != 1:
            return "hop %d: %s SERVER has %d CLIENT children, want one" % (i, svc, len(cli)), chain
        cli = cli[0]
        chain.append(cli)
        if cli["service"] != svc or cli["trace_id"] != trace:
            return "hop %d: %s CLIENT in another service/trace" % (i, svc), chain
        if not inside(cli, srv):
            return "hop %d: %s CLIENT outside its SERVER in time" % (i, svc), chain
        nsrv = [k for k in idx.kids.get(cli["span_id"], []) if k["kind"] == SERVER]
        if len(nsrv) != 1:
            kids = collections.Counter("%s %s" % (k["service"], {SERVER: "SERVER", CLIENT: "CLIENT"}
                                                  .get(k["kind"], k["kind"]))
                                       for k in idx.kids.get(cli["span_id"], []))
            return "hop %d: %s CLIENT has %d SERVER children, want one %s SERVER (children: %s)" % (
                i, svc, len(nsrv), nxt, ", ".join("%d %s" % (n, k) for k, n in sorted(kids.items()))
                or "none"), chain
        nsrv = nsrv[0]
        chain.append(nsrv)
        want = nxt_path or path
        if nsrv["service"] != nxt or nsrv["attrs"].get("url.path") != want:
            return "hop %d: %s CLIENT's child is %s %s, not %s %s" % (
                i, svc, nsrv["service"], nsrv["attrs"].get("url.path"), nxt, want), chain
        if nsrv["trace_id"] != trace:
            return "hop %d: %s SERVER in another trace" % (i, nxt), chain
        if not inside(nsrv, cli):
            return "hop %d: %s SERVER outside %s CLIENT in time" % (i, nxt, svc), chain
        srv = nsrv
    return None, chain


def same_trace(idx, path, hops):
    """Looser: every hop's spans are in the request's trace (one SERVER per service, one
    CLIENT per service but the last), whatever their parent links."""
    first = idx.by_path.get((hops[0][0], path), [])
    if len(first) != 1:
        return False
    spans = idx.by_trace[first[0]["trace_id"]]
    for i, (svc, want) in enumerate(hops):
        want = want or path
        srv = [s for s in spans if s["service"] == svc and s["kind"] == SERVER]
        cli = [s for s in spans if s["service"] == svc and s["kind"] == CLIENT]
        if len(srv) != 1 or srv[0]["attrs"].get("url.path") != want:
            return False
        if len(cli) != (1 if i + 1 < len(hops) else 0):
            return False
    return True


def explain(idx, chain, hops):
    """Spans around a broken chain: the last good span's relatives and candidate orphans."""
    out = ["    chain so far:"] + ["      " + fmt_span(s) for s in chain]
    if not chain:
        return out
    last = chain[-1]
    kids = idx.kids.get(last["span_id"], [])
    out.append("    children of the last span: %d" % len(kids))
    out += ["      " + fmt_span(k) for k in kids[:4]]
    # Spans of the next services that overlap the last span in time but are not its
    # descendants: where the missing link went.
    svcs = {h[0] for h in hops}
    cands = [s for s in idx.spans if s["service"] in svcs and s is not last and s not in chain
             and s["start"] >= last["start"] - SLACK_NS and s["end"] <= last["end"] + SLACK_NS
             and s["parent"] != last["span_id"]]
    if cands:
        out.append("    other spans inside the last span's time window: %d (first 4)" % len(cands))
        for s in sorted(cands, key=lambda s: s["start"])[:4]:
            p = idx.by_id.get(s["parent"])
            out.append("      " + fmt_span(s))
            out.append("        parent: " + (fmt_span(p) if p else
                                             ("(not in the output)" if s["parent"] else "(root)")))
    return out


def one_run(kind, conc):
    procs, port, hops = start_topology(kind)
    agent = None
    try:
        pids = []
        for p in procs:
            pids += ["--pid", str(p.pid)]
        agent = Agent(pids)
        DIRS.append(agent.dir)
        agent.wait_ready()
        tag = "%s-c%d" % (kind, conc)
        paths = ["/r/%s/%d" % (tag, i) for i in range(N)]
        t0 = time.time()
        status = run_load(port, paths, conc)
        secs = time.time() - t0
        time.sleep(0.5)  # let the last spans be read before stopping
        t1 = time.time()
        agent.stop(60)
        stop_s = time.time() - t1
    finally:
        if agent is not None and agent.p.poll() is None:
            agent.stop(60)
        for p in reversed(procs):
            p.stop()
    spans = agent.spans()
    rm_dirs()
    idx = Index(spans)
    reasons = collections.Counter()
    bad = []
    ok = 0
    loose = sum(1 for p in paths if status.get(p) == 200 and same_trace(idx, p, hops))
    for path in paths:
        reason, chain = check_chain(idx, path, hops, status.get(path, 0))
        if reason is None:
            ok += 1
        else:
            reasons[reason] += 1
            bad.append((path, reason, chain))
    failed = sum(1 for p in paths if status.get(p) != 200)
    summ = [l for l in agent.stderr.splitlines() if l.startswith("zerotrace: events")]
    return {"ok": ok, "reasons": reasons, "bad": bad, "secs": secs, "failed": failed,
            "spans": len(spans), "summary": summ[-1] if summ else "(no summary line)",
            "stop_s": stop_s, "loose": loose, "idx": idx, "hops": hops,
            "warnings": [l for l in agent.stderr.splitlines() if "warn" in l or "error" in l]}


def main():
    if os.geteuid() != 0:
        log("must run as root (loads BPF programs)")
        return 1
    if not os.access(AGENT, os.X_OK):
        log("no agent at %s (make first)" % AGENT)
        return 1
    rc = 0
    log("%d requests per run, concurrency %s, agent %s, %d CPUs" % (
        N, " ".join(map(str, CONCS)), AGENT, os.cpu_count()))
    lines = []
    for kind in KINDS:
        for conc in CONCS:
            try:
                r = one_run(kind, conc)
            except Exception as e:  # a run that could not happen: say why, go on
                lines.append(say("%s c=%d: could not run (%s)" % (kind, conc, e)))
                rc = 1
                continue
            pct = 100.0 * r["ok"] / N
            tgt = TARGET.get(kind, 100.0)
            missed = "" if pct >= tgt else " MISSED"
            hop_desc = " -> ".join(h[0] for h in r["hops"])
            log("%s c=%d (%s): %d requests in %.1f s (%.0f req/s), %d failed, %d spans, "
                "agent stop %.1f s" % (kind, conc, hop_desc, N, r["secs"], N / max(r["secs"], 1e-9),
                                       r["failed"], r["spans"], r["stop_s"]))
            log("  looser check, every hop's spans in the request's own trace (links not "
                "checked): %d/%d" % (r["loose"], N))
            log("  agent: " + r["summary"].replace("zerotrace: ", ""))
            for w in r["warnings"][:5]:
                log("  agent said: " + w)
            for reason, n in r["reasons"].most_common():
                log("  wrong: %d x %s" % (n, reason))
            for path, reason, chain in r["bad"][:EXAMPLES]:
                log("  example %s: %s" % (path, reason))
                for l in explain(r["idx"], chain, r["hops"]):
                    log(l)
            lines.append(say("%s c=%d: %d/%d = %.2f%% (target %s%%)%s" % (
                kind, conc, r["ok"], N, pct, "%g" % tgt if tgt == 100 else ">= %g" % tgt, missed)))
    print(flush=True)
    for l in lines:
        print(l)
    return rc


if __name__ == "__main__":
    # SIGTERM/SIGHUP unwind like Ctrl-C, so the finally blocks stop the agent and services.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    try:
        sys.exit(main())
    finally:
        rm_dirs()
