#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fastopen_syns.py ADDR PORT N SECONDS: N TCP Fast Open SYNs, held.

Opens N non-blocking sockets and sends one byte on each with
MSG_FASTOPEN, so that each connect's SYN carries data (with tcp_fastopen
0x607 at both ends no cookie is needed, and the server makes its child
from the SYN itself). Holds the sockets SECONDS, so that no client end
closes while the test reads the server's; a kill ends it sooner."""
import socket
import sys
import time

addr, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
held = []
for _ in range(count):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.sendto(b"x", socket.MSG_FASTOPEN, (addr, port))
    except BlockingIOError:
        pass  # the SYN is sent; the connect goes on without us
    held.append(s)
time.sleep(seconds)
