"""Database clients for the integration tests, written the way applications use the drivers.

usage: db_client.py pg|mysql|redis PORT SCENARIO
  basic     a query, a syntax error, a transaction, a large result set (and more per driver)
  pipeline  Redis: 16 commands in one write, MULTI/EXEC, pub/sub
  late      connect, print "connected", wait for a line on stdin, then query (the agent
            starts in between, on the open connection)
"""
import sys
import threading
import time


def wait_for_agent():
    """The test starts the agent on this process now, with the connection open."""
    print("connected", flush=True)
    sys.stdin.readline()


def pg_connect(port):
    import psycopg2
    return psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="shop")


def pg_basic(port):
    import psycopg2
    conn = pg_connect(port)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT name FROM items WHERE id = %s", (42,))
    assert cur.fetchone()[0] == "item 42"
    try:
        cur.execute("SELEC 1")
    except psycopg2.errors.SyntaxError:
        pass
    conn.autocommit = False
    cur.execute("UPDATE items SET price = price + 1 WHERE id = %s", (7,))
    conn.commit()
    cur.execute("SELECT g FROM generate_series(1, 50000) g")
    assert len(cur.fetchall()) == 50000
    conn.commit()
    conn.close()


def pg_late(port):
    conn = pg_connect(port)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT 1")
    wait_for_agent()
    cur.execute("SELECT name FROM items WHERE id = 9")
    assert cur.fetchone()[0] == "item 9"
    conn.close()


def my_connect(port, db="shop"):
    import pymysql
    return pymysql.connect(host="127.0.0.1", port=port, user="root", database=db)


def mysql_basic(port):
    import pymysql
    conn = my_connect(port)
    cur = conn.cursor()
    cur.execute("SELECT name FROM items WHERE id = %s", (42,))
    assert cur.fetchone()[0] == "item 42"
    try:
        cur.execute("SELEC 1")
    except pymysql.err.ProgrammingError:
        pass
    conn.begin()
    cur.execute("UPDATE items SET price = price + 1 WHERE id = %s", (7,))
    conn.commit()
    cur.execute("SELECT seq FROM seq_1_to_50000")
    assert len(cur.fetchall()) == 50000
    conn.ping()
    conn.select_db("mysql")
    cur.execute("SELECT COUNT(*) FROM user")
    conn.close()


def mysql_late(port):
    conn = my_connect(port)
    cur = conn.cursor()
    cur.execute("SELECT 1")
    wait_for_agent()
    cur.execute("SELECT name FROM items WHERE id = 9")
    assert cur.fetchone()[0] == "item 9"
    conn.close()


def redis_conn(port):
    import redis
    return redis.Redis(host="127.0.0.1", port=port)


def redis_basic(port):
    import redis
    r = redis_conn(port)
    r.set("user:1", "alice")
    assert r.get("user:1") == b"alice"
    try:
        r.lpush("user:1", "x")
    except redis.exceptions.ResponseError:
        pass
    r.delete("big")
    for i in range(0, 5000, 500):
        r.rpush("big", *range(i, i + 500))
    assert len(r.lrange("big", 0, -1)) == 5000
    r.close()


def redis_pipeline(port):
    r = redis_conn(port)
    p = r.pipeline(transaction=False)
    for i in range(16):
        p.set("k%d" % i, i)
    p.execute()
    t = r.pipeline(transaction=True)
    t.incr("counter")
    t.get("k3")
    t.execute()
    sub = r.pubsub()
    sub.subscribe("news")
    got = []

    def listen():
        while len(got) < 5:
            m = sub.get_message(timeout=1)
            if m and m["type"] == "message":
                got.append(m["data"])

    th = threading.Thread(target=listen)
    th.start()
    time.sleep(0.2)
    pub = redis_conn(port)
    for i in range(5):
        pub.publish("news", "m%d" % i)
    th.join(10)
    assert len(got) == 5, got
    sub.close()
    pub.close()
    r.close()


def redis_paced(port):
    """One command, a pause long enough for the agent to see it, then a hundred."""
    r = redis_conn(port)
    r.ping()
    time.sleep(0.5)
    for _ in range(100):
        r.get("user:1")
    r.close()


def redis_late(port):
    r = redis_conn(port)
    r.ping()
    wait_for_agent()
    r.set("late", "yes")
    r.close()


def main():
    db, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    fn = {"pg": {"basic": pg_basic, "late": pg_late},
          "mysql": {"basic": mysql_basic, "late": mysql_late},
          "redis": {"basic": redis_basic, "pipeline": redis_pipeline, "late": redis_late,
                    "paced": redis_paced}}[db][scenario]
    fn(port)


if __name__ == "__main__":
    main()
