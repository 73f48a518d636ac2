#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debugfs listeners: a listener adopted at load and one started after it,
# each with connections left in its accept queue. Sequential connects
# queue one request at a time, so the half-open high-water mark is 1.
source "$(dirname "$0")/lib.sh"

ktap_plan 4

tcpstate_loaded && tcpstate_unload

python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7000)); s.listen(16)
open("/run/listener-ready", "w").close(); time.sleep(120)' &
adopted_pid=$!
busywait 20000 test -e /run/listener-ready
tcpstate_load || exit 1

python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6); s.bind(("::1", 7001)); s.listen(8)
c = [socket.create_connection(("::1", 7001)) for i in range(5)]
c += [socket.create_connection(("127.0.0.1", 7000)) for i in range(3)]
open("/run/clients-ready", "w").close(); time.sleep(120)' &
clients_pid=$!
busywait 20000 test -e /run/clients-ready

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
rm -f /run/listener-ready /run/clients-ready
tcpstate_unload
ktap_finish
