"""Which processes get traced: --cgroup, --exe, --port, --all."""
import os
import shutil
import time

from lib import (CLIENT, SERVER, Agent, Proc, Skip, curl, describe, free_port, nginx_server,
                 only, python_server, wait_port, HERE)


def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] == "cgroup2":
                return parts[1]
    raise Skip("no cgroup v2 mount on this host")


def start_in_cgroup(cg, port):
    script = "echo $$ > %s/cgroup.procs && exec python3 %s %d" % (
        cg, os.path.join(HERE, "http_fixture_server.py"), port)
    p = Proc(["sh", "-c", script])
    wait_port(port)
    return p


def test_cgroup_only_selected_one_traced():
    root = cgroup2_root()
    base = os.path.join(root, "zt-it-%d" % os.getpid())
    a, b = os.path.join(base, "a"), os.path.join(base, "b", "nested")
    os.makedirs(a)
    os.makedirs(b)
    procs = []
    try:
        pa, pb = free_port(), free_port()
        procs += [start_in_cgroup(a, pa), start_in_cgroup(b, pb)]
        rel = os.path.relpath(os.path.join(base, "b"), root)
        agent = Agent(["--cgroup", rel])
        try:
            agent.wait_ready()
            assert curl("http://127.0.0.1:%d/in-a" % pa).returncode == 0
            assert curl("http://127.0.0.1:%d/in-b" % pb).returncode == 0
        finally:
            agent.stop()
    finally:
        for p in procs:
            p.stop()
        for d in (a, b, os.path.dirname(b), base):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.1)
    paths = [s["attrs"].get("url.path") for s in only(agent.spans(), SERVER)]
    assert paths == ["/in-b"], describe(agent.spans())


def test_cgroup_bad_path_is_one_line_error():
    cgroup2_root()
    agent = Agent(["--cgroup", "does/not/exist"])
    rc = agent.p.wait(30)
    agent.stop()
    assert rc == 1 and "--cgroup does/not/exist" in agent.stderr, agent.stderr


def test_exe_glob_started_before_and_after():
    before = free_port()
    nginx1, _ = nginx_server(before)
    agent = Agent(["--exe", "nginx"])
    nginx2 = None
    try:
        agent.wait_ready()
        after = free_port()
        nginx2, _ = nginx_server(after)
        time.sleep(0.3)
        py = free_port()
        server = python_server(py, "http_fixture_server.py")
        try:
            assert curl("http://127.0.0.1:%d/echo" % before).returncode == 0
            assert curl("http://127.0.0.1:%d/echo" % after).returncode == 0
            assert curl("http://127.0.0.1:%d/python" % py).returncode == 0
        finally:
            server.stop()
    finally:
        agent.stop()
        nginx1.stop()
        if nginx2:
            nginx2.stop()
    # Any nginx on the host is selected: look at this test's ports only.
    spans = [s for s in agent.spans() if s["attrs"].get("server.port") in (before, after, py)]
    ports = sorted(s["attrs"]["server.port"] for s in only(spans, SERVER))
    assert ports == sorted([before, after]), describe(spans)
    assert not only(spans, CLIENT), "curl is not an nginx: " + describe(spans)


def test_port_selects_connections():
    traced, other = free_port(), free_port()
    s1 = python_server(traced, "http_fixture_server.py")
    s2 = python_server(other, "http_fixture_server.py")
    agent = Agent(["--port", str(traced)])
    try:
        agent.wait_ready()
        assert curl("http://127.0.0.1:%d/yes" % traced).returncode == 0
        assert curl("http://127.0.0.1:%d/no" % other).returncode == 0
    finally:
        agent.stop()
        s1.stop()
        s2.stop()
    spans = agent.spans()
    assert {s["attrs"]["url.path"] for s in only(spans, SERVER)} == {"/yes"}, describe(spans)
    assert {s["attrs"]["url.path"] for s in only(spans, CLIENT)} == {"/yes"}, describe(spans)


def test_all_traces_everything_but_itself():
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    agent = Agent(["--all"])
    try:
        agent.wait_ready()
        assert curl("http://127.0.0.1:%d/all" % port).returncode == 0
    finally:
        agent.stop()
        server.stop()
    spans = agent.spans()
    assert only(spans, SERVER, path="/all") and only(spans, CLIENT, path="/all"), describe(spans)
