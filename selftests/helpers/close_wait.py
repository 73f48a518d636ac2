#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""close_wait.py ADDR PORT: hold server sockets in CLOSE_WAIT on demand.

Listens on ADDR:PORT, then reads commands from stdin, one a line, and
answers each on stdout with "ok N", N being the sockets it holds:

  open K   K connections: connect, accept, the client shuts down its
           sending side, the server reads EOF and keeps its socket, which
           is then in CLOSE_WAIT; the client's waits in FIN_WAIT2
  close K  close the K oldest held server sockets (CLOSE_WAIT -> LAST_ACK),
           then their clients (in TIME_WAIT once the FIN reaches them)

The client stays open rather than closed: an orphaned FIN_WAIT2 lives
only tcp_fin_timeout (60 s), and one whose FIN's ACK was processed
while close() still held its lock ends that time with a RST, which takes
the server's CLOSE_WAIT socket with it. On a slow guest a step could
then lose sockets it had been told to hold.

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
            client.shutdown(socket.SHUT_WR)
            if server.recv(1) != b"":
                sys.exit("close_wait.py: expected EOF")
            held.append((server, client))
        elif verb == "close":
            server, client = held.pop(0)
            server.close()
            client.close()
        else:
            sys.exit("close_wait.py: unknown command " + verb)
    print("ok", len(held), flush=True)
