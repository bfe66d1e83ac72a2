"""Malformed, binary and oversized traffic: no crash, counted, tracing continues."""
import os
import re
import socket
import threading

from lib import (SERVER, Agent, curl, describe, free_port, nginx_server, only, python_server,
                 tcp_server)


def _exchange(port, payload, read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(payload)
        if read:
            try:
                while s.recv(65536):
                    pass
            except (socket.timeout, ConnectionResetError):
                pass
    finally:
        s.close()


def binary_echo_server(port, stop):
    """A non-HTTP protocol whose payload starts with 'GET' now and then."""
    tcp_server(port, stop, lambda data: b"\x00\x01" + data[::-1])


def test_garbage_huge_headers_and_binary_do_not_crash():
    port = free_port()
    nginx, _ = nginx_server(port)
    agent = Agent(["--pid", str(nginx.pid), "--all"])
    bport = free_port()
    stop = threading.Event()
    t = threading.Thread(target=binary_echo_server, args=(bport, stop), daemon=True)
    t.start()
    try:
        agent.wait_ready()
        _exchange(port, os.urandom(5000))
        _exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100 * 1024 + b"\r\n\r\n")
        _exchange(port, b"GET /\x00\x01\x02 HTTP/9.9\r\n\r\n")
        _exchange(port, b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n")
        _exchange(port, b"GET / HTTP/1.1\r\nHost: trunc")
        for payload in (b"GET\x00\x00binary\xff\xfe", b"GETX" + os.urandom(300)):
            _exchange(bport, payload)
        assert curl("http://127.0.0.1:%d/after-garbage" % port).returncode == 0
    finally:
        stop.set()
        rc = agent.stop()
        nginx.stop()
    assert rc == 0, agent.stderr
    summary = [l for l in agent.stderr.splitlines() if l.startswith("zerotrace: events")][0]
    counts = dict(re.findall(r"(unparseable|malformed) (\d+)", summary))
    assert int(counts["malformed"]) >= 2 and int(counts["unparseable"]) >= 2, summary
    spans = agent.spans()
    assert only(spans, SERVER, path="/after-garbage"), describe(spans)
    assert all(s["attrs"].get("server.port") != bport for s in spans), describe(spans)


def test_truncated_capture_small_capture_bytes():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    agent = Agent(["--pid", str(server.pid), "--capture-bytes", "512"])
    try:
        agent.wait_ready()
        long_path = "/p/" + "x" * 2000
        assert curl("http://127.0.0.1:%d%s" % (port, long_path)).returncode == 0
        assert curl("http://127.0.0.1:%d/short" % port).returncode == 0
    finally:
        agent.stop()
        server.stop()
    spans = only(agent.spans(), SERVER)
    assert any(s["attrs"].get("url.path") == "/short" for s in spans), describe(spans)
