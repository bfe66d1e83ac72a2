"""Demo HTTP service, unmodified by zerotrace: `service.py PORT [DOWNSTREAM...]`.
GET /<anything>/<id> calls every downstream in turn (GET /ready only answers 204) and answers
with what they said. A downstream is an HTTP URL (plain urllib; <id> appended when it ends
with /), postgresql://HOST:PORT/DB (psycopg2: looks the product <id> up), redis://HOST:PORT
(redis-py: counts a view of <id>) or grpc://HOST:PORT (grpcio: Shop.GetItem <id>; the
generated stubs' directory in $SHOP_STUBS). No tracing code. Threaded: one thread per request."""
import os
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOWNSTREAM = sys.argv[2:]


def call(url, item):
    u = urllib.parse.urlsplit(url)
    if u.scheme == "postgresql":
        import psycopg2
        conn = psycopg2.connect(host=u.hostname, port=u.port, user="postgres",
                                dbname=u.path.lstrip("/"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT name, stock FROM products WHERE sku = %s", (item,))
            row = cur.fetchone()
        conn.close()
        return "%s: %s in stock" % row if row else "no product %s" % item
    if u.scheme == "grpc":
        return grpc_item(u.netloc, int(item))
    if u.scheme == "redis":
        import redis
        r = redis.Redis(host=u.hostname, port=u.port)
        views = r.incr("views:%s" % item)
        r.close()
        return "%d views" % views
    if url.endswith("/"):
        url += item
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode().strip()


STUBS = {}


def grpc_item(target, item):
    import grpc
    if target not in STUBS:
        sys.path.insert(0, os.environ["SHOP_STUBS"])
        import shop_pb2_grpc
        STUBS[target] = shop_pb2_grpc.ShopStub(grpc.insecure_channel(target))
    import shop_pb2
    return STUBS[target].GetItem(shop_pb2.ItemRequest(id=item), timeout=5).name


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/ready":
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        parts = []
        status = 200
        item = self.path.rstrip("/").rsplit("/", 1)[-1]
        for url in DOWNSTREAM:
            try:
                parts.append(call(url, item))
            except Exception as e:
                parts.append("error: %s" % e)
                status = 502
        body = ("%s -> [%s]\n" % (self.path, ", ".join(parts))).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
