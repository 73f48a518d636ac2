#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""held_connects.py ADDR PORT N: N client connections held open, on demand.

Connects N sockets to ADDR:PORT and answers "ok N" once each connect()
has returned: the client end is ESTABLISHED, whatever the server made of
its third ACK. Then reads commands from stdin, one a line, and answers
each with "ok N":

  send    one byte on each socket, so that each sends a segment that
          carries data and the ACK again
  reset   close each socket with SO_LINGER {1, 0}: a RST, no FIN

Exits at end of input, closing what is left the same way."""
import socket
import struct
import sys

addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
held = []


def reset_all():
    for s in held:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    held.clear()


for _ in range(count):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect((addr, port))
    held.append(s)
print("ok", len(held), flush=True)
for line in sys.stdin:
    verb = line.strip()
    if verb == "send":
        for s in held:
            s.send(b"x")
    elif verb == "reset":
        reset_all()
    else:
        sys.exit("held_connects.py: unknown command " + verb)
    print("ok", count, flush=True)
reset_all()
