"""A client that waits for its response by polling ioctl(FIONREAD), as nginx, Java and .NET
do. Usage: fionread_client.py PORT COUNT. Exits 1 if a response does not show up in FIONREAD
within 5 s (the sockmap FIONREAD regression makes it read 0 forever)."""
import array
import fcntl
import socket
import sys
import termios
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
for i in range(count):
    s.sendall(b"GET /headers HTTP/1.1\r\nHost: x\r\n\r\n")
    deadline = time.time() + 5
    avail = array.array("i", [0])
    while True:
        fcntl.ioctl(s, termios.FIONREAD, avail, True)
        if avail[0] > 0:
            break
        if time.time() > deadline:
            print("stalled: FIONREAD stayed 0 on request %d" % i)
            sys.exit(1)
        time.sleep(0.001)
    data = s.recv(65536)
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(body) < n:
        body += s.recv(65536)
    print("ok %s" % body.decode())
