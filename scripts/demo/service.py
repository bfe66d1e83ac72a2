"""Demo HTTP service, unmodified by zerotrace: `service.py PORT [DOWNSTREAM_URL...]`.
GET /<anything> calls every downstream URL in turn (plain urllib, no tracing code) and
answers with what they said. Threaded: one thread per request."""
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOWNSTREAM = sys.argv[2:]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        parts = []
        status = 200
        for url in DOWNSTREAM:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    parts.append(r.read().decode().strip())
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
