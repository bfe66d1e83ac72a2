"""gRPC Shop server (python grpcio), unmodified by zerotrace.

usage: server.py PORT GEN_DIR [DOWNSTREAM]
DOWNSTREAM: host:port of another Shop (GetItem asks it the same item first) or an http://
URL (GetItem fetches it first): services built from this form chains.
"""
import hashlib
import sys
import time
import urllib.request
from concurrent import futures

import grpc

sys.path.insert(0, sys.argv[2])
import shop_pb2  # noqa: E402
import shop_pb2_grpc  # noqa: E402

DOWNSTREAM = sys.argv[3] if len(sys.argv) > 3 else ""


class Shop(shop_pb2_grpc.ShopServicer):
    def __init__(self):
        self.stub = None
        if DOWNSTREAM and not DOWNSTREAM.startswith("http"):
            self.stub = shop_pb2_grpc.ShopStub(grpc.insecure_channel(DOWNSTREAM))

    def GetItem(self, request, context):
        if request.id == 404:
            context.abort(grpc.StatusCode.NOT_FOUND, "no item 404")
        if request.id == 503:
            context.abort(grpc.StatusCode.UNAVAILABLE, "shop closed")
        if request.id == 999:
            time.sleep(2)
        name = "item %d" % request.id
        if self.stub:
            name = self.stub.GetItem(request, timeout=10).name + " via grpc"
        elif DOWNSTREAM:
            with urllib.request.urlopen(DOWNSTREAM, timeout=10) as r:
                name += " " + r.read().decode().strip()
        return shop_pb2.Item(id=request.id, name=name)

    def ListItems(self, request, context):
        for i in range(request.count):
            yield shop_pb2.Item(id=i, name="item %d" % i, payload=b"x" * request.size)

    def Upload(self, request_iterator, context):
        h, n = hashlib.sha256(), 0
        for chunk in request_iterator:
            h.update(chunk.data)
            n += len(chunk.data)
        return shop_pb2.UploadReply(sha256=h.hexdigest(), bytes=n)

    def Chat(self, request_iterator, context):
        for chunk in request_iterator:
            yield shop_pb2.Chunk(data=chunk.data[::-1])


def main():
    opts = [("grpc.max_receive_message_length", 16 << 20), ("grpc.max_send_message_length", 16 << 20)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=opts)
    shop_pb2_grpc.add_ShopServicer_to_server(Shop(), server)
    server.add_insecure_port("127.0.0.1:%s" % sys.argv[1])
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
