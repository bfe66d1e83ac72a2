"""HTTP/1.1 server that switches to HTTP/2 on "Upgrade: h2c" (RFC 7540 3.2), on python3-h2
(hyper-h2, from Debian). The upgraded request is answered as stream 1, later requests on the
connection as ordinary HTTP/2 streams; every response is "<path> over h2c\\n". Responses after
the first carry a 1 KiB header (x-padding), so their header blocks are longer than a small
--capture-bytes: only a connection captured as HTTP/2 (whole) gives their status.
usage: h2c_server.py PORT"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events

SWITCH = (b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")


def read_head(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return (lines[0].split(" ")[1], headers), rest


def respond(conn, stream_id, path):
    body = ("%s over h2c\n" % path).encode()
    headers = [(":status", "200"), ("content-length", str(len(body))),
               ("content-type", "text/plain")]
    if stream_id != 1:
        headers.append(("x-padding", "p" * 1024))
    conn.send_headers(stream_id, headers)
    conn.send_data(stream_id, body, end_stream=True)


def serve(sock):
    with sock:
        req, rest = read_head(sock)
        if not req:
            return
        path, headers = req
        if "h2c" not in headers.get("upgrade", "") or "http2-settings" not in headers:
            sock.sendall(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
            return
        sock.sendall(SWITCH)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_upgrade_connection(headers["http2-settings"].encode())
        respond(conn, 1, path)
        sock.sendall(conn.data_to_send())
        data = rest
        while True:
            for ev in conn.receive_data(data) if data else []:
                if isinstance(ev, h2.events.RequestReceived):
                    hdrs = dict((k.decode() if isinstance(k, bytes) else k,
                                 v.decode() if isinstance(v, bytes) else v) for k, v in ev.headers)
                    respond(conn, ev.stream_id, hdrs.get(":path", "/"))
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    sock.sendall(conn.data_to_send())
                    return
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
            data = sock.recv(65536)
            if not data:
                return


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(64)
    while True:
        client, _ = srv.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
