#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""poll_wait.py FILE READY TIMEOUT_S: what an alert daemon does with a
pollable sysfs file. Opens FILE and reads it, creates READY, then poll()s
for POLLPRI|POLLERR for at most TIMEOUT_S seconds. On a wake-up it reads
FILE again from offset 0 and prints "woke VALUE"; on timeout "timeout"."""
import os
import select
import sys

path, ready, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
fd = os.open(path, os.O_RDONLY)
os.read(fd, 64)
open(ready, "w").close()
p = select.poll()
p.register(fd, select.POLLPRI | select.POLLERR)
if p.poll(timeout_s * 1000):
    os.lseek(fd, 0, os.SEEK_SET)
    print("woke", os.read(fd, 64).decode().strip())
else:
    print("timeout")
