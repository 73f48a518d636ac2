#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tw_sampler.py PORT STOP OUT: until the file STOP exists, count again and
again the TIME_WAIT sockets of this network namespace whose local port is
PORT, and write "MAX SAMPLES" to OUT: the most seen at once and how many
counts were made. Writes OUT once before the first count, so a caller can
wait for it to start.

Each count is the inet_diag dump `ss -tan state time-wait '( sport = :PORT )'`
makes (NETLINK_SOCK_DIAG, IPv4 and IPv6), without starting ss every time:
under TCG an ss process takes most of a second to start, this a few ms."""
import os
import socket
import struct
import sys

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
TCP_TIME_WAIT = 6


def request(family, seq):
    # struct inet_diag_req_v2: family, protocol, ext, pad, states, sockid (48)
    req = struct.pack("=BBBxI48x", family, socket.IPPROTO_TCP, 0,
                      1 << TCP_TIME_WAIT)
    return struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY,
                       NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + req


def count(nl, port, seq):
    n = 0
    for family in (socket.AF_INET, socket.AF_INET6):
        seq += 1
        nl.send(request(family, seq))
        done = False
        while not done:
            data = nl.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, off)
                if kind == NLMSG_DONE:
                    done = True
                    break
                if kind == NLMSG_ERROR:
                    raise OSError("inet_diag dump failed")
                # struct inet_diag_msg: family, state, timer, retrans, sport (be16)
                state = data[off + 16 + 1]
                sport = struct.unpack_from("!H", data, off + 16 + 4)[0]
                if state == TCP_TIME_WAIT and sport == port:
                    n += 1
                off += (length + 3) & ~3
    return n, seq


def main():
    port, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
    high = samples = seq = 0

    def report():
        with open(out + ".new", "w") as f:
            f.write("%d %d\n" % (high, samples))
        os.rename(out + ".new", out)

    report()
    while not os.path.exists(stop):
        n, seq = count(nl, port, seq)
        high = max(high, n)
        samples += 1
    report()


main()
