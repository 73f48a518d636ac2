#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-namespace figures: two namespaces make different numbers of
# loopback connections; each one's netns/<inode>/ files count exactly its
# own, the global files count both, and a namespace's directory comes and
# goes with the namespace.
#
#   netns $a: tcp_churn 127.0.0.1 x 7     netns $b: tcp_churn ::1 x 4
source "$(dirname "$0")/lib.sh"

ktap_plan 9

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1
setup_ns a
ino_a=$(stat -L -c %i /run/netns/$a)
expect_eq netns_dir_appears_with_namespace yes \
	"$([ -d $DEBUGFS/netns/$ino_a ] && echo yes || echo no)"
setup_ns b
ino_b=$(stat -L -c %i /run/netns/$b)

before=$(transitions CLOSE SYN_SENT)
ip netns exec $a "$HELPERS/tcp_churn" 127.0.0.1 7
ip netns exec $b "$HELPERS/tcp_churn" ::1 4

cell() { awk -v f="$2" -v t="$3" '$1 == f && $2 == t { n = $3 } END { print n + 0 }' \
	$DEBUGFS/netns/$1/transitions; }
gauge() { awk -v s="$2" '$1 == s { print $2 }' $DEBUGFS/netns/$1/states; }
b_done() { [ "$(cell $ino_b LAST_ACK CLOSE)" = 4 ]; }
busywait 5000 b_done

expect_eq netns_a_counts_its_7_connections 7 "$(cell $ino_a CLOSE SYN_SENT)"
expect_eq netns_b_counts_its_4_connections 4 "$(cell $ino_b CLOSE SYN_SENT)"
expect_eq global_counts_both $((before + 11)) "$(transitions CLOSE SYN_SENT)"
expect_eq netns_a_gauge_time_wait_equals_ss \
	"$(ip netns exec $a ss -Htan state time-wait | wc -l)" "$(gauge $ino_a TIME_WAIT)"
ip netns exec $a python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 7100)); s.listen()
open(sys.argv[1], "w").close(); time.sleep(60)' "$TEST_TMP/netns-listener" &
listener=$!
busywait 20000 test -e "$TEST_TMP/netns-listener"
expect_eq listener_shows_only_in_its_namespace "1 0" \
	"$(grep -c ' 127.0.0.1:7100 ' $DEBUGFS/netns/$ino_a/listeners) $(grep -c ' 127.0.0.1:7100 ' $DEBUGFS/netns/$ino_b/listeners)"
kill $listener; rm -f "$TEST_TMP/netns-listener"

ip netns del $a
busywait 10000 test ! -d $DEBUGFS/netns/$ino_a
expect_eq netns_dir_goes_with_namespace no \
	"$([ -d $DEBUGFS/netns/$ino_a ] && echo yes || echo no)"

cleanup_all_ns
tcpstate_unload

# netns_figures=0: no per-namespace directories, the global figures still count.
tcpstate_load netns_figures=0 || exit 1
setup_ns c
ip netns exec $c python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 7200)); s.listen()
c = socket.create_connection(("127.0.0.1", 7200)); a, _ = s.accept()
c.close(); a.close()'
expect_eq netns_figures_off_no_directories 0 "$(ls $DEBUGFS/netns | wc -l)"
# One connection: the client's SYN_SENT -> ESTABLISHED, the listener's CLOSE -> LISTEN.
expect_eq netns_figures_off_global_still_counts "1 1" \
	"$(transitions SYN_SENT ESTABLISHED) $(transitions CLOSE LISTEN)"
cleanup_all_ns
tcpstate_unload
ktap_finish
