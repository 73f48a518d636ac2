#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nfqueue_accept.py QUEUE READY: accept every packet of NFQUEUE QUEUE.

Binds queue QUEUE of this network namespace (nfnetlink_queue, metadata
only), creates the file READY once bound, then gives every packet it is
handed the verdict NF_ACCEPT, one verdict a packet, until killed. The
verdict makes the kernel run the netfilter hooks after the queueing one
in this process's context (nf_reinject()), not in the receive softirq:
what tcpstate_syncap.sh needs the SYN caps' hook to meet.

Plain netlink, so that nothing beyond Python is needed: the messages are
those of include/uapi/linux/netfilter/nfnetlink_queue.h."""
import errno
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def align(n):
    return (n + 3) & ~3


def attr(kind, payload):
    head = struct.pack("=HH", 4 + len(payload), kind)
    return head + payload + b"\0" * (align(len(payload)) - len(payload))


def message(msg, queue, attrs, flags=NLM_F_REQUEST, seq=0):
    body = struct.pack("=BB", socket.AF_UNSPEC, 0) + struct.pack(">H", queue) + attrs
    head = struct.pack("=IHHII", 16 + len(body), NFNL_SUBSYS_QUEUE << 8 | msg, flags, seq, 0)
    return head + body


def messages(buf):
    """(type, payload after the nfgenmsg) of each message in buf."""
    off = 0
    while off + 16 <= len(buf):
        length, kind = struct.unpack_from("=IH", buf, off)
        if length < 16:
            break
        yield kind, buf[off + 16:off + length]
        off += align(length)


def attrs(payload):
    off = 4  # the nfgenmsg
    while off + 4 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, off)
        if length < 4:
            break
        yield kind & 0x3fff, payload[off + 4:off + length]
        off += align(length)


def configure(sock, queue, attribute, seq):
    sock.send(message(NFQNL_MSG_CONFIG, queue, attribute, NLM_F_REQUEST | NLM_F_ACK, seq))
    for kind, payload in messages(sock.recv(65536)):
        if kind == NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", payload, 0)
            if err:
                sys.exit("nfqueue_accept.py: config %d of queue %d: error %d" % (seq, queue, err))
            return
    sys.exit("nfqueue_accept.py: config %d of queue %d: no answer" % (seq, queue))


queue, ready = int(sys.argv[1]), sys.argv[2]
sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
sock.bind((0, 0))
configure(sock, queue, attr(NFQA_CFG_CMD, struct.pack("=BB", NFQNL_CFG_CMD_BIND, 0) +
                            struct.pack(">H", 0)), 1)
configure(sock, queue, attr(NFQA_CFG_PARAMS, struct.pack(">IB", 0, NFQNL_COPY_META)), 2)
open(ready, "w").close()
while True:
    try:
        buf = sock.recv(65536)
    except OSError as e:
        if e.errno == errno.ENOBUFS:
            continue  # the kernel dropped what it could not hand over
        raise
    for kind, payload in messages(buf):
        if kind != (NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET):
            continue
        for akind, value in attrs(payload):
            if akind == NFQA_PACKET_HDR:
                (packet_id,) = struct.unpack_from(">I", value, 0)
                verdict = struct.pack(">II", NF_ACCEPT, packet_id)
                sock.send(message(NFQNL_MSG_VERDICT, queue, attr(NFQA_VERDICT_HDR, verdict)))
