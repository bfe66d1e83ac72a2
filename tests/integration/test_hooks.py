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


# The verifier's limit is 1M instructions a program. A program past a third of it has too
# little room: the next kernel's verifier may explore more states (this one refused an sk_msg
# program that an earlier 6.18 build took).
VERIFIER_BUDGET = 1000000 // 3


def test_programs_leave_the_verifier_room():
    import re
    families = [f for f in ("socket", "tracepoint", "raw_tp")
                if _features().get(FEATURE_LINE[f], "").startswith("yes")]
    assert families, _features()
    for family in families:
        r = subprocess.run([AGENT, "-v", "-v", "-q", "--hooks", family, "--", "true"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (family, r.stderr[-3000:])
        work = {m.group(1): int(m.group(2)) for m in
                re.finditer(r"bpf: (\w+) verified in (\d+) instructions", r.stderr)}
        for prog in ("zt_sk_msg", "zt_sockops"):
            assert prog in work, (family, prog, sorted(work))
        assert len(work) > 5, (family, work)
        over = {p: n for p, n in work.items() if n > VERIFIER_BUDGET}
        assert not over, (family, over)
