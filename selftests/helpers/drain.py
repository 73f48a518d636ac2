#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""drain.py FILE: read FILE with O_NONBLOCK until it has nothing more
(EAGAIN) and write what it read to stdout. For tcpstate's events, which
blocks when empty, like trace_pipe."""
import errno
import os
import sys

fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
out = sys.stdout.buffer
while True:
    try:
        data = os.read(fd, 65536)
    except OSError as e:
        if e.errno == errno.EAGAIN:
            break
        raise
    if not data:
        break
    out.write(data)
os.close(fd)
