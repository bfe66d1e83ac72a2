"""Real database servers on loopback for the integration tests: PostgreSQL, MariaDB, Redis.

Each server is started once per test run (start-up costs seconds) on a free port in a
temporary directory, outside the per-test process reaping, and stopped when the runner
exits (atexit), even after failures. A server that cannot start raises Skip with its log.
"""
import atexit
import os
import shutil
import signal
import subprocess
import time

from lib import Skip, free_port, tmpdir

PG_BIN = "/usr/lib/postgresql/15/bin"
_servers = {}


class _Server:
    def __init__(self, name, args, port, workdir, log, user=None):
        self.name, self.port, self.dir, self.log = name, port, workdir, log
        if user:
            args = ["runuser", "-u", user, "--"] + args
        with open(log, "ab") as out:
            self.p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        self.pid = self.p.pid

    def wait_ready(self, probe, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.p.poll() is not None:
                break
            if subprocess.run(probe, capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        log = open(self.log, errors="replace").read()[-2000:]
        self.stop()
        raise Skip("%s did not start: %s" % (self.name, log))

    def server_pids(self):
        """The server's processes (postgres forks a backend per connection)."""
        out = subprocess.run(["pgrep", "-s", str(self.pid)], capture_output=True, text=True)
        return [int(x) for x in out.stdout.split()]

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.p.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _stop_all():
    for s in _servers.values():
        s.stop()


atexit.register(_stop_all)


def _need(*paths):
    for p in paths:
        if not shutil.which(p) and not os.path.exists(p):
            raise Skip("%s is not installed (scripts/install-deps.sh installs it)" % p)


def postgres():
    """PostgreSQL 15 with a database `shop` and a table `items` (trust auth, user postgres)."""
    if "pg" in _servers:
        return _servers["pg"]
    _need(PG_BIN + "/initdb", "psql")
    d = tmpdir()
    os.chmod(d, 0o755)
    shutil.chown(d, "postgres")
    data, log = os.path.join(d, "data"), os.path.join(d, "log")
    r = subprocess.run(["runuser", "-u", "postgres", "--", PG_BIN + "/initdb", "-D", data,
                        "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
                       capture_output=True, text=True)
    if r.returncode:
        raise Skip("initdb failed: " + r.stderr[-500:])
    port = free_port()
    s = _Server("postgres", [PG_BIN + "/postgres", "-D", data, "-p", str(port), "-k", d,
                             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                port, d, log, user="postgres")
    _servers["pg"] = s
    s.wait_ready(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "select 1"])
    psql(s, "CREATE DATABASE shop", db="postgres")
    psql(s, "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric);"
            "INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 100) g")
    return s


def psql(s, sql, db="shop"):
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(s.port), "-U", "postgres", "-d", db,
                        "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def mariadb():
    """MariaDB with a database `shop` and a table `items` (root, no password)."""
    if "my" in _servers:
        return _servers["my"]
    _need("mariadbd", "mariadb-install-db", "mariadb")
    d = tmpdir()
    data, log = os.path.join(d, "data"), os.path.join(d, "log")
    r = subprocess.run(["mariadb-install-db", "--user=root", "--datadir=" + data,
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       capture_output=True, text=True)
    if r.returncode:
        raise Skip("mariadb-install-db failed: " + r.stderr[-500:])
    port = free_port()
    s = _Server("mariadb", ["mariadbd", "--user=root", "--datadir=" + data,
                            "--socket=" + os.path.join(d, "sock"), "--port=%d" % port,
                            "--bind-address=127.0.0.1", "--pid-file=" + os.path.join(d, "pid"),
                            "--skip-log-bin", "--innodb-buffer-pool-size=16M",
                            "--log-error=" + log], port, d, log)
    _servers["my"] = s
    s.wait_ready(["mariadb", "-h", "127.0.0.1", "-P", str(port), "-u", "root", "-e", "select 1"])
    mysql(s, "CREATE DATABASE shop", db=None)
    mysql(s, "CREATE TABLE items (id int PRIMARY KEY, name varchar(64), price decimal(10,2));"
             "INSERT INTO items SELECT seq, CONCAT('item ', seq), seq * 1.5 FROM seq_1_to_100")
    return s


def mysql(s, sql, db="shop"):
    cmd = ["mariadb", "-h", "127.0.0.1", "-P", str(s.port), "-u", "root", "-N", "-e", sql]
    if db:
        cmd += [db]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def redis():
    """Redis without persistence."""
    if "redis" in _servers:
        return _servers["redis"]
    _need("redis-server", "redis-cli")
    d = tmpdir()
    port = free_port()
    s = _Server("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", d],
                port, d, os.path.join(d, "log"))
    _servers["redis"] = s
    s.wait_ready(["redis-cli", "-p", str(port), "ping"])
    return s
