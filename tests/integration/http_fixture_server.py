"""HTTP/1.1 test server: /chunked (chunked response), /big?n=BYTES, POST /upload (reads the
body, Content-Length or chunked, answers its sha256 and the traceparent it received),
/headers (answers the traceparent it received), /status/N. Threaded, keep-alive.
Usage: http_fixture_server.py PORT"""
import hashlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body go out in two writes: without TCP_NODELAY every keep-alive request
    # would wait for the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def _send(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(5):
                part = ("chunk-%d;" % i).encode() * (i + 1)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        if u.path == "/big":
            n = int(parse_qs(u.query).get("n", ["1000"])[0])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = b"x" * 65536
            while n > 0:
                k = min(n, len(block))
                self.wfile.write(block[:k])
                n -= k
            return
        if u.path == "/headers":
            self._send(200, (self.headers.get("traceparent") or "-").encode())
            return
        if u.path.startswith("/status/"):
            self._send(int(u.path.split("/")[2]), b"status\n")
            return
        self._send(200, b"ok\n")

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def do_POST(self):
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        tp = self.headers.get("traceparent") or "-"
        self._send(201, b"got %d %s %s\n" % (len(body), hashlib.sha256(body).hexdigest().encode(),
                                             tp.encode()))


if __name__ == "__main__":
    # An address may follow the port (a test's own network namespace listens on all).
    addr = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    ThreadingHTTPServer((addr, int(sys.argv[1])), Handler).serve_forever()
