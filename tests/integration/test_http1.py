"""HTTP/1.x spans of unmodified programs: python http.server, curl, nginx."""
import os
import re
import socket
import subprocess
import threading
import time

from lib import (CLIENT, SERVER, Agent, curl, describe, free_port, http_exchange, nginx_server,
                 only, python_server, run_traced)


def test_python_server_and_curl_one_trace():
    port = free_port()
    rc, agent, spans = run_traced(["sh", "-c",
                                   "python3 -m http.server --bind 127.0.0.1 %d >/dev/null 2>&1 &"
                                   " for i in $(seq 50); do curl -s -o /dev/null localhost:%d/"
                                   " && break; sleep 0.1; done; kill $!" % (port, port)])
    assert rc == 0, agent.stderr
    servers = only(spans, SERVER, path="/", status=200)
    clients = only(spans, CLIENT, service="curl", status=200)
    assert len(servers) == 1 and len(clients) == 1, describe(spans)
    srv, cli = servers[0], clients[0]
    assert srv["name"] == "GET /" and cli["name"] == "GET", describe(spans)
    assert srv["service"].startswith("python3"), srv["service"]
    assert srv["trace_id"] == cli["trace_id"] and srv["parent"] == cli["span_id"], describe(spans)
    assert cli["attrs"]["url.full"] == "http://localhost:%d/" % port
    assert cli["attrs"]["server.port"] == port and srv["attrs"]["server.port"] == port
    assert srv["attrs"]["client.address"] == "127.0.0.1"
    assert srv["attrs"]["user_agent.original"].startswith("curl/")
    assert srv["attrs"]["network.protocol.version"] == "1.1"
    assert cli["start"] <= srv["start"] <= srv["end"] <= cli["end"], describe(spans)
    res = srv["resource"]
    assert res["process.pid"] > 0 and res["telemetry.sdk.name"] == "zerotrace"
    assert res["host.name"] == socket.gethostname()
    assert "http.server" in res["process.command_args"], res
    assert "events" in agent.stderr and "spans" in agent.stderr


def test_exit_code_of_command():
    rc, agent, _ = run_traced(["sh", "-c", "exit 7"])
    assert rc == 7, agent.stderr


def test_service_name_from_env():
    port = free_port()
    env = dict(os.environ, OTEL_SERVICE_NAME="checkout")
    rc, agent, spans = run_traced(["sh", "-c",
                                   "python3 -m http.server --bind 127.0.0.1 %d >/dev/null 2>&1 &"
                                   " for i in $(seq 50); do curl -s -o /dev/null localhost:%d/x"
                                   " && break; sleep 0.1; done; kill $!" % (port, port)], env=env)
    assert only(spans, SERVER, service="checkout"), describe(spans)


def test_nginx_keepalive_every_request_a_span():
    port = free_port()
    nginx, _ = nginx_server(port)
    agent = Agent(["--pid", str(nginx.pid)])
    try:
        agent.wait_ready()
        urls = ["http://127.0.0.1:%d/%s" % (port, p) for p in ("index.html", "echo", "status500", "missing")]
        r = curl(*urls)
        assert r.returncode == 0, r.stderr
    finally:
        agent.stop()
        nginx.stop()
    spans = only(agent.spans(), SERVER)
    paths = [s["attrs"]["url.path"] for s in sorted(spans, key=lambda s: s["start"])]
    assert paths == ["/index.html", "/echo", "/status500", "/missing"], describe(spans)
    codes = [s["attrs"]["http.response.status_code"] for s in sorted(spans, key=lambda s: s["start"])]
    assert codes == [200, 200, 500, 404], codes
    assert len({s["attrs"]["client.port"] for s in spans}) == 1, "one keep-alive connection"
    errors = [s["attrs"]["url.path"] for s in spans if s["status"] == 2]
    assert errors == ["/status500"], errors
    assert all(s["service"] == "nginx" for s in spans)


def test_server_started_before_agent_pid():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    # A keep-alive connection opened before the agent: found lazily from its fd.
    sock = socket.create_connection(("127.0.0.1", port))
    status, _ = http_exchange(sock, b"GET /before HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"200" in status
    agent = Agent(["--pid", str(server.pid)])
    try:
        agent.wait_ready()
        # The server thread entered its read before the agent attached: that one request
        # cannot be seen. The next ones on the same connection must be.
        for path in (b"/first-after", b"/after-on-old-conn"):
            status, _ = http_exchange(sock, b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
            assert b"200" in status
        assert curl("http://127.0.0.1:%d/new-conn" % port).returncode == 0
    finally:
        sock.close()
        agent.stop()
        server.stop()
    spans = agent.spans()
    paths = sorted(s["attrs"]["url.path"] for s in only(spans, SERVER))
    assert paths in (["/after-on-old-conn", "/new-conn"],
                     ["/after-on-old-conn", "/first-after", "/new-conn"]), describe(spans)


def test_pipelined_requests():
    port = free_port()
    nginx, _ = nginx_server(port)
    agent = Agent(["--pid", str(nginx.pid)])
    try:
        agent.wait_ready()
        s = socket.create_connection(("127.0.0.1", port))
        reqs = b"".join(b"GET /echo?i=%d HTTP/1.1\r\nHost: p\r\n\r\n" % i for i in range(3))
        s.sendall(reqs + b"GET /index.html HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.count(b"HTTP/1.1 200") == 4, data
    finally:
        agent.stop()
        nginx.stop()
    spans = sorted(only(agent.spans(), SERVER), key=lambda s: s["start"])
    got = [(s["attrs"]["url.path"], s["attrs"].get("url.query")) for s in spans]
    assert got == [("/echo", "i=0"), ("/echo", "i=1"), ("/echo", "i=2"), ("/index.html", None)], describe(spans)


def test_chunked_and_5mb_responses_and_post():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    agent = Agent(["--pid", str(server.pid)])
    body = os.path.join(agent.dir, "body.bin")
    with open(body, "wb") as f:
        f.write(os.urandom(300000))
    try:
        agent.wait_ready()
        base = "http://127.0.0.1:%d" % port
        r = curl("-o", "/dev/null", base + "/chunked", base + "/big?n=5242880")
        assert r.returncode == 0, r.stderr
        r = curl("-o", "/dev/null", "--data-binary", "@" + body, base + "/upload")
        assert r.returncode == 0, r.stderr
    finally:
        agent.stop()
        server.stop()
    spans = {s["attrs"]["url.path"]: s for s in only(agent.spans(), SERVER)}
    assert set(spans) == {"/chunked", "/big", "/upload"}, describe(agent.spans())
    assert spans["/big"]["attrs"]["http.response.body.size"] == 5242880
    assert spans["/chunked"]["attrs"]["http.response.status_code"] == 200
    assert spans["/chunked"]["attrs"]["http.response.body.size"] > 0
    up = spans["/upload"]
    assert up["name"] == "POST /upload" and up["attrs"]["http.request.method"] == "POST"
    assert up["attrs"]["http.request.body.size"] == 300000
    assert up["attrs"]["http.response.status_code"] == 201


def test_nginx_sendfile_large_file():
    port = free_port()
    nginx, d = nginx_server(port, "sendfile on;")
    with open(os.path.join(d, "www", "big.bin"), "wb") as f:
        f.write(b"z" * (5 << 20))
    agent = Agent(["--pid", str(nginx.pid)])
    try:
        agent.wait_ready()
        assert curl("-o", "/dev/null", "http://127.0.0.1:%d/big.bin" % port,
                    "http://127.0.0.1:%d/echo" % port).returncode == 0
    finally:
        agent.stop()
        nginx.stop()
    spans = {s["attrs"]["url.path"]: s for s in only(agent.spans(), SERVER)}
    assert spans["/big.bin"]["attrs"]["http.response.body.size"] == 5 << 20, describe(agent.spans())
    assert "/echo" in spans, "the request after a sendfile body is still parsed"


def test_connection_refused():
    port = free_port()
    rc, agent, spans = run_traced(["curl", "-s", "http://127.0.0.1:%d/" % port])
    assert rc == 7, agent.stderr
    assert spans == [], describe(spans)
    assert "zerotrace: events" in agent.stderr


def test_client_error_status_is_error():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        rc, agent, spans = run_traced(["curl", "-s", "-o", "/dev/null",
                                       "http://127.0.0.1:%d/status/404" % port])
    finally:
        server.stop()
    clients = only(spans, CLIENT)
    assert len(clients) == 1 and clients[0]["status"] == 2, describe(spans)
    assert clients[0]["attrs"]["error.type"] == "404"


def test_sigterm_flushes_and_exits_zero():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    agent = Agent(["--pid", str(server.pid)])
    try:
        agent.wait_ready()
        assert curl("http://127.0.0.1:%d/term" % port).returncode == 0
        time.sleep(0.3)
        agent.p.terminate()
        agent.p.wait(30)
    finally:
        server.stop()
    assert agent.p.returncode == 0, agent.stderr
    assert only(agent.spans(), SERVER, path="/term"), describe(agent.spans())


def test_console_waterfall_default_output():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        agent = Agent(["--", "curl", "-s", "-o", "/dev/null", "http://127.0.0.1:%d/wf" % port],
                      quiet=False)
        agent.wait(60)
    finally:
        server.stop()
    out = agent.stdout
    assert out.startswith("trace ") and "curl" in out and "CLIENT" in out and "GET" in out, out
    assert "\x1b[" not in out, "no colour when stdout is not a TTY"


def test_websocket_upgrade_stops_capture():
    """After a 101 to something no parser follows (a WebSocket), the connection's bytes are
    no HTTP: the agent tells the kernel to stop capturing them. The client writes 500 frames
    after the switch; without that, each would be an event with its bytes."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve():
        c, _ = srv.accept()
        head = b""
        while b"\r\n\r\n" not in head:
            head += c.recv(4096)
        c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\n\r\n")
        while c.recv(65536):
            pass
        c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    client = ("import socket, time\n"
              "s = socket.create_connection(('127.0.0.1', %d))\n"
              "s.sendall(b'GET /chat HTTP/1.1\\r\\nHost: x\\r\\nConnection: Upgrade\\r\\n'\n"
              "          b'Upgrade: websocket\\r\\n\\r\\n')\n"
              "assert s.recv(4096).startswith(b'HTTP/1.1 101')\n"
              "time.sleep(0.5)\n"
              "for i in range(500):\n"
              "    s.sendall(b'\\x81\\x05hello')\n"
              "    time.sleep(0.001)\n"
              "s.close()\n" % port)
    rc, agent, spans = run_traced(["python3", "-c", client])
    t.join(10)
    srv.close()
    assert rc == 0, agent.stderr
    assert [s["attrs"].get("http.response.status_code") for s in spans] == [101], describe(spans)
    # The request and the 101 are ~150 bytes; the frames after them 3 500 more.
    captured = int(re.search(r"zerotrace: events \d+, bytes (\d+)", agent.stderr).group(1))
    assert captured < 1000, agent.stderr
