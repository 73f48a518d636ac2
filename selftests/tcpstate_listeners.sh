#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debugfs listeners: a listener adopted at load and one started after it,
# each with connections left in its accept queue. Sequential connects,
# each waiting for its predecessor to reach the accept queue, queue one
# request at a time, so the half-open high-water mark is 1.
source "$(dirname "$0")/lib.sh"

ktap_plan 4

tcpstate_loaded && tcpstate_unload

# The listeners live until killed below (or at exit), not for a fixed
# time: on the slow debug kernel the load and the connects can outlast any
# lifetime short enough not to hold up a run (120 s did, as far as CI's
# failure there shows), and the rows are read after them.
trap 'kill $adopted_pid $clients_pid 2> /dev/null; cleanup_on_exit' EXIT

python3 -c '
import signal, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 7000)); s.listen(16)
open(sys.argv[1], "w").close(); signal.pause()' "$TEST_TMP/listener-ready" &
adopted_pid=$!
busywait 20000 test -e "$TEST_TMP/listener-ready"
tcpstate_load || exit 1

# connect() returns once the SYN-ACK is in; the server takes the ACK in
# its own softirq, possibly after the next SYN (seen on 6.1: a high-water
# mark of 2). Each connect waits until the listener's accept queue (ss
# Recv-Q) holds it, i.e. its request sock is gone, before the next SYN.
python3 -c '
import signal, socket, subprocess, sys, time

def accept_queue(port):
    out = subprocess.run(["ss", "-ltnH", "sport = :%d" % port],
                         capture_output=True, text=True).stdout.split()
    return int(out[1]) if out else -1

def connect(addr, port, queued):
    c = socket.create_connection((addr, port))
    deadline = time.time() + 20
    while accept_queue(port) < queued and time.time() < deadline:
        time.sleep(0.01)
    return c

s = socket.socket(socket.AF_INET6); s.bind(("::1", 7001)); s.listen(8)
c = [connect("::1", 7001, i + 1) for i in range(5)]
c += [connect("127.0.0.1", 7000, i + 1) for i in range(3)]
open(sys.argv[1], "w").close(); signal.pause()' "$TEST_TMP/clients-ready" &
clients_pid=$!
busywait 20000 test -e "$TEST_TMP/clients-ready"

# LOCAL HALF_OPEN HALF_OPEN_MAX ACCEPT_QUEUE BACKLOG SYNS
row() { awk -v l="$1" '$2 == l { print $4, $5, $6, $7, $8 }' $DEBUGFS/listeners; }
expect_eq listeners_header "NETNS LOCAL COOKIE HALF_OPEN HALF_OPEN_MAX ACCEPT_QUEUE BACKLOG SYNS" \
	"$(head -n1 $DEBUGFS/listeners)"
expect_eq listener_adopted_at_load_counts_syns_after_load "0 1 3 16 3" "$(row 127.0.0.1:7000)"
expect_eq listener_started_after_load_counts_everything "0 1 5 8 5" "$(row '[::1]:7001')"
expect_eq listener_cookie_is_ss_cookie \
	"$(ss -Htlne 2>/dev/null 'sport = :7001' | grep -o 'sk:[0-9a-f]*' | cut -c4-)" \
	"$(awk '$2 == "[::1]:7001" { print $3 }' $DEBUGFS/listeners)"

kill $adopted_pid $clients_pid
rm -f "$TEST_TMP/listener-ready" "$TEST_TMP/clients-ready"
tcpstate_unload
ktap_finish
