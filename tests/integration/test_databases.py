"""Database client spans of unmodified programs: PostgreSQL (psycopg2, pgbench), MariaDB
(PyMySQL, libmariadb prepared statements), Redis (redis-py, redis-benchmark), and an HTTP
service whose database spans must be children of the right HTTP server span."""
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import db_servers
from lib import (CLIENT, HERE, SERVER, Agent, Proc, Skip, curl, describe, free_port, only,
                 run_traced, tmpdir, wait_port)

CLIENT_PY = os.path.join(HERE, "db_client.py")
ERROR = 2


def db_spans(spans, system):
    return [s for s in spans if s["kind"] == CLIENT and s["attrs"].get("db.system.name") == system]


def show(spans):
    return "\n".join("%s %s text=%r op=%s coll=%s rows=%s code=%s status=%s parent=%s" % (
        s["service"], s["name"], s["attrs"].get("db.query.text"),
        s["attrs"].get("db.operation.name"), s["attrs"].get("db.collection.name"),
        s["attrs"].get("db.response.returned_rows"), s["attrs"].get("db.response.status_code"),
        s["status"], s["parent"]) for s in spans) or "(no spans)"


def by_text(spans, text):
    return [s for s in spans if s["attrs"].get("db.query.text") == text]


def run_client(db, port, scenario, extra=()):
    rc, agent, spans = run_traced([sys.executable, CLIENT_PY, db, str(port), scenario], args=extra)
    assert rc == 0, agent.stderr
    return agent, spans


def run_late(db, port):
    """db_client.py's "late" scenario: it connects and queries, then the agent attaches to it
    (--pid) and it queries again on the same connection. Returns the spans of that system."""
    client = Proc([sys.executable, CLIENT_PY, db, str(port), "late"], stdin=subprocess.PIPE,
                  stdout=subprocess.PIPE)
    try:
        assert client.p.stdout.readline().strip() == b"connected"
        agent = Agent(["--pid", str(client.pid)])
        agent.wait_ready()
        client.p.stdin.write(b"go\n")
        client.p.stdin.flush()
        assert client.p.wait(30) == 0
        agent.stop()
    finally:
        client.stop()
    system = {"pg": "postgresql", "mysql": "mysql", "redis": "redis"}[db]
    return db_spans(agent.spans(), system)


# ---- PostgreSQL ----

def test_postgres_queries_errors_transactions_large_results():
    pg = db_servers.postgres()
    agent, spans = run_client("pg", pg.port, "basic")
    got = db_spans(spans, "postgresql")
    sel = by_text(got, "SELECT name FROM items WHERE id = ?")
    assert len(sel) == 1, show(got)
    s = sel[0]
    assert s["name"] == "SELECT items" and s["attrs"]["db.operation.name"] == "SELECT"
    assert s["attrs"]["db.collection.name"] == "items" and s["attrs"]["db.namespace"] == "shop"
    assert s["attrs"]["db.response.returned_rows"] == 1 and s["status"] != ERROR
    assert s["attrs"]["server.port"] == pg.port and s["attrs"]["server.address"] == "127.0.0.1"
    assert s["service"].startswith("python3"), s["service"]
    err = by_text(got, "SELEC ?")
    assert len(err) == 1 and err[0]["status"] == ERROR, show(got)
    assert err[0]["attrs"]["db.response.status_code"] == "42601"
    assert err[0]["attrs"]["error.type"] == "42601"
    # psycopg2 opens the transaction itself with BEGIN before the UPDATE.
    ops = [x["attrs"].get("db.operation.name") for x in sorted(got, key=lambda x: x["start"])]
    i = ops.index("UPDATE")
    assert ops[i - 1] == "BEGIN" and ops[i + 1] == "COMMIT", ops
    upd = by_text(got, "UPDATE items SET price = price + ? WHERE id = ?")
    assert len(upd) == 1 and upd[0]["attrs"]["db.response.returned_rows"] == 1, show(got)
    big = [x for x in got if "generate_series" in x["attrs"].get("db.query.text", "")]
    assert len(big) == 1 and big[0]["attrs"]["db.response.returned_rows"] == 50000, show(got)
    assert "42" not in s["attrs"]["db.query.text"]


def test_postgres_literals_kept_when_asked():
    pg = db_servers.postgres()
    _, spans = run_client("pg", pg.port, "basic", extra=["--no-sanitize-queries"])
    got = db_spans(spans, "postgresql")
    assert by_text(got, "SELECT name FROM items WHERE id = 42"), show(got)


def test_postgres_extended_protocol_prepared_and_pipelined():
    pg = db_servers.postgres()
    d = tmpdir()
    script = os.path.join(d, "q.sql")
    with open(script, "w") as f:
        f.write("\\set id random(1, 100)\n"
                "SELECT name, price FROM items WHERE id = :id;\n"
                "\\startpipeline\n"
                "SELECT count(*) FROM items WHERE price > :id;\n"
                "UPDATE items SET price = price WHERE id = :id;\n"
                "\\endpipeline\n")
    cmd = ["pgbench", "-n", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
           "-M", "prepared", "-t", "20", "-f", script, "shop"]
    rc, agent, spans = run_traced(cmd)
    assert rc == 0, agent.stderr
    got = db_spans(spans, "postgresql")
    sel = by_text(got, "SELECT name, price FROM items WHERE id = $1")
    cnt = by_text(got, "SELECT count(*) FROM items WHERE price > $1")
    upd = by_text(got, "UPDATE items SET price = price WHERE id = $1")
    assert len(sel) == 20 and len(cnt) == 20 and len(upd) == 20, show(got)
    assert all(x["attrs"]["db.response.returned_rows"] == 1 for x in sel + cnt + upd), show(got)
    assert all(x["status"] != ERROR for x in sel + cnt + upd)


def test_postgres_connection_opened_before_agent():
    got = run_late("pg", db_servers.postgres().port)
    late = by_text(got, "SELECT name FROM items WHERE id = ?")
    assert len(late) == 1 and late[0]["attrs"]["db.response.returned_rows"] == 1, show(got)


# ---- MariaDB ----

def test_mysql_queries_errors_transactions_large_results():
    my = db_servers.mariadb()
    agent, spans = run_client("mysql", my.port, "basic")
    got = db_spans(spans, "mysql")
    sel = by_text(got, "SELECT name FROM items WHERE id = ?")
    assert len(sel) == 1, show(got)
    s = sel[0]
    assert s["name"] == "SELECT items" and s["attrs"]["db.namespace"] == "shop", show(got)
    assert s["attrs"]["db.response.returned_rows"] == 1 and s["status"] != ERROR
    err = by_text(got, "SELEC ?")
    assert len(err) == 1 and err[0]["status"] == ERROR, show(got)
    assert err[0]["attrs"]["db.response.status_code"] == "1064"
    upd = by_text(got, "UPDATE items SET price = price + ? WHERE id = ?")
    assert len(upd) == 1 and upd[0]["attrs"]["db.response.returned_rows"] == 1, show(got)
    # MySQL ends a result set without a row count, and most rows fall in bytes that were not
    # captured: the span must end with the result (the kernel sends the chunk's tail), and
    # a row count, if any, must be right.
    big = by_text(got, "SELECT seq FROM seq_1_to_50000")
    assert len(big) == 1 and big[0]["status"] != ERROR, show(got)
    assert big[0]["attrs"].get("db.response.returned_rows", 50000) == 50000, show(big)
    ping = [x for x in got if x["attrs"].get("db.operation.name") == "PING"]
    assert big[0]["end"] <= ping[0]["start"], show(got)
    assert [x for x in got if x["attrs"].get("db.operation.name") == "PING"], show(got)
    # COM_INIT_DB (select_db) switches the namespace of later queries.
    users = [x for x in got if "FROM user" in x["attrs"].get("db.query.text", "")]
    assert len(users) == 1 and users[0]["attrs"]["db.namespace"] == "mysql", show(got)


def test_mysql_server_side_prepared_statements():
    my = db_servers.mariadb()
    d = tmpdir()
    exe = os.path.join(d, "mysql_stmt_client")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmariadb"],
                           capture_output=True, text=True)
    if flags.returncode:
        raise Skip("libmariadb-dev is not installed (scripts/install-deps.sh installs it)")
    subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(HERE, "mysql_stmt_client.c")] +
                   flags.stdout.split(), check=True)
    rc, agent, spans = run_traced([exe, str(my.port)])
    assert rc == 0, agent.stderr
    got = db_spans(spans, "mysql")
    sel = by_text(got, "SELECT name FROM items WHERE id = ?")
    assert len(sel) == 3, show(got)
    assert all(x["attrs"]["db.response.returned_rows"] == 1 for x in sel), show(got)
    dup = [x for x in got if x["attrs"].get("db.operation.name") == "INSERT"]
    assert len(dup) == 1 and dup[0]["status"] == ERROR, show(got)
    assert dup[0]["attrs"]["db.response.status_code"] == "1062", show(got)


def test_mysql_connection_opened_before_agent():
    got = run_late("mysql", db_servers.mariadb().port)
    assert len(by_text(got, "SELECT name FROM items WHERE id = ?")) == 1, show(got)


# ---- Redis ----

def test_redis_commands_errors_and_large_replies():
    rd = db_servers.redis()
    agent, spans = run_client("redis", rd.port, "basic")
    got = db_spans(spans, "redis")
    sets = [x for x in got if x["attrs"].get("db.operation.name") == "SET"]
    assert len(sets) == 1 and sets[0]["attrs"]["db.query.text"] == "SET user:1 ?", show(got)
    assert sets[0]["name"] == "SET" and sets[0]["attrs"]["server.port"] == rd.port
    err = [x for x in got if x["attrs"].get("db.operation.name") == "LPUSH"]
    assert len(err) == 1 and err[0]["status"] == ERROR, show(got)
    assert err[0]["attrs"]["db.response.status_code"] == "WRONGTYPE", show(got)
    rng = [x for x in got if x["attrs"].get("db.operation.name") == "LRANGE"]
    assert len(rng) == 1 and rng[0]["attrs"]["db.response.returned_rows"] == 5000, show(got)


def test_database_client_sockets_leave_the_header_path():
    """sk_msg looks for HTTP on every write of a traced client socket: once the agent sees a
    connection is a database's, it takes the socket off the header path."""
    rd = db_servers.redis()
    agent, spans = run_client("redis", rd.port, "paced")
    gets = [x for x in db_spans(spans, "redis") if x["attrs"].get("db.operation.name") == "GET"]
    assert len(gets) == 100, show(db_spans(spans, "redis"))
    seen_by_sk_msg = int(re.search(r"not a request (\d+)", agent.stderr).group(1))
    assert seen_by_sk_msg <= 5, agent.stderr


def test_redis_pipeline_transaction_pubsub():
    rd = db_servers.redis()
    agent, spans = run_client("redis", rd.port, "pipeline")
    got = db_spans(spans, "redis")
    sets = [x for x in got if x["attrs"].get("db.operation.name") == "SET"]
    assert len(sets) == 16, show(got)
    ops = [x["attrs"]["db.operation.name"] for x in sorted(got, key=lambda x: x["start"])]
    i = ops.index("MULTI")
    # redis-py's incr() sends INCRBY key 1.
    assert ops[i:i + 4] == ["MULTI", "INCRBY", "GET", "EXEC"], ops
    # Pub/sub: one span for SUBSCRIBE and one per PUBLISH, none for delivered messages.
    assert ops.count("SUBSCRIBE") == 1 and ops.count("PUBLISH") == 5, ops
    assert len(got) == len(ops) and all(x["status"] != ERROR for x in got), show(got)


def test_redis_benchmark_pipelined_pairs_every_reply():
    rd = db_servers.redis()
    rc, agent, spans = run_traced(["redis-benchmark", "-h", "127.0.0.1", "-p", str(rd.port),
                                   "-n", "2000", "-c", "4", "-P", "16", "-t", "set,get", "-q"])
    assert rc == 0, agent.stderr
    got = db_spans(spans, "redis")
    sets = [x for x in got if x["attrs"].get("db.operation.name") == "SET"]
    gets = [x for x in got if x["attrs"].get("db.operation.name") == "GET"]
    # redis-benchmark may send a few requests past -n in the last pipelined batch.
    assert 2000 <= len(sets) <= 2064 and 2000 <= len(gets) <= 2064, (len(sets), len(gets))
    assert all(x["status"] != ERROR for x in sets + gets)


def test_redis_connection_opened_before_agent():
    got = run_late("redis", db_servers.redis().port)
    assert [x for x in got if x["attrs"].get("db.query.text") == "SET late ?"], show(got)


# ---- database spans inside an HTTP service; database servers traced too ----

def test_http_service_database_spans_are_children_of_their_request():
    pg, my, rd = db_servers.postgres(), db_servers.mariadb(), db_servers.redis()
    port = free_port()
    svc = Proc([sys.executable, os.path.join(HERE, "db_http_service.py"), str(port), str(pg.port),
                str(my.port), str(rd.port)])
    # The database servers are traced as well: they must not add spans of their own.
    servers = [str(p) for p in pg.server_pids() + my.server_pids() + rd.server_pids()]
    args = ["--pid", str(svc.pid)]
    for p in servers:
        args += ["--pid", p]
    agent = Agent(args)
    try:
        agent.wait_ready()
        wait_port(port)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda n: curl("http://127.0.0.1:%d/order/%d" % (port, n)),
                                    range(1, 25)))
        assert all(r.returncode == 0 and b'"name"' in r.stdout for r in results), results[0]
        time.sleep(0.5)
    finally:
        agent.stop()
        svc.stop()
    spans = agent.spans()
    http = [s for s in only(spans, SERVER) if s["attrs"].get("url.path", "").startswith("/order/")]
    assert len(http) == 24, describe(spans)
    dbs = [s for s in spans if s["attrs"].get("db.system.name")]
    for h in http:
        n = h["attrs"]["url.path"].rsplit("/", 1)[1]
        kids = [s for s in dbs if s["parent"] == h["span_id"]]
        systems = sorted(s["attrs"]["db.system.name"] for s in kids)
        # psycopg2 adds BEGIN/COMMIT around the query (with pg: ... block).
        assert {"postgresql", "mysql", "redis"} <= set(systems), (n, show(kids))
        assert all(k["trace_id"] == h["trace_id"] for k in kids)
        assert all(h["start"] <= k["start"] and k["end"] <= h["end"] for k in kids), show(kids)
        redis_kid = [k for k in kids if k["attrs"]["db.system.name"] == "redis"]
        assert redis_kid[0]["attrs"]["db.query.text"] == "INCRBY orders:%s ?" % n, show(kids)
    # No span comes from a database server process.
    svc_names = {s["service"] for s in spans}
    assert not any(x.startswith(("postgres", "mariadbd", "redis-server")) for x in svc_names), \
        svc_names
    assert "server-side connections skipped" in agent.stderr
