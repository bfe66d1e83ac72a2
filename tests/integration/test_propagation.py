"""Trace context crosses unmodified processes: traceparent injected in the kernel."""
import collections
import os
import re
import subprocess
import sys
import threading

from lib import (CLIENT, HERE, SERVER, Agent, Proc, curl, describe, free_port, nginx_server,
                 only, python_server, run_traced, tcp_server, wait_port)

TP_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")


SUMMARY_COUNTS = ("propagated", "not a request", "line", "head", "had traceparent", "no room",
                  "FIONREAD sockets", "spans")


def summary(agent):
    """The counts of the agent's final line, by name."""
    line = [l for l in agent.stderr.splitlines() if l.startswith("zerotrace: events")][-1]
    return {k: int(re.search(r"\b%s (\d+)" % re.escape(k), line).group(1)) for k in SUMMARY_COUNTS}


def client(port, mode, args=(), timeout=180):
    return run_traced([sys.executable, os.path.join(HERE, "prop_client.py"), str(port), mode],
                      args=args, timeout=timeout)


def seen_traceparents(agent):
    return [l.split()[2] for l in agent.stdout.splitlines() if l.startswith("ok ")]


def assert_injected_matches_spans(agent, spans, expected):
    tps = seen_traceparents(agent)
    assert len(tps) == expected and all(TP_RE.match(t) for t in tps), tps[:5]
    clients = {(s["trace_id"], s["span_id"]) for s in only(spans, CLIENT)}
    for tp in tps:
        m = TP_RE.match(tp)
        assert (m.group(1), m.group(2)) in clients, "header %s has no matching client span" % tp


def test_injected_header_matches_client_span_and_bodies_intact():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        rc, agent, spans = client(port, "sizes", args=["-q"])
    finally:
        server.stop()
    assert rc == 0, agent.stdout + agent.stderr
    assert_injected_matches_spans(agent, spans, 8)
    bodies = sorted(s["attrs"].get("http.request.body.size", 0) for s in only(spans, CLIENT))
    assert bodies == sorted([0, 1, 100, 4095, 4096, 65536, 1 << 20, 10 << 20]), bodies


def test_write_shapes_keep_every_byte():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    results = {}
    try:
        for mode in ("chunked", "pipelined", "writev", "big_head", "concurrent"):
            rc, agent, spans = client(port, mode, args=["-q"])
            assert rc == 0, (mode, agent.stdout, agent.stderr)
            results[mode] = (agent, spans)
    finally:
        server.stop()
    agent, spans = results["writev"]
    assert_injected_matches_spans(agent, spans, 1)
    agent, spans = results["concurrent"]
    assert_injected_matches_spans(agent, spans, 400)
    agent, spans = results["chunked"]
    assert_injected_matches_spans(agent, spans, 1)
    # Pipelined heads in one write: only the first head is a request line at the start of the
    # message; the others arrive without a header (their spans still exist).
    agent, spans = results["pipelined"]
    assert len(only(spans, CLIENT)) == 3, describe(spans)
    tps = seen_traceparents(agent)
    assert TP_RE.match(tps[0]) and tps[1:] == ["-", "-"], tps


def test_keepalive_1000_requests_one_connection():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        rc, agent, spans = client(port, "keepalive", args=["-q"])
    finally:
        server.stop()
    assert rc == 0, agent.stderr
    assert_injected_matches_spans(agent, spans, 1000)
    assert len({s["trace_id"] for s in spans}) == 1000


def test_doubtful_writes_are_not_touched_and_counted():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        rc, agent, spans = client(port, "split_head", args=["-q"])
        assert rc == 0, agent.stderr
        assert seen_traceparents(agent) == ["-"], agent.stdout
        assert summary(agent)["line"] >= 1, agent.stderr
        rc, agent, spans = client(port, "has_traceparent", args=["-q"])
        assert rc == 0, agent.stderr
        # An SDK's header is left exactly as it was; no second header.
        sdk = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        assert seen_traceparents(agent) == [sdk, sdk], agent.stdout
        assert summary(agent)["had traceparent"] == 2, agent.stderr
        assert summary(agent)["propagated"] == 0, agent.stderr
        for cli in only(spans, CLIENT):
            assert cli["trace_id"] == "0af7651916cd43dd8448eb211c80319c", describe(spans)
    finally:
        server.stop()


def echo_server(port, stop):
    tcp_server(port, stop, lambda data: data, read_all=True)


def test_binary_protocol_starting_with_get_untouched():
    port = free_port()
    stop = threading.Event()
    t = threading.Thread(target=echo_server, args=(port, stop), daemon=True)
    t.start()
    try:
        rc, agent, _ = client(port, "binary_get", args=["-q"])
    finally:
        stop.set()
    assert rc == 0, agent.stdout + agent.stderr
    assert summary(agent)["propagated"] == 0, agent.stderr


def chain(n_services):
    """python services s0 -> s1 -> ... -> s(n-1); returns the shell snippet starting them.
    Each gets a port found free (consecutive ones may be taken: svc1 then failed to bind)."""
    ports = [free_port() for _ in range(n_services)]
    cmds = []
    for i, p in enumerate(ports):
        down = "http://127.0.0.1:%d/hop%d" % (ports[i + 1], i + 1) if i + 1 < n_services else ""
        cmds.append("OTEL_SERVICE_NAME=svc%d python3 %s %d %s & " % (
            i, os.path.join(os.path.dirname(HERE), "..", "scripts", "demo", "service.py"), p, down))
    waits = "".join("for i in $(seq 100); do curl -s -o /dev/null 127.0.0.1:%d/ && break; "
                    "sleep 0.05; done; " % p for p in reversed(ports))
    return "".join(cmds) + waits, ports


def test_chain_of_three_python_services_one_trace():
    start, ports = chain(3)
    cmd = start + "sleep 0.3; for i in 1 2 3 4 5; do curl -s -o /dev/null 127.0.0.1:%d/req$i; done; " \
        "kill $(jobs -p) 2>/dev/null; pkill -f 'service.py %d' ; pkill -f 'service.py %d'; pkill -f 'service.py %d'; true" % (
            ports[0], ports[0], ports[1], ports[2])
    rc, agent, spans = run_traced(["bash", "-c", cmd], args=["-q"], timeout=120)
    traces = collections.defaultdict(list)
    for s in spans:
        traces[s["trace_id"]].append(s)
    reqs = [t for t in traces.values() if any(s["attrs"].get("url.path", "").startswith("/req") for s in t)]
    assert len(reqs) == 5, describe(spans)
    for t in reqs:
        # curl CLIENT -> svc0 SERVER -> svc0 CLIENT -> svc1 SERVER -> svc1 CLIENT -> svc2 SERVER
        assert len(t) == 6, describe(t)
        by_id = {s["span_id"]: s for s in t}
        roots = [s for s in t if not s["parent"]]
        assert len(roots) == 1 and roots[0]["service"] == "curl", describe(t)
        order = []
        s = roots[0]
        while s:
            order.append((s["service"], s["kind"]))
            kids = [k for k in t if k["parent"] == s["span_id"]]
            assert len(kids) <= 1, describe(t)
            s = kids[0] if kids else None
        assert order == [("curl", CLIENT), ("svc0", SERVER), ("svc0", CLIENT), ("svc1", SERVER),
                         ("svc1", CLIENT), ("svc2", SERVER)], order
    assert summary(agent)["propagated"] >= 10, agent.stderr


def test_event_loop_proxy_first_request_belongs_to_the_connecting_request():
    """An event loop reads A, connects for A, reads B, connects for B, then writes both
    upstream requests: each must still be the child of its own request (connect-time rule),
    not of B, the last request the thread read."""
    backend, proxy = free_port(), free_port()
    cmd = ("OTEL_SERVICE_NAME=backend python3 {fixture} {b} & "
           "OTEL_SERVICE_NAME=proxy python3 {proxy_py} {p} {b} 2 & "
           "for port in {b} {p}; do for i in $(seq 100); do "
           "(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done; done; "
           "curl -s -o /dev/null 127.0.0.1:{p}/headers & first=$!; sleep 0.3; "
           "curl -s -o /dev/null 127.0.0.1:{p}/headers; wait $first; kill %1 %2; true").format(
               fixture=os.path.join(HERE, "http_fixture_server.py"),
               proxy_py=os.path.join(HERE, "event_loop_proxy.py"), b=backend, p=proxy)
    rc, agent, spans = run_traced(["bash", "-c", cmd], args=["-q"], timeout=60)
    assert rc == 0, agent.stderr
    roots = [s for s in spans if s["service"] == "curl" and not s["parent"]]
    assert len(roots) == 2, describe(spans)
    for root in roots:
        chain, s = [], root
        while s:
            chain.append((s["service"], s["kind"]))
            kids = [k for k in spans if k["parent"] == s["span_id"]]
            assert len(kids) <= 1, describe(spans)
            assert all(k["trace_id"] == root["trace_id"] for k in kids), describe(spans)
            s = kids[0] if kids else None
        assert chain == [("curl", CLIENT), ("proxy", SERVER), ("proxy", CLIENT),
                         ("backend", SERVER)], describe(spans)


def test_propagation_none_still_links_on_this_host():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        rc, agent, spans = run_traced(["sh", "-c", "curl -s 127.0.0.1:%d/headers" % port],
                                      args=["-q", "--propagation", "none", "--pid", str(server.pid)])
    finally:
        server.stop()
    assert rc == 0, agent.stderr
    assert agent.stdout.strip() == "-", "no header may be injected: " + agent.stdout
    cli, srv = only(spans, CLIENT), only(spans, SERVER)
    assert len(cli) == 1 and len(srv) == 1, describe(spans)
    assert srv[0]["trace_id"] == cli[0]["trace_id"] and srv[0]["parent"] == cli[0]["span_id"]


def test_fionread_poller_keeps_working():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        rc, agent, spans = run_traced([sys.executable, os.path.join(HERE, "fionread_client.py"),
                                       str(port), "20"], args=["-q"], timeout=120)
    finally:
        server.stop()
    assert rc == 0, agent.stdout + agent.stderr
    assert agent.stdout.count("ok ") == 20
    assert summary(agent)["FIONREAD sockets"] == 1, agent.stderr


def test_nginx_reverse_proxy_in_the_chain():
    up = free_port()
    backend = python_server(up, "http_fixture_server.py")
    port = free_port()
    nginx, _ = nginx_server(port, "location /api/ { proxy_pass http://127.0.0.1:%d/; "
                                  "proxy_http_version 1.1; proxy_set_header Connection \"\"; }" % up)
    agent = Agent(["--pid", str(nginx.pid), "--pid", str(backend.pid)])
    try:
        agent.wait_ready()
        for i in range(20):
            r = curl("http://127.0.0.1:%d/api/headers" % port, timeout=10)
            assert r.returncode == 0 and r.stdout, "nginx stalled on request %d: %r" % (i, r)
    finally:
        agent.stop()
        nginx.stop()
        backend.stop()
    spans = agent.spans()
    servers = only(spans, SERVER, service="nginx")
    assert len(servers) == 20, describe(spans)
    linked = 0
    for s in servers:
        kids = [c for c in spans if c["parent"] == s["span_id"] and c["kind"] == CLIENT]
        for k in kids:
            be = [b for b in spans if b["parent"] == k["span_id"] and b["kind"] == SERVER]
            linked += len(be) == 1 and be[0]["trace_id"] == s["trace_id"]
    assert linked == 20, describe(spans)


def test_expect_100_continue_body_intact():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    d = os.path.dirname(os.path.abspath(__file__))
    body = os.urandom(3 << 20)
    path = os.path.join(d, ".expect-body.bin")
    with open(path, "wb") as f:
        f.write(body)
    try:
        rc, agent, spans = run_traced(["curl", "-s", "-H", "Expect: 100-continue",
                                       "--data-binary", "@" + path,
                                       "http://127.0.0.1:%d/upload" % port], args=["-q"])
    finally:
        server.stop()
        os.unlink(path)
    assert rc == 0, agent.stderr
    import hashlib
    _, n, digest, tp = agent.stdout.split()
    assert int(n) == len(body) and digest == hashlib.sha256(body).hexdigest(), agent.stdout
    m = TP_RE.match(tp)
    cli = only(spans, CLIENT)
    assert m and len(cli) == 1 and (m.group(1), m.group(2)) == (cli[0]["trace_id"], cli[0]["span_id"])
    assert cli[0]["attrs"]["http.response.status_code"] == 201, describe(spans)


def test_tcp_option_across_network_namespaces():
    """Header path off: the context crosses a veth pair between two namespaces in a TCP
    option written by the client's sockops and read by the server's."""
    tag = "zt%d" % (os.getpid() % 100000)
    ns_c, ns_s = tag + "c", tag + "s"
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
    server = None
    try:
        run("ip", "netns", "add", ns_c)
        run("ip", "netns", "add", ns_s)
        run("ip", "link", "add", tag + "a", "netns", ns_c, "type", "veth", "peer", "name",
            tag + "b", "netns", ns_s)
        run("ip", "-n", ns_c, "addr", "add", "10.211.0.1/24", "dev", tag + "a")
        run("ip", "-n", ns_s, "addr", "add", "10.211.0.2/24", "dev", tag + "b")
        for ns, dev in ((ns_c, tag + "a"), (ns_s, tag + "b")):
            run("ip", "-n", ns, "link", "set", dev, "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
        server = Proc(["ip", "netns", "exec", ns_s, "python3",
                       os.path.join(HERE, "http_fixture_server.py"), "8080", "0.0.0.0"])
        for _ in range(100):
            if subprocess.run(["ip", "netns", "exec", ns_c, "curl", "-s", "-o", "/dev/null",
                               "http://10.211.0.2:8080/"]).returncode == 0:
                break
        rc, agent, spans = run_traced(
            ["ip", "netns", "exec", ns_c, "curl", "-s", "http://10.211.0.2:8080/headers",
             "http://10.211.0.2:8080/headers"],
            args=["-q", "--propagation", "tcp", "--pid", str(server.pid)])
    finally:
        if server:
            server.stop()
        for ns in (ns_c, ns_s):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    assert rc == 0, agent.stderr
    assert agent.stdout == "--", "no header on the wire: %r" % agent.stdout
    line = [l for l in agent.stderr.splitlines() if l.startswith("zerotrace: events")][-1]
    sent, recv = map(int, re.search(r"tcp option sent (\d+), received (\d+)", line).groups())
    assert sent == 2 and recv == 2, line
    cli = sorted(only(spans, CLIENT), key=lambda s: s["start"])
    srv = sorted(only(spans, SERVER), key=lambda s: s["start"])
    assert len(cli) == 2 and len(srv) == 2, describe(spans)
    for c, s in zip(cli, srv):
        assert s["trace_id"] == c["trace_id"] and s["parent"] == c["span_id"], describe(spans)


def test_pthread_server_parents_are_exact_under_concurrency():
    """Thread-per-request C server: every outgoing call is the child of the request its
    thread is serving, with 50 requests in flight at once."""
    exe = os.path.join(tmpdir_for_build(), "pthread_proxy")
    subprocess.run(["cc", "-O2", "-pthread", "-o", exe, os.path.join(HERE, "pthread_proxy.c")],
                   check=True)
    down, port = free_port(), free_port()
    backend = python_server(down, "http_fixture_server.py")
    proxy = Proc([exe, str(port), str(down)])
    wait_port(port)
    agent = Agent(["--pid", str(proxy.pid), "--pid", str(backend.pid)])
    try:
        agent.wait_ready()
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            codes = list(pool.map(lambda i: curl("-o", "/dev/null", "-w", "%{http_code}",
                                                 "http://127.0.0.1:%d/r%d" % (port, i)).stdout,
                                  range(200)))
        assert codes == [b"200"] * 200, codes[:5]
    finally:
        agent.stop()
        proxy.stop()
        backend.stop()
    spans = agent.spans()
    by_parent = collections.defaultdict(list)
    for s in spans:
        by_parent[s["parent"]].append(s)
    good = 0
    for srv in [s for s in spans if s["kind"] == SERVER and s["attrs"].get("server.port") == port]:
        kids = [k for k in by_parent[srv["span_id"]] if k["kind"] == CLIENT]
        leaf = [l for k in kids for l in by_parent[k["span_id"]] if l["kind"] == SERVER]
        good += (len(kids) == 1 and len(leaf) == 1 and kids[0]["trace_id"] == srv["trace_id"] ==
                 leaf[0]["trace_id"] and leaf[0]["attrs"]["url.path"] == "/leaf")
    assert good == 200, "%d/200 chains exact\n%s" % (good, describe(spans[:30]))


def tmpdir_for_build():
    import tempfile
    return tempfile.mkdtemp(prefix="zt-build-")


def test_proxy_forwarding_traceparent_keeps_its_hop():
    """nginx forwards the traceparent it received: the header it sends on is re-parented to
    nginx's client span, so the chain is curl → nginx → nginx's call → backend."""
    up = free_port()
    backend = python_server(up, "http_fixture_server.py")
    port = free_port()
    nginx, _ = nginx_server(port, "location /api/ { proxy_pass http://127.0.0.1:%d/; "
                                  "proxy_http_version 1.1; proxy_set_header Connection \"\"; }" % up)
    try:
        rc, agent, spans = run_traced(
            ["curl", "-s", "http://127.0.0.1:%d/api/headers" % port],
            args=["-q", "--pid", str(nginx.pid), "--pid", str(backend.pid)])
    finally:
        nginx.stop()
        backend.stop()
    assert rc == 0, agent.stderr
    cli = only(spans, CLIENT, service="curl")
    ngx_srv = only(spans, SERVER, service="nginx")
    ngx_cli = only(spans, CLIENT, service="nginx")
    be = [s for s in only(spans, SERVER) if s["service"] != "nginx"]
    assert len(cli) == len(ngx_srv) == len(ngx_cli) == len(be) == 1, describe(spans)
    assert ngx_srv[0]["parent"] == cli[0]["span_id"], describe(spans)
    assert ngx_cli[0]["parent"] == ngx_srv[0]["span_id"], describe(spans)
    assert be[0]["parent"] == ngx_cli[0]["span_id"], describe(spans)
    assert len({s["trace_id"] for s in spans}) == 1, describe(spans)
    # What the backend received is the header nginx forwarded, now naming nginx's span.
    assert agent.stdout.strip() == "00-%s-%s-01" % (ngx_cli[0]["trace_id"], ngx_cli[0]["span_id"])
