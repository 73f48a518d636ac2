#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""close_wait.py ADDR PORT: hold server sockets in CLOSE_WAIT on demand.

Listens on ADDR:PORT, then reads commands from stdin, one a line, and
answers each on stdout with "ok N", N being the sockets it holds:

  open K   K connections: connect, accept, the client closes, the server
           reads EOF and keeps its socket, which is then in CLOSE_WAIT
           (the client's is an orphaned FIN_WAIT2)
  close K  close the K oldest held server sockets (CLOSE_WAIT -> LAST_ACK)

When the answer comes, every socket is where it was put: the server has
read EOF, so its socket has left ESTABLISHED. Exits at end of input,
closing everything."""
import socket
import sys

addr, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
listener = socket.socket(family, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((addr, port))
listener.listen(1024)
held = []

print("ok 0", flush=True)
for line in sys.stdin:
    verb, k = line.split()
    for _ in range(int(k)):
        if verb == "open":
            client = socket.create_connection((addr, port))
            server, _ = listener.accept()
            client.close()
            if server.recv(1) != b"":
                sys.exit("close_wait.py: expected EOF")
            held.append(server)
        elif verb == "close":
            held.pop(0).close()
        else:
            sys.exit("close_wait.py: unknown command " + verb)
    print("ok", len(held), flush=True)
