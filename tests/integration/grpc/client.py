"""gRPC Shop client (python grpcio), unmodified by zerotrace.

usage: client.py TARGET GEN_DIR SCENARIO
  unary      GetItem 7, then NOT_FOUND (404), UNAVAILABLE (503), DEADLINE_EXCEEDED (999)
  streaming  ListItems (server streaming, 20 messages), Upload (client streaming, 5 small
             messages, then 3 of 1 MiB; the server's sha256 must match), Chat (bidi, 10)
  concurrent 500 GetItem calls in flight at once on one channel (one connection)
  chain      one GetItem (the server may call further services)
  late       GetItem, print "connected", wait for a line on stdin, GetItem again
Prints one line per call: method, status code name, and what it checked.
"""
import hashlib
import os
import sys
from concurrent import futures

import grpc

sys.path.insert(0, sys.argv[2])
import shop_pb2  # noqa: E402
import shop_pb2_grpc  # noqa: E402


def call(fn, *args, **kw):
    try:
        fn(*args, **kw)
        return "OK"
    except grpc.RpcError as e:
        return e.code().name


def unary(stub):
    item = stub.GetItem(shop_pb2.ItemRequest(id=7), timeout=10)
    assert item.name.startswith("item 7"), item
    print("GetItem OK")
    for i, want in ((404, "NOT_FOUND"), (503, "UNAVAILABLE"), (999, "DEADLINE_EXCEEDED")):
        got = call(stub.GetItem, shop_pb2.ItemRequest(id=i), timeout=0.5)
        assert got == want, (i, got)
        print("GetItem", got)


def streaming(stub):
    items = list(stub.ListItems(shop_pb2.ListRequest(count=20, size=1000), timeout=10))
    assert len(items) == 20
    print("ListItems OK 20")
    for size, count in ((1000, 5), (1 << 20, 3)):
        chunks = [os.urandom(size) for _ in range(count)]
        reply = stub.Upload(iter(shop_pb2.Chunk(data=c) for c in chunks), timeout=30)
        want = hashlib.sha256(b"".join(chunks)).hexdigest()
        assert reply.sha256 == want and reply.bytes == size * count, reply
        print("Upload OK", count, size, want)
    msgs = [("m%d" % i).encode() * 100 for i in range(10)]
    got = [c.data for c in stub.Chat(iter(shop_pb2.Chunk(data=m) for m in msgs), timeout=10)]
    assert got == [m[::-1] for m in msgs]
    print("Chat OK 10")


def concurrent(stub):
    ids = range(1000, 1500)  # clear of the ids that fail on purpose
    fs = [stub.GetItem.future(shop_pb2.ItemRequest(id=i), timeout=30) for i in ids]
    names = [f.result().name for f in fs]
    assert names == ["item %d" % i for i in ids], names[:3]
    print("GetItem OK x500")


def chain(stub):
    print("GetItem OK", stub.GetItem(shop_pb2.ItemRequest(id=5), timeout=10).name)


def late(stub):
    stub.GetItem(shop_pb2.ItemRequest(id=1), timeout=10)
    print("connected", flush=True)
    sys.stdin.readline()
    print("GetItem OK", stub.GetItem(shop_pb2.ItemRequest(id=2), timeout=10).name)


def main():
    opts = [("grpc.max_receive_message_length", 16 << 20), ("grpc.max_send_message_length", 16 << 20)]
    with grpc.insecure_channel(sys.argv[1], options=opts) as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        stub = shop_pb2_grpc.ShopStub(ch)
        {"unary": unary, "streaming": streaming, "concurrent": concurrent, "chain": chain,
         "late": late}[sys.argv[3]](stub)


if __name__ == "__main__":
    main()
