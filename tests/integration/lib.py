"""Integration test helpers: the real agent, real servers on loopback, OTLP/JSON spans."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AGENT = os.environ.get("ZEROTRACE", os.path.join(ROOT, "build", "zerotrace"))
HERE = os.path.dirname(os.path.abspath(__file__))


class Skip(Exception):
    """Raised by a test that cannot run here; the message says why."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {host}:{port} after {timeout}s")


def tmpdir():
    return tempfile.mkdtemp(prefix="zt-it-")


# Every process group a test started and has not stopped: the runner kills what a failing
# test left behind (tests/integration/runner.py calls reap_all after each test).
LIVE = set()


def reap_all():
    for pgid in list(LIVE):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        LIVE.discard(pgid)


class Proc:
    """A background process in its own process group, killed (group) on stop()."""

    def __init__(self, args, **kw):
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        self.p = subprocess.Popen(args, start_new_session=True, **kw)
        self.pid = self.p.pid
        LIVE.add(self.pid)

    def stop(self, sig=signal.SIGTERM, timeout=5):
        LIVE.discard(self.pid)
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.p.wait()
        return self.p.returncode


class Agent:
    """zerotrace writing OTLP/JSON lines to a file; args are selection/output flags."""

    def __init__(self, args, out=None, quiet=True, env=None):
        self.dir = tmpdir()
        self.out = out or os.path.join(self.dir, "spans.jsonl")
        cmd = [AGENT, "-v", "-o", self.out] + (["-q"] if quiet else []) + list(args)
        self.stderr_lines = []
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env, start_new_session=True)
        LIVE.add(self.p.pid)
        self.ready = threading.Event()
        self.stdout_parts = []
        self.readers = [threading.Thread(target=self._read_stderr, daemon=True),
                        threading.Thread(target=self._read_stdout, daemon=True)]
        for t in self.readers:
            t.start()

    def _read_stdout(self):
        for line in self.p.stdout:
            self.stdout_parts.append(line)

    @property
    def stdout(self):
        return "".join(self.stdout_parts)

    def wait(self, timeout):
        """Wait for the agent to exit by itself; returns its exit code."""
        LIVE.discard(self.p.pid)
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
            raise AssertionError("agent did not exit within %ss:\n%s" % (timeout, self.stderr))
        for t in self.readers:
            t.join(10)
        return self.p.returncode

    def _read_stderr(self):
        for line in self.p.stderr:
            self.stderr_lines.append(line)
            if "tracing; stop with Ctrl-C" in line:
                self.ready.set()
        self.ready.set()

    @property
    def stderr(self):
        return "".join(self.stderr_lines)

    def wait_ready(self, timeout=30):
        if not self.ready.wait(timeout) or self.p.poll() is not None:
            raise AssertionError("agent did not start:\n" + self.stderr)

    def stop(self, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def spans(self):
        return read_spans(self.out)


def run_traced(command, args=(), timeout=120, env=None, quiet=True):
    """Run `zerotrace ... -- command` to completion; return (returncode, agent, spans)."""
    agent = Agent(list(args) + ["--"] + list(command), quiet=quiet, env=env)
    rc = agent.wait(timeout)
    return rc, agent, agent.spans()


def _attr_value(v):
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [_attr_value(x) for x in v["arrayValue"].get("values", [])]
    return None


def _attrs(kvs):
    return {kv["key"]: _attr_value(kv.get("value", {})) for kv in kvs or []}


def read_spans(path):
    """Flatten OTLP/JSON lines into dicts: name, kind, ids, attrs, resource, status."""
    spans = []
    if not os.path.exists(path):
        return spans
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            req = json.loads(line)
            for rs in req.get("resourceSpans", []):
                res = _attrs(rs.get("resource", {}).get("attributes"))
                for ss in rs.get("scopeSpans", []):
                    for s in ss.get("spans", []):
                        spans.append({
                            "name": s.get("name"),
                            "kind": s.get("kind"),
                            "trace_id": s.get("traceId"),
                            "span_id": s.get("spanId"),
                            "parent": s.get("parentSpanId", ""),
                            "start": int(s.get("startTimeUnixNano", 0)),
                            "end": int(s.get("endTimeUnixNano", 0)),
                            "attrs": _attrs(s.get("attributes")),
                            "status": s.get("status", {}).get("code", 0),
                            "resource": res,
                            "service": res.get("service.name"),
                        })
    return spans


SERVER, CLIENT = 2, 3


def only(spans, kind=None, service=None, path=None, status=None, attrs=None):
    """Spans of a kind/service whose url.path, http.response.status_code and attrs match."""
    want = dict(attrs or {})
    if path is not None:
        want["url.path"] = path
    if status is not None:
        want["http.response.status_code"] = status
    out = []
    for s in spans:
        if kind is not None and s["kind"] != kind:
            continue
        if service is not None and s["service"] != service:
            continue
        if any(s["attrs"].get(k) != v for k, v in want.items()):
            continue
        out.append(s)
    return out


def describe(spans):
    return "\n".join("%s %s %s %s trace=%s parent=%s %s" % (
        s["service"], {2: "SERVER", 3: "CLIENT"}.get(s["kind"], s["kind"]), s["name"],
        s["attrs"].get("http.response.status_code"), s["trace_id"], s["parent"],
        s["span_id"]) for s in spans) or "(no spans)"


def curl(*args, timeout=30):
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout)] + list(args),
                          capture_output=True, timeout=timeout + 5)


NGINX_CONF = """
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
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location /status500 {{ return 500 "boom\\n"; }}
        location /echo {{ return 200 "echo\\n"; }}
        {extra}
    }}
}}
"""


def nginx_server(port, extra=""):
    """nginx on 127.0.0.1:port serving a fresh www/ folder; returns (Proc, dir)."""
    d = tmpdir()
    os.chmod(d, 0o755)  # nginx workers run as an unprivileged user
    os.makedirs(os.path.join(d, "www"))
    with open(os.path.join(d, "www", "index.html"), "w") as f:
        f.write("<html>hello</html>\n")
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=d, port=port, extra=extra))
    p = Proc(["nginx", "-c", conf, "-p", d, "-e", os.path.join(d, "error.log")])
    wait_port(port)
    return p, d


def python_server(port, script=None, cwd=None):
    """python3 http.server (or a script given the port) on 127.0.0.1:port."""
    if script:
        args = ["python3", os.path.join(HERE, script), str(port)]
    else:
        args = ["python3", "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    p = Proc(args, cwd=cwd or tmpdir())
    wait_port(port)
    return p


def read_response(sock):
    """Read exactly one Content-Length response from sock: (head, body), both bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed: %r" % data)
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed in the body: %d of %d" % (len(body), length))
        body += chunk
    return head, body


def http_exchange(sock, request):
    """Send one request on an open socket and read exactly one Content-Length response."""
    sock.sendall(request)
    head, body = read_response(sock)
    return head.split(b"\r\n")[0], body


def otlp_receiver(port, out, *extra):
    """tests/integration/otlp_receiver.py on port, one JSON object per received span in out."""
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "otlp_receiver.py"), "--port",
                          str(port), "--out", out] + list(extra),
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    LIVE.add(p.pid)
    line = p.stdout.readline()
    assert line.startswith("listening"), line
    return p


def tcp_server(port, stop, reply, read_all=False):
    """A plain TCP server on 127.0.0.1:port until stop is set: one reply(data) per
    connection, data read once or (read_all) until the client shuts its side."""
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
            data = c.recv(65536)
            while read_all:
                more = c.recv(65536)
                if not more:
                    break
                data += more
            c.sendall(reply(data))
    srv.close()


def children_of(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]
