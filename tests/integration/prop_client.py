"""HTTP/1.1 client that writes requests in the shapes that matter for header injection.
Usage: prop_client.py PORT MODE. Prints one line per request: 'ok <sha256> <traceparent>'
as the server saw them; exits 1 on any mismatch of the bytes the server received."""
import hashlib
import os
import socket
import sys
import threading

PORT = int(sys.argv[1])
MODE = sys.argv[2]


def read_response(f):
    status = f.readline()
    length = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    return status, f.read(length)


PRINT_LOCK = threading.Lock()


def check(body, reply):
    parts = reply.split()
    want = hashlib.sha256(body).hexdigest()
    with PRINT_LOCK:
        if parts[1] != str(len(body)).encode() or parts[2].decode() != want:
            print("MISMATCH sent %d %s got %r" % (len(body), want, reply), flush=True)
            sys.exit(1)
        print("ok %s %s" % (parts[2].decode(), parts[3].decode()), flush=True)


def head(path, extra=b"", length=None, chunked=False):
    h = b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (path, PORT) + extra
    if chunked:
        h += b"Transfer-Encoding: chunked\r\n"
    else:
        h += b"Content-Length: %d\r\n" % length
    return h + b"\r\n"


def conn():
    s = socket.create_connection(("127.0.0.1", PORT))
    return s, s.makefile("rb")


def sizes():
    s, f = conn()
    for n in (0, 1, 100, 4095, 4096, 65536, 1 << 20, 10 << 20):
        body = os.urandom(n)
        s.sendall(head(b"/upload", length=n) + body)
        check(body, read_response(f)[1])


def chunked():
    s, f = conn()
    body = os.urandom(200000)
    s.sendall(head(b"/upload", chunked=True))
    for i in range(0, len(body), 30000):
        part = body[i:i + 30000]
        s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    s.sendall(b"0\r\n\r\n")
    check(body, read_response(f)[1])


def keepalive():
    s, f = conn()
    for i in range(1000):
        body = b"request %d" % i
        s.sendall(head(b"/upload", length=len(body)) + body)
        check(body, read_response(f)[1])


def pipelined():
    s, f = conn()
    bodies = [os.urandom(100 + i) for i in range(3)]
    s.sendall(b"".join(head(b"/upload", length=len(b)) + b for b in bodies))
    for b in bodies:
        check(b, read_response(f)[1])


def split_head():
    s, f = conn()
    body = b"split"
    h = head(b"/upload", length=len(body))
    s.sendall(h[:10])
    s.sendall(h[10:] + body)
    check(body, read_response(f)[1])


def writev():
    s, f = conn()
    body = os.urandom(5000)
    s.sendmsg([head(b"/upload", length=len(body)), body])
    check(body, read_response(f)[1])


def big_head():
    s, f = conn()
    body = b"big head"
    s.sendall(head(b"/upload", extra=b"X-Pad: " + b"p" * 6000 + b"\r\n", length=len(body)) + body)
    check(body, read_response(f)[1])


def has_traceparent():
    s, f = conn()
    body = b"sdk"
    tp = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    s.sendall(head(b"/upload", extra=b"TraceParent: " + tp + b"\r\n", length=len(body)) + body)
    check(body, read_response(f)[1])
    # Node's http client puts its headers first, right after the request line.
    first = b"POST /upload HTTP/1.1\r\ntraceparent: " + tp + b"\r\nHost: x\r\n"
    s.sendall(first + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    check(body, read_response(f)[1])


def concurrent():
    errors = []

    def one(i):
        try:
            s, f = conn()
            for j in range(20):
                body = os.urandom(1000 + i * 10 + j)
                s.sendall(head(b"/upload", length=len(body)) + body)
                check(body, read_response(f)[1])
        except SystemExit:
            errors.append(i)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit(1)


def binary_get():
    """Not HTTP although it starts with 'GET ': must arrive byte for byte."""
    s = socket.create_connection(("127.0.0.1", PORT))
    payload = b"GET \x00\x01binary\r\nstill binary\r\n\r\n" + os.urandom(100)
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    if got != payload:
        print("MISMATCH binary %r" % got[:80])
        sys.exit(1)
    print("ok binary")


globals()[MODE]()
