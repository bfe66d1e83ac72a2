"""A single-threaded event-loop HTTP/1.1 proxy that interleaves requests the way nginx does
when it must open upstream connections: it reads request A, starts a non-blocking connect
for it, reads request B and starts B's connect, and only then writes both upstream requests
(B's first). When A's upstream request is written, the last request the thread read is B.
One request per client connection (Connection: close upstream and downstream).

Usage: event_loop_proxy.py LISTEN_PORT UPSTREAM_PORT BATCH
BATCH requests are gathered before any is forwarded."""
import selectors
import socket
import sys

from lib import read_response


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def upstream_request(head):
    line = head.split(b"\r\n", 1)[0]
    return line + b"\r\nHost: upstream\r\nConnection: close\r\n\r\n"


def main():
    listen_port, upstream_port, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(16)
    sel = selectors.DefaultSelector()
    while True:
        pending = []    # (client socket, request head, upstream socket)
        while len(pending) < batch:
            cli, _ = srv.accept()
            head = read_head(cli)
            if not head:            # a readiness probe
                cli.close()
                continue
            up = socket.socket()
            up.setblocking(False)
            up.connect_ex(("127.0.0.1", upstream_port))     # EINPROGRESS: finished later
            pending.append((cli, head, up))
        for cli, head, up in reversed(pending):
            sel.register(up, selectors.EVENT_WRITE)
            sel.select(timeout=5)
            sel.unregister(up)
            up.setblocking(True)
            up.sendall(upstream_request(head))
        for cli, head, up in pending:
            head, body = read_response(up)
            cli.sendall(head + b"\r\n\r\n" + body)
            up.close()
            cli.close()


if __name__ == "__main__":
    main()
