"""Every socket hook family captures the same traffic; families this kernel refuses skip."""
import subprocess

from lib import AGENT, CLIENT, Skip, describe, free_port, only, python_server, run_traced

FEATURE_LINE = {
    "fentry": "fentry/fexit (BPF trampoline)",
    "socket": "socket tracepoints (tp_btf)",
    "tracepoint": "syscall tracepoints",
    "raw_tp": "raw tracepoints",
    "kprobe": "kprobes",
}


def _features():
    out = subprocess.run([AGENT, "features"], capture_output=True, text=True, timeout=60).stdout
    return {line[:38].strip(): line[38:].strip() for line in out.splitlines()}


def _check_family(family):
    state = _features().get(FEATURE_LINE[family], "")
    if not state.startswith("yes"):
        raise Skip("%s hooks: this kernel says '%s'" % (family, state))
    port = free_port()
    server = python_server(port, "http_fixture_server.py")
    try:
        rc, agent, spans = run_traced(["curl", "-s", "-o", "/dev/null",
                                       "http://127.0.0.1:%d/%s" % (port, family)],
                                      args=["--hooks", family])
    finally:
        server.stop()
    assert rc == 0, agent.stderr
    url = "http://127.0.0.1:%d/%s" % (port, family)
    assert len(only(spans, CLIENT, attrs={"url.full": url}, status=200)) == 1, describe(spans)


def test_hooks_fentry():
    _check_family("fentry")


def test_hooks_socket_tracepoints():
    _check_family("socket")


def test_hooks_syscall_tracepoints():
    _check_family("tracepoint")


def test_hooks_raw_tp():
    _check_family("raw_tp")


def test_hooks_kprobe():
    _check_family("kprobe")


def test_unavailable_family_is_one_line_error():
    feats = _features()
    missing = [f for f, line in FEATURE_LINE.items() if not feats.get(line, "").startswith("yes")]
    if not missing:
        raise Skip("every hook family is available on this kernel")
    r = subprocess.run([AGENT, "-q", "--hooks", missing[0], "--", "true"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1, r
    assert len(r.stderr.strip().splitlines()) == 1 and "unavailable" in r.stderr, r.stderr
