"""Command line: bad flags, features, errors are one clear line."""
import subprocess

from lib import AGENT


def run(*args):
    return subprocess.run([AGENT] + list(args), capture_output=True, text=True, timeout=60)


def test_bad_flags_exit_2_with_usage_hint():
    for args in (["--pid", "abc"], ["--bogus"], ["--port", "70000"], ["--capture-bytes", "1"],
                 [], ["stray"], ["--hooks", "uprobe"]):
        r = run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.strip() and "zerotrace" in r.stderr, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and "--otlp-endpoint" in r.stdout and "--cgroup" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("zerotrace ")


def test_features_reports_kernel_and_choice():
    r = run("features")
    assert r.returncode == 0, r.stderr
    for key in ("syscall tracepoints", "socket tracepoints (tp_btf)", "kprobes", "fentry",
                "sockops", "sk_msg", "bpf_probe_write_user", "chosen socket hooks"):
        assert key in r.stdout, (key, r.stdout)
    # This machine kind (Linux 6.18, fentry refused): the socket layer's tracepoints.
    assert ("chosen socket hooks                   socket tracepoints (tp_btf) + syscall "
            "tracepoints") in r.stdout, r.stdout


def test_unwritable_output_file():
    r = run("-o", "/nonexistent-dir/x.jsonl", "--", "true")
    assert r.returncode == 1 and "/nonexistent-dir/x.jsonl" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_command_not_found():
    r = run("-q", "--", "/no/such/program")
    assert r.returncode == 127 and "cannot run" in r.stderr, r.stderr


def test_not_root_is_one_line_error():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", AGENT,
                        "-q", "--", "true"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "root" in lines[0], r.stderr
