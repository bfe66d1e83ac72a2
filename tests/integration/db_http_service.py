"""An HTTP service that queries PostgreSQL, MariaDB and Redis for each request (one thread per
request, connections opened per request as simple services do).

usage: db_http_service.py HTTP_PORT PG_PORT MYSQL_PORT REDIS_PORT
GET /order/N → looks item N up in PostgreSQL and MariaDB, counts it in Redis; 200 JSON.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pymysql
import redis

PORTS = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body go out in two writes: Nagle would hold the body for the delayed ACK.
    disable_nagle_algorithm = True

    def do_GET(self):
        n = int(self.path.rsplit("/", 1)[-1])
        pg = psycopg2.connect(host="127.0.0.1", port=PORTS["pg"], user="postgres", dbname="shop")
        with pg, pg.cursor() as cur:
            cur.execute("SELECT name FROM items WHERE id = %s", (n,))
            name = cur.fetchone()[0]
        pg.close()
        my = pymysql.connect(host="127.0.0.1", port=PORTS["mysql"], user="root", database="shop")
        with my.cursor() as cur:
            cur.execute("SELECT price FROM items WHERE id = %s", (n,))
            price = str(cur.fetchone()[0])
        my.close()
        r = redis.Redis(host="127.0.0.1", port=PORTS["redis"])
        count = r.incr("orders:%d" % n)
        r.close()
        body = json.dumps({"name": name, "price": price, "count": count}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass



def main():
    port = int(sys.argv[1])
    PORTS.update(pg=int(sys.argv[2]), mysql=int(sys.argv[3]), redis=int(sys.argv[4]))
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
