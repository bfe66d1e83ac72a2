"""OTLP/HTTP protobuf to a real receiver that decodes it; collector down, failing, recovering."""
import json
import os
import subprocess
import sys
import time

from lib import otlp_receiver as receiver
from lib import (CLIENT, SERVER, HERE, Agent, Proc, curl, describe, free_port, only,
                 python_server, tmpdir)


def received(out):
    if not os.path.exists(out):
        return []
    with open(out) as f:
        return [json.loads(l) for l in f if l.strip()]


def wait_for(pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_otlp_http_protobuf_gzip_from_env():
    d = tmpdir()
    rport, port = free_port(), free_port()
    out = os.path.join(d, "received.jsonl")
    recv = receiver(rport, out)
    server = python_server(port, "http_fixture_server.py")
    env = dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % rport,
               OTEL_EXPORTER_OTLP_COMPRESSION="gzip", NO_PROXY="127.0.0.1")
    try:
        agent = Agent(["--", "curl", "-s", "-o", "/dev/null", "http://127.0.0.1:%d/otlp" % port],
                      env=env)
        assert agent.wait(60) == 0, agent.stderr
        assert wait_for(lambda: len(received(out)) >= 1), agent.stderr
    finally:
        server.stop()
        recv.terminate()
        recv.wait(10)
    spans = received(out)
    assert len(spans) == 1, spans
    s = spans[0]
    assert s["gzip"] is True and s["kind"] == CLIENT and s["name"] == "GET"
    assert s["attributes"]["url.full"] == "http://127.0.0.1:%d/otlp" % port
    assert s["attributes"]["http.response.status_code"] == 200
    assert s["resource"]["service.name"] == "curl" and s["resource"]["telemetry.sdk.name"] == "zerotrace"
    assert len(s["trace_id"]) == 32 and len(s["span_id"]) == 16 and s["end"] >= s["start"] > 0
    # The same span went to the JSON file exporter with identical IDs.
    js = agent.spans()
    assert [(x["trace_id"], x["span_id"]) for x in js] == [(s["trace_id"], s["span_id"])]


def test_collector_down_then_503_then_healthy():
    d = tmpdir()
    rport, port = free_port(), free_port()
    out = os.path.join(d, "received.jsonl")
    up = os.path.join(d, "up")
    # Refused connections until `up` exists, then two 503s with Retry-After, then 200.
    recv = receiver(rport, out, "--down-until-file", up, "--fail-first", "2",
                    "--fail-status", "503", "--retry-after", "1")
    server = python_server(port, "http_fixture_server.py")
    agent = Agent(["--pid", str(server.pid), "--otlp-endpoint", "http://127.0.0.1:%d" % rport],
                  env=dict(os.environ, NO_PROXY="127.0.0.1"))
    try:
        agent.wait_ready()
        for i in range(5):
            assert curl("http://127.0.0.1:%d/while-down-%d" % (port, i)).returncode == 0
        time.sleep(2.5)
        assert agent.p.poll() is None, "agent must keep running: " + agent.stderr
        assert received(out) == []
        open(up, "w").close()
        for i in range(3):
            assert curl("http://127.0.0.1:%d/after-%d" % (port, i)).returncode == 0
        ok = wait_for(lambda: len(received(out)) >= 8, timeout=40)
    finally:
        rc = agent.stop(timeout=60)
        server.stop()
        recv.terminate()
        recv.wait(10)
    paths = sorted(s["attributes"].get("url.path") for s in received(out))
    assert ok, "spans after recovery: %s\n%s" % (paths, agent.stderr)
    assert paths == sorted(["/while-down-%d" % i for i in range(5)] +
                           ["/after-%d" % i for i in range(3)]), paths
    assert rc == 0, agent.stderr
    warnings = [l for l in agent.stderr.splitlines() if "otlp" in l.lower() and "warn" in l]
    assert 1 <= len(warnings) <= 4, "warned, but not per span:\n" + agent.stderr


def test_unreachable_collector_agent_exits_in_bounded_time():
    port = free_port()
    dead = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        t0 = time.time()
        agent = Agent(["--otlp-endpoint", "http://127.0.0.1:%d" % dead, "--", "curl", "-s",
                       "-o", "/dev/null", "http://127.0.0.1:%d/x" % port],
                      env=dict(os.environ, NO_PROXY="127.0.0.1"))
        rc = agent.wait(60)
    finally:
        server.stop()
    assert rc == 0, agent.stderr
    assert time.time() - t0 < 20, "flush on exit is bounded"
    assert "failed" in agent.stderr.splitlines()[-1], agent.stderr
    assert only(agent.spans(), CLIENT), "the file exporter is unaffected: " + describe(agent.spans())


def test_bad_endpoint_is_one_line_error():
    agent = Agent(["--otlp-endpoint", "ftp://nowhere", "--", "true"])
    rc = agent.wait(30)
    assert rc == 1, agent.stderr
    errors = [l for l in agent.stderr.splitlines() if "error" in l]
    assert len(errors) == 1 and "ftp://nowhere" in errors[0], agent.stderr
