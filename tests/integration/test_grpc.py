"""HTTP/2 and gRPC of unmodified programs: python grpcio clients and servers, a Node
@grpc/grpc-js server, nghttp2's nghttpd and h2load. Spans per call, gRPC status codes, streaming message counts, many streams on one
connection, traceparent injected into HEADERS frames by the kernel, and chains in one trace."""
import os
import re
import shutil
import subprocess
import sys

from lib import (CLIENT, HERE, SERVER, Agent, Proc, Skip, curl, describe, free_port, python_server,
                 tmpdir, wait_port)

GRPC = os.path.join(HERE, "grpc")
ERROR = 2
METHOD = "zt.shop.Shop/"
_gen = {}


def gen_dir():
    """shop.proto compiled once per run with grpc_tools (python3-grpc-tools)."""
    if "dir" not in _gen:
        try:
            import grpc  # noqa: F401
            import grpc_tools  # noqa: F401
        except ImportError as e:
            raise Skip("python3-grpcio / python3-grpc-tools missing (%s)" % e)
        d = tmpdir()
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", GRPC, "--python_out", d,
                        "--grpc_python_out", d, os.path.join(GRPC, "shop.proto")], check=True)
        _gen["dir"] = d
    return _gen["dir"]


def shop_server(port, downstream=None, env=None):
    args = [sys.executable, os.path.join(GRPC, "server.py"), str(port), gen_dir()]
    if downstream:
        args.append(downstream)
    p = Proc(args, env=env)
    wait_port(port)
    return p


def client_cmd(port, scenario):
    return [sys.executable, os.path.join(GRPC, "client.py"), "127.0.0.1:%d" % port, gen_dir(),
            scenario]


def rpc(spans, kind, method=None, service=None):
    return [s for s in spans if s["kind"] == kind and s["attrs"].get("rpc.system.name") == "grpc"
            and (method is None or s["attrs"].get("rpc.method") == METHOD + method)
            and (service is None or s["service"] == service)]


def show(spans):
    return "\n".join("%s %s %s code=%s err=%s msgs=%s/%s trace=%s parent=%s span=%s" % (
        s["service"], {2: "SERVER", 3: "CLIENT"}.get(s["kind"]), s["name"],
        s["attrs"].get("rpc.response.status_code"), s["attrs"].get("error.type"),
        s["attrs"].get("zerotrace.rpc.request.messages"),
        s["attrs"].get("zerotrace.rpc.response.messages"), s["trace_id"][:8], s["parent"],
        s["span_id"]) for s in spans) or "(no spans)"


def traced_run(server_pids, command, env=None, extra=()):
    """Agent on the servers (--pid) running command traced; returns (agent, spans)."""
    args = list(extra)
    for p in server_pids:
        args += ["--pid", str(p)]
    agent = Agent(args + ["--"] + command, env=env)
    rc = agent.wait(180)
    assert rc == 0, agent.stderr + agent.stdout
    return agent, agent.spans()


def assert_linked(client_span, server_span):
    assert server_span["trace_id"] == client_span["trace_id"], show([client_span, server_span])
    assert server_span["parent"] == client_span["span_id"], show([client_span, server_span])


def test_grpc_unary_ok_and_error_codes():
    port = free_port()
    srv = shop_server(port, env=dict(os.environ, OTEL_SERVICE_NAME="shop"))
    try:
        agent, spans = traced_run([srv.pid], client_cmd(port, "unary"),
                                  env=dict(os.environ, OTEL_SERVICE_NAME="buyer"))
    finally:
        srv.stop()
    clients = sorted(rpc(spans, CLIENT, "GetItem", "buyer"), key=lambda s: s["start"])
    servers = rpc(spans, SERVER, "GetItem", "shop")
    assert len(clients) == 4 and len(servers) == 4, show(spans)
    codes = [c["attrs"].get("rpc.response.status_code") for c in clients]
    assert codes[:3] == ["OK", "NOT_FOUND", "UNAVAILABLE"], show(clients)
    ok, notfound, unavailable, deadline = clients
    assert ok["status"] != ERROR and ok["name"] == METHOD + "GetItem"
    assert notfound["status"] == ERROR and notfound["attrs"]["error.type"] == "NOT_FOUND"
    assert unavailable["status"] == ERROR
    # The deadline: the server's DEADLINE_EXCEEDED status, or the client's RST_STREAM first.
    assert deadline["status"] == ERROR and codes[3] in (None, "DEADLINE_EXCEEDED"), show(clients)
    assert ok["attrs"]["server.port"] == port and ok["attrs"]["network.protocol.version"] == "2"
    by_parent = {s["parent"]: s for s in servers}
    for c in clients:
        assert c["span_id"] in by_parent, "server span not linked to %s\n%s" % (
            c["span_id"], show(spans))
        assert_linked(c, by_parent[c["span_id"]])
    # Server side: NOT_FOUND is the client's problem, UNAVAILABLE the server's.
    s404 = by_parent[notfound["span_id"]]
    assert s404["attrs"]["rpc.response.status_code"] == "NOT_FOUND" and s404["status"] != ERROR
    assert by_parent[unavailable["span_id"]]["status"] == ERROR
    assert re.search(r"propagated [1-9]", agent.stderr), agent.stderr


def test_grpc_streaming_calls_count_messages_and_keep_bytes():
    port = free_port()
    srv = shop_server(port)
    try:
        agent, spans = traced_run([srv.pid], client_cmd(port, "streaming"))
    finally:
        srv.stop()
    # client.py checked every byte: 20 streamed items, uploads (sha256), 10 echoed.
    assert "Upload OK 3" in agent.stdout and "Chat OK 10" in agent.stdout, agent.stdout
    lst = rpc(spans, CLIENT, "ListItems")
    up = sorted(rpc(spans, CLIENT, "Upload"), key=lambda s: s["start"])
    chat = rpc(spans, CLIENT, "Chat")
    assert len(lst) == 1 and len(up) == 2 and len(chat) == 1, show(spans)
    assert lst[0]["attrs"]["zerotrace.rpc.response.messages"] == 20, show(lst)
    # 1 MiB messages cross many DATA frames whose headers fall in uncaptured bytes: only
    # the small upload's count is exact.
    assert up[0]["attrs"]["zerotrace.rpc.request.messages"] == 5, show(up)
    assert chat[0]["attrs"]["zerotrace.rpc.request.messages"] == 10, show(chat)
    assert chat[0]["attrs"]["zerotrace.rpc.response.messages"] == 10, show(chat)
    for c in lst + up + chat:
        assert c["attrs"]["rpc.response.status_code"] == "OK", show([c])
    servers = rpc(spans, SERVER)
    assert len(servers) == 4 and {s["parent"] for s in servers} == \
        {c["span_id"] for c in lst + up + chat}, show(spans)


def test_grpc_500_concurrent_streams_on_one_connection():
    port = free_port()
    srv = shop_server(port)
    try:
        agent, spans = traced_run([srv.pid], client_cmd(port, "concurrent"))
    finally:
        srv.stop()
    clients = rpc(spans, CLIENT, "GetItem")
    servers = rpc(spans, SERVER, "GetItem")
    assert len(clients) == 500 and len(servers) == 500, (len(clients), len(servers))
    ports = {c["attrs"].get("network.peer.port") for c in clients}
    assert len(ports) == 1, ports
    parents = {s["parent"] for s in servers}
    assert parents == {c["span_id"] for c in clients}, "servers not linked one to one"
    assert all(c["attrs"]["rpc.response.status_code"] == "OK" for c in clients)


def test_grpc_agent_started_on_an_open_connection():
    port = free_port()
    srv = shop_server(port)
    client = Proc(client_cmd(port, "late"), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert client.p.stdout.readline().strip() == b"connected"
        agent = Agent(["--pid", str(client.pid), "--pid", str(srv.pid)])
        agent.wait_ready()
        client.p.stdin.write(b"go\n")
        client.p.stdin.flush()
        assert client.p.wait(30) == 0
        agent.stop()
    finally:
        client.stop()
        srv.stop()
    spans = agent.spans()
    clients = [s for s in spans if s["kind"] == CLIENT and s["attrs"].get("network.protocol.version") == "2"]
    assert len(clients) == 1, show(spans)
    c = clients[0]
    # Without the connection's HPACK history some fields may be missing, never wrong.
    assert c["attrs"].get("rpc.method", METHOD + "GetItem") == METHOD + "GetItem", show(clients)
    if "rpc.method" not in c["attrs"]:
        assert c["attrs"].get("zerotrace.headers.partial") is True, show(clients)


def test_grpc_chain_of_three_services_one_trace():
    pb, pa = free_port(), free_port()
    b = shop_server(pb, env=dict(os.environ, OTEL_SERVICE_NAME="shop-b"))
    a = shop_server(pa, "127.0.0.1:%d" % pb, env=dict(os.environ, OTEL_SERVICE_NAME="shop-a"))
    try:
        agent, spans = traced_run([a.pid, b.pid], client_cmd(pa, "chain"),
                                  env=dict(os.environ, OTEL_SERVICE_NAME="buyer"))
    finally:
        a.stop()
        b.stop()
    assert "via grpc" in agent.stdout, agent.stdout
    c0 = rpc(spans, CLIENT, "GetItem", "buyer")
    sa = rpc(spans, SERVER, "GetItem", "shop-a")
    ca = rpc(spans, CLIENT, "GetItem", "shop-a")
    sb = rpc(spans, SERVER, "GetItem", "shop-b")
    assert len(c0) == len(sa) == len(ca) == len(sb) == 1, show(spans)
    assert_linked(c0[0], sa[0])
    assert_linked(sa[0], ca[0])
    assert_linked(ca[0], sb[0])


def test_grpc_chain_through_node_grpc_js():
    node_dir = os.path.join(GRPC, "node")
    if not shutil.which("node"):
        raise Skip("node is not installed")
    if not os.path.isdir(os.path.join(node_dir, "node_modules", "@grpc", "grpc-js")):
        raise Skip("@grpc/grpc-js not installed (scripts/install-deps.sh runs npm ci in %s)" % node_dir)
    pb, pn = free_port(), free_port()
    b = shop_server(pb, env=dict(os.environ, OTEL_SERVICE_NAME="shop-b"))
    n = Proc(["node", os.path.join(node_dir, "server.js"), str(pn), os.path.join(GRPC, "shop.proto"),
              "127.0.0.1:%d" % pb], env=dict(os.environ, OTEL_SERVICE_NAME="shop-node"))
    try:
        wait_port(pn)
        agent, spans = traced_run([n.pid, b.pid], client_cmd(pn, "chain"),
                                  env=dict(os.environ, OTEL_SERVICE_NAME="buyer"))
    finally:
        n.stop()
        b.stop()
    assert "via node" in agent.stdout, agent.stdout
    c0 = rpc(spans, CLIENT, "GetItem", "buyer")
    sn = rpc(spans, SERVER, "GetItem", "shop-node")
    cn = rpc(spans, CLIENT, "GetItem", "shop-node")
    sb = rpc(spans, SERVER, "GetItem", "shop-b")
    assert len(c0) == len(sn) == len(cn) == len(sb) == 1, show(spans)
    assert_linked(c0[0], sn[0])
    assert_linked(sn[0], cn[0])
    assert_linked(cn[0], sb[0])


def test_mixed_chain_http1_grpc_http1_one_trace():
    ph, pg, pf = free_port(), free_port(), free_port()
    leaf = python_server(ph)
    shop = shop_server(pg, "http://127.0.0.1:%d/" % ph, env=dict(os.environ, OTEL_SERVICE_NAME="shop"))
    front = Proc([sys.executable, os.path.join(GRPC, "http_front.py"), str(pf), gen_dir(),
                  "127.0.0.1:%d" % pg], env=dict(os.environ, OTEL_SERVICE_NAME="front"))
    try:
        wait_port(pf)
        agent, spans = traced_run([leaf.pid, shop.pid, front.pid],
                                  ["curl", "-sS", "http://127.0.0.1:%d/item/3" % pf])
    finally:
        front.stop()
        shop.stop()
        leaf.stop()
    assert agent.stdout.startswith("item 3"), agent.stdout
    curl_c = [s for s in spans if s["kind"] == CLIENT and s["service"] == "curl"]
    front_s = [s for s in spans if s["kind"] == SERVER and s["service"] == "front"]
    front_c = rpc(spans, CLIENT, "GetItem", "front")
    shop_s = rpc(spans, SERVER, "GetItem", "shop")
    shop_c = [s for s in spans if s["kind"] == CLIENT and s["service"] == "shop"]
    leaf_s = [s for s in spans if s["kind"] == SERVER and s["attrs"].get("server.port") == ph]
    chain = [curl_c, front_s, front_c, shop_s, shop_c, leaf_s]
    assert all(len(x) == 1 for x in chain), describe(spans) + "\n" + show(spans)
    for parent, child in zip(chain, chain[1:]):
        assert_linked(parent[0], child[0])


def test_nghttpd_and_h2load_plain_http2():
    for tool in ("nghttpd", "h2load"):
        if not shutil.which(tool):
            raise Skip("%s missing (nghttp2-server / nghttp2-client)" % tool)
    d = tmpdir()
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("hello over h2\n")
    port = free_port()
    srv = Proc(["nghttpd", "--no-tls", "-d", d, str(port)])
    try:
        wait_port(port)
        agent, spans = traced_run([srv.pid], ["h2load", "-n", "1000", "-c", "2", "-m", "50",
                                              "http://127.0.0.1:%d/index.html" % port])
    finally:
        srv.stop()
    assert "1000 succeeded" in agent.stdout, agent.stdout
    clients = [s for s in spans if s["kind"] == CLIENT and s["service"] == "h2load"]
    servers = [s for s in spans if s["kind"] == SERVER and s["service"] == "nghttpd"]
    assert len(clients) == 1000 and len(servers) == 1000, (len(clients), len(servers))
    assert all(s["attrs"].get("http.response.status_code") == 200 for s in clients + servers)
    assert all(s["attrs"].get("network.protocol.version") == "2" for s in clients)
    assert {s["parent"] for s in servers} == {c["span_id"] for c in clients}
    assert servers[0]["name"] == "GET /index.html", servers[0]["name"]


def test_h2c_upgrade_from_http1_curl():
    """curl --http2 on an http:// URL asks for Upgrade: h2c and the server (python3-h2) switches:
    the upgraded request is answered as HTTP/2 stream 1, the next request on the connection is
    stream 3. Both are spans on both sides, each server span the child of its client span (the
    kernel injects traceparent into the HTTP/1.1 upgrade request, then into stream 3's
    HEADERS). The capture is 256 bytes and stream 3's response headers 1 KiB: their status
    is only seen because the kernel follows the switch and captures HTTP/2 whole."""
    try:
        import h2  # noqa: F401
    except ImportError:
        raise Skip("python3-h2 missing")
    port = free_port()
    srv = Proc([sys.executable, os.path.join(HERE, "h2c_server.py"), str(port)])
    base = "http://127.0.0.1:%d/" % port
    try:
        wait_port(port)
        agent, spans = traced_run([srv.pid], [
            "curl", "-sS", "--http2", "-w", "%{http_version} %{response_code} %{num_connects}\\n",
            "-o", "/dev/null", base + "one.html", "-o", "/dev/null", base + "two.html"],
            extra=["--capture-bytes", "256"])
    finally:
        srv.stop()
    # One connection: the second request went as an HTTP/2 stream on the upgraded one.
    assert agent.stdout.split() == ["2", "200", "1", "2", "200", "0"], agent.stdout
    clients = [s for s in spans if s["kind"] == CLIENT and s["service"] == "curl"]
    servers = [s for s in spans if s["kind"] == SERVER and s["resource"].get("process.pid") == srv.pid]
    assert len(clients) == 2 and len(servers) == 2, describe(spans)
    for path in ("/one.html", "/two.html"):
        client = [s for s in clients if s["attrs"].get("url.full", "").endswith(path)]
        server = [s for s in servers if s["attrs"].get("url.path") == path]
        assert len(client) == 1 and len(server) == 1, describe(spans)
        for s in client + server:
            assert s["attrs"].get("http.response.status_code") == 200, describe([s])
            assert s["attrs"].get("network.protocol.version") == "2", describe([s])
        assert_linked(client[0], server[0])
    assert "malformed 0" in agent.stderr, agent.stderr
