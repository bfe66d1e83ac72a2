"""HTTP/1.1 service that answers GET /item/N by calling Shop.GetItem over gRPC (grpcio).

usage: http_front.py PORT GEN_DIR SHOP_TARGET
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc

sys.path.insert(0, sys.argv[2])
import shop_pb2  # noqa: E402
import shop_pb2_grpc  # noqa: E402

STUB = shop_pb2_grpc.ShopStub(grpc.insecure_channel(sys.argv[3]))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body go out in two writes: Nagle would hold the body for the delayed ACK.
    disable_nagle_algorithm = True

    def do_GET(self):
        n = int(self.path.rsplit("/", 1)[-1])
        body = (STUB.GetItem(shop_pb2.ItemRequest(id=n), timeout=10).name + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass



if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
