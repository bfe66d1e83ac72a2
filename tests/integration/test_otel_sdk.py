"""Interoperability with the OpenTelemetry JS SDK: one trace across an SDK-instrumented Node
service and a zerotrace-traced program, in both directions. The SDK (otel_sdk/service.js,
packages pinned in otel_sdk/package-lock.json) exports OTLP/HTTP protobuf to otlp_receiver.py;
zerotrace writes its spans to its JSON file. Skipped when node or the packages are missing."""
import json
import os
import threading
import socket
import re
import select
import shutil
import subprocess
import sys
import time

from lib import otlp_receiver as receiver
from lib import (CLIENT, HERE, SERVER, Agent, Proc, Skip, describe, curl, free_port, only,
                 python_server, run_traced, tmpdir)

SDK_DIR = os.path.join(HERE, "otel_sdk")
SERVICE_JS = os.path.join(SDK_DIR, "service.js")
MIN_NODE = (20, 6)  # the pinned SDK's engines: ^18.19.0 || >=20.6.0
TP_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

_checked = []


def need_sdk():
    """Node and the pinned SDK packages, installing them with npm once if they are missing."""
    if _checked:
        if isinstance(_checked[0], str):
            raise Skip(_checked[0])
        return
    why = _find_sdk()
    _checked.append(why or True)
    if why:
        raise Skip(why)


def _find_sdk():
    node = shutil.which("node")
    if not node:
        return "node is not installed (scripts/install-deps.sh installs it)"
    try:
        v = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
        ver = tuple(int(x) for x in re.match(r"v(\d+)\.(\d+)", v).groups())
    except (OSError, subprocess.SubprocessError, AttributeError):
        return "cannot tell node's version"
    if ver < MIN_NODE:
        return "node %s is older than %d.%d, which the pinned SDK needs" % (v.strip(), *MIN_NODE)
    if all(os.path.isdir(os.path.join(SDK_DIR, "node_modules", "@opentelemetry", p))
           for p in ("sdk-node", "instrumentation-http", "exporter-trace-otlp-proto")):
        return None
    npm = shutil.which("npm")
    if not npm:
        return "npm is not installed and %s/node_modules is missing" % SDK_DIR
    try:
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error",
                            "--fetch-retries=1", "--fetch-timeout=60000"], cwd=SDK_DIR,
                           capture_output=True, text=True, timeout=180)
    except (OSError, subprocess.SubprocessError) as e:
        return "npm ci failed: %s" % e
    if r.returncode != 0:
        return "npm ci failed (rc %d): %s" % (r.returncode, r.stderr.strip()[-500:])
    return None


def stop_receiver(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def received(out):
    if not os.path.exists(out):
        return []
    with open(out) as f:
        return [json.loads(l) for l in f if l.strip()]


def wait_for(pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


class NodeService(Proc):
    """otel_sdk/service.js (mode server|upstream) exporting to the receiver on rport."""

    def __init__(self, mode, port, rport, service, downstream=None):
        self.err = os.path.join(tmpdir(), "node.stderr")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(ZT_OTLP_URL="http://127.0.0.1:%d/v1/traces" % rport,
                   OTEL_SERVICE_NAME=service, OTEL_LOGS_EXPORTER="none",
                   OTEL_METRICS_EXPORTER="none", NO_PROXY="127.0.0.1")
        args = ["node", SERVICE_JS, mode, str(port)] + ([downstream] if downstream else [])
        with open(self.err, "w") as errf:
            super().__init__(args, cwd=SDK_DIR, env=env, stdout=subprocess.PIPE, stderr=errf)
        try:
            self._wait_listening(15)
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self, timeout):
        deadline = time.time() + timeout
        fd = self.p.stdout
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                line = fd.readline()
                if line.startswith(b"listening"):
                    return
                if not line:
                    break
            if self.p.poll() is not None:
                break
        raise AssertionError("node service did not start:\n" + self.stderr)

    @property
    def stderr(self):
        with open(self.err) as f:
            return f.read()


def sdk_spans(out, service, kind):
    return [s for s in received(out)
            if s["resource"].get("service.name") == service and s["kind"] == kind]


def describe_sdk(spans):
    return "\n".join("%s %s %s trace=%s span=%s parent=%s" % (
        s["resource"].get("service.name"), {2: "SERVER", 3: "CLIENT"}.get(s["kind"], s["kind"]),
        s["name"], s["trace_id"], s["span_id"], s["parent_span_id"]) for s in spans) or "(none)"


def summary_count(agent, name):
    line = [l for l in agent.stderr.splitlines() if l.startswith("zerotrace: events")][-1]
    return int(re.search(r"\b%s (\d+)" % re.escape(name), line).group(1))


CALLS = 3  # requests per test, all on one keep-alive connection


def test_otel_sdk_upstream_calls_zerotrace_traced_downstream():
    """SDK client -> zerotrace server: zerotrace keeps the SDK's trace and parents on its span."""
    need_sdk()
    d = tmpdir()
    rport, dport, uport = free_port(), free_port(), free_port()
    out = os.path.join(d, "sdk.jsonl")
    recv = receiver(rport, out)
    procs = []
    agent = None
    answers = []
    try:
        down = python_server(dport, "http_fixture_server.py")
        procs.append(down)
        agent = Agent(["--pid", str(down.pid)])
        agent.wait_ready()
        up = NodeService("upstream", uport, rport, "otel-upstream",
                         downstream="http://127.0.0.1:%d/headers" % dport)
        procs.append(up)
        for _ in range(CALLS):
            r = curl("http://127.0.0.1:%d/call" % uport, timeout=15)
            assert r.returncode == 0, r.stderr
            answers.append(json.loads(r.stdout))
        ok = wait_for(lambda: len(sdk_spans(out, "otel-upstream", CLIENT)) >= CALLS and
                      len(sdk_spans(out, "otel-upstream", SERVER)) >= CALLS)
        node_err = up.stderr
    finally:
        try:
            for p in reversed(procs):
                p.stop()
            rc = agent.stop() if agent else None
        finally:
            stop_receiver(recv)
    sdk = received(out)
    assert ok, "SDK spans did not reach the receiver:\n%s\nnode: %s" % (describe_sdk(sdk), node_err)
    assert rc == 0, agent.stderr
    spans = agent.spans()
    sdk_client = sdk_spans(out, "otel-upstream", CLIENT)
    sdk_server = {s["span_id"]: s for s in sdk_spans(out, "otel-upstream", SERVER)}
    assert len(sdk_client) == CALLS and len(sdk_server) == CALLS, describe_sdk(sdk)
    # The SDK's own traces: each server span a root, with one client span as its child.
    for cli in sdk_client:
        srv = sdk_server.get(cli["parent_span_id"])
        assert srv and srv["parent_span_id"] == "" and srv["trace_id"] == cli["trace_id"], \
            describe_sdk(sdk)
    # The downstream received exactly the SDK's headers, and zerotrace injected nothing.
    want = sorted("00-%s-%s-01" % (c["trace_id"], c["span_id"]) for c in sdk_client)
    assert all(a.get("status") == 200 for a in answers), answers
    assert sorted(a["body"] for a in answers) == want, (answers, describe_sdk(sdk))
    assert summary_count(agent, "propagated") == 0, agent.stderr
    # All calls went over one connection (the SDK's keep-alive agent).
    assert summary_count(agent, "connections") == 1, agent.stderr
    # Each zerotrace server span continues one SDK trace, as the child of its client span.
    servers = only(spans, SERVER, path="/headers", status=200)
    assert len(servers) == CALLS, describe(spans)
    by_trace = {c["trace_id"]: c for c in sdk_client}
    for z in servers:
        cli = by_trace.get(z["trace_id"])
        assert cli, "trace id not kept:\n%s\nSDK:\n%s" % (describe(spans), describe_sdk(sdk))
        assert z["parent"] == cli["span_id"], "parent is not the SDK's client span:\n%s\nSDK:\n%s" % (
            describe(spans), describe_sdk(sdk))
        assert len(z["span_id"]) == 16 and z["span_id"] not in (cli["span_id"], cli["parent_span_id"])
    assert len({z["trace_id"] for z in servers}) == CALLS, describe(spans)
    assert not only(spans, CLIENT), "the downstream made no call:\n" + describe(spans)


def test_zerotrace_traced_client_calls_otel_sdk_server():
    """zerotrace client (curl) -> SDK server: the SDK continues zerotrace's trace."""
    need_sdk()
    d = tmpdir()
    rport, sport = free_port(), free_port()
    out = os.path.join(d, "sdk.jsonl")
    recv = receiver(rport, out)
    node = None
    urls = ["http://127.0.0.1:%d/from-curl-%d" % (sport, i) for i in range(CALLS)]
    try:
        node = NodeService("server", sport, rport, "otel-server")
        # One curl, several URLs: curl reuses its connection for each request.
        rc, agent, spans = run_traced(["curl", "-sS", "--max-time", "10"] + urls, timeout=60)
        ok = wait_for(lambda: len(sdk_spans(out, "otel-server", SERVER)) >= CALLS)
        node_err = node.stderr
    finally:
        try:
            if node:
                node.stop()
        finally:
            stop_receiver(recv)
    sdk = received(out)
    assert rc == 0, agent.stdout + agent.stderr
    assert ok, "SDK spans did not reach the receiver:\n%s\nnode: %s" % (describe_sdk(sdk), node_err)
    clients = [s for s in only(spans, CLIENT, status=200) if s["service"] == "curl"]
    assert sorted(c["attrs"].get("url.path") for c in clients) == \
        ["/from-curl-%d" % i for i in range(CALLS)], describe(spans)
    assert summary_count(agent, "connections") == 1, agent.stderr
    assert summary_count(agent, "propagated") == CALLS, agent.stderr
    # The headers the SDK's server received are zerotrace's, naming zerotrace's client spans.
    got = agent.stdout.split()
    assert len(got) == CALLS, got
    ids = {(c["trace_id"], c["span_id"]) for c in clients}
    for tp in got:
        m = TP_RE.match(tp)
        assert m, "node received no valid traceparent: %r" % got
        assert (m.group(1), m.group(2)) in ids, (got, describe(spans))
        assert m.group(3) == "01", "not sampled: the SDK's parent-based sampler drops it: " + tp
    # Each SDK server span continues a zerotrace trace as the child of its client span.
    servers = sdk_spans(out, "otel-server", SERVER)
    assert len(servers) == CALLS, describe_sdk(sdk)
    by_trace = {c["trace_id"]: c for c in clients}
    for s in servers:
        z = by_trace.get(s["trace_id"])
        assert z, "trace id:\n%s\nzerotrace:\n%s" % (describe_sdk(sdk), describe(spans))
        assert s["parent_span_id"] == z["span_id"], "parent:\n%s\nzerotrace:\n%s" % (
            describe_sdk(sdk), describe(spans))
        assert s["span_id"] != z["span_id"]
        assert s["attributes"].get("http.response.status_code") == 200, s
        assert s["attributes"].get("url.path") == z["attrs"].get("url.path"), (s, z)
        assert s["scope"]["name"] == "@opentelemetry/instrumentation-http", s["scope"]
    assert len({s["trace_id"] for s in servers}) == CALLS, describe_sdk(sdk)






def _head_dump_server(port, heads, stop):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen()
    srv.settimeout(0.2)
    while not stop.is_set():
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        with c:
            c.settimeout(5)
            data = b""
            try:
                while not stop.is_set():
                    while b"\r\n\r\n" not in data:
                        d = c.recv(65536)
                        if not d:
                            raise EOFError
                        data += d
                    head, _, data = data.partition(b"\r\n\r\n")
                    heads.append(head.decode("latin-1"))
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            except (EOFError, OSError):
                pass
    srv.close()


def test_sdk_process_also_traced_by_zerotrace_keeps_sdk_header():
    need_sdk()
    d = tmpdir()
    rport, dport, uport = free_port(), free_port(), free_port()
    out = os.path.join(d, "sdk.jsonl")
    recv = receiver(rport, out)
    heads, stop = [], threading.Event()
    t = threading.Thread(target=_head_dump_server, args=(dport, heads, stop), daemon=True)
    t.start()
    up = agent = None
    try:
        up = NodeService("upstream", uport, rport, "otel-upstream",
                         downstream="http://127.0.0.1:%d/headers" % dport)
        agent = Agent(["--pid", str(up.pid)])
        agent.wait_ready()
        r = curl("http://127.0.0.1:%d/call" % uport, timeout=15)
        assert r.returncode == 0, r.stderr
        ok = wait_for(lambda: sdk_spans(out, "otel-upstream", CLIENT))
    finally:
        try:
            if up:
                up.stop()
            rc = agent.stop() if agent else None
        finally:
            stop.set()
            stop_receiver(recv)
    assert ok and rc == 0
    cli = sdk_spans(out, "otel-upstream", CLIENT)[0]
    tps = [l.split(":", 1)[1].strip() for h in heads for l in h.split("\r\n")[1:]
           if l.lower().startswith("traceparent:")]
    assert tps == ["00-%s-%s-01" % (cli["trace_id"], cli["span_id"])], (tps, heads)
    assert summary_count(agent, "had traceparent") >= 1, agent.stderr
    zc = [s for s in only(agent.spans(), CLIENT) if s["attrs"].get("url.path") == "/headers"]
    assert len(zc) == 1 and zc[0]["trace_id"] == cli["trace_id"], describe(agent.spans())
