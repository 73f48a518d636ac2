#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exact tracking, as Documentation/ABI/testing/debugfs-tcpstate defines it.
#
#   +----------------------+                 +----------------------+
#   | netns $cli           |      veth       | netns $srv           |
#   |   veth0 -------------+-----------------+------------- veth0   |
#   |   198.18.0.2/24      |                 |      198.18.0.1/24   |
#   |   2001:db8::2/64     |                 |      2001:db8::1/64  |
#   |   tcp_pair clients   |                 |  tcp_pair listeners  |
#   +----------------------+                 +----------------------+
#
# Each matrix test builds the topology afresh, runs one scenario with
# tcp_pair over IPv4 or IPv6 (clean closes from either side, half-close
# with data, RST, simultaneous close, refused, SYN timeout, request socks
# ending by timeout or listener close, syncookies, queued children reset
# by their listener's close), deletes both namespaces (which purges their
# TIME_WAIT socks, so every connection finishes its path), waits until
# the socket table holds nothing of them, and compares the change of the
# WHOLE transition matrix with the pairs the ABI says each connection
# makes: any missing, extra or miscounted pair fails.
#
# Then every state ss can hold is built at once (listeners, established
# pairs, SYN_SENT, SYN_RECV from connects and from hping3's raw SYNs,
# FIN_WAIT1, FIN_WAIT2 both full and timewait, CLOSE_WAIT, LAST_ACK,
# TIME_WAIT) and the gauges and the socket table (cookie, state and
# namespace of every socket) are compared with ss in every namespace;
# the same again with about a thousand sockets opened before insmod.
source "$(dirname "$0")/lib.sh"

N=20			# connections per matrix scenario
# The debug kernel (KASAN, lockdep, kmemleak) runs several times slower
# under TCG: the same checks there, on fewer sockets.
DEBUG_KERNEL=0
case "$(uname -r)" in *-tcpstate-debug) DEBUG_KERNEL=1; N=5 ;; esac
PORT=8000		# server port of the scenarios and the held pairs
PORT_SILENT=8001	# SYNs dropped in $srv: connects stay in SYN_SENT
PORT_SYN_RECV=8002	# SYN-ACKs dropped in $cli: request socks stay
PORT_LAST_ACK=8003	# the server's FIN dropped in $cli: LAST_ACK stays
PORT_FIN_WAIT1=8004	# the client's FIN dropped in $srv: FIN_WAIT1 stays
PORT_TIME_WAIT=8010	# clean connections whose TIME_WAIT socks stay
PORT_IDLE=9000		# first of the idle listeners
SPOOFED_SRC=198.18.1.77	# hping3's source: $srv routes it into a dummy device
NETEM_DELAY=300ms	# longer than the two shutdown() calls of a pair take
# Waits are for conditions; these bound them generously, because a guest
# on a busy 2-core machine under TCG can be many times slower than usual.
SETTLE_MS=20000		# namespace teardown
SETUP_MS=60000		# building states (helpers start over 9p)
# Request socks of a deleted namespace can outlive 20 s there: they wait
# for their SYN-ACK retries (about a minute) on the slow debug kernel.
[ $DEBUG_KERNEL = 1 ] && SETTLE_MS=90000

ADDRS="198.18.0.1 2001:db8::1"

tmp=$TEST_TMP
MIXED_PIDS=()

cleanup()
{
	[ ${#MIXED_PIDS[@]} -gt 0 ] && kill "${MIXED_PIDS[@]}" 2>/dev/null
	wait
	cleanup_on_exit
}
trap cleanup EXIT

family() { case "$1" in *:*) echo ipv6 ;; *) echo ipv4 ;; esac; }

setup_topology()
{
	setup_ns cli srv || return 1
	ip link add veth0 netns "$cli" type veth peer name veth0 netns "$srv" || return 1
	ip -n "$cli" addr add 198.18.0.2/24 dev veth0 &&
	ip -n "$cli" addr add 2001:db8::2/64 dev veth0 nodad &&
	ip -n "$srv" addr add 198.18.0.1/24 dev veth0 &&
	ip -n "$srv" addr add 2001:db8::1/64 dev veth0 nodad &&
	ip -n "$cli" link set veth0 up &&
	ip -n "$srv" link set veth0 up
}

# nft_drop NS HOOK RULE...: a chain on HOOK (input or output) in NS
# dropping what each rule matches.
nft_drop()
{
	local ns=$1 hook=$2 rule cmds
	shift 2
	cmds="add table inet tcpstate_test;
		add chain inet tcpstate_test $hook { type filter hook $hook priority 0; };"
	for rule in "$@"; do
		cmds="$cmds add rule inet tcpstate_test $hook $rule drop;"
	done
	ip netns exec "$ns" nft "$cmds"
}

# $cli dropping the SYN-ACKs from a port: its connects leave request socks
# that nobody answers (and its kernel sends no RST). Dropping them as they
# leave $srv would not do: a SYN-ACK that cannot be sent drops its request
# sock at the first retransmission.
SYN_ACK="tcp flags & (syn | ack) == syn | ack"

# --- the scenarios ---------------------------------------------------------

tcp_pair() { "$HELPERS/tcp_pair" "$@"; }

clean_close() { tcp_pair "$cli" "$srv" "$1" client_close:$PORT:$N; }
server_close() { tcp_pair "$cli" "$srv" "$1" server_close:$PORT:$N; }
half_close() { tcp_pair "$cli" "$srv" "$1" half_close:$PORT:$N; }
rst_close() { tcp_pair "$cli" "$srv" "$1" rst:$PORT:$N; }
refused() { tcp_pair "$cli" "$srv" "$1" refused:$PORT:$N; }
unaccepted() { tcp_pair "$cli" "$srv" "$1" unaccepted:$PORT:$N; }

# Every SYN answered with a cookie: no request sock is queued, the third
# ACK makes the child directly.
syncookie_close()
{
	ip netns exec "$srv" sysctl -qw net.ipv4.tcp_syncookies=2 &&
	clean_close "$1"
}

# Once every pair is established, both ends delay what they send, so the
# FINs of a pair's back-to-back shutdowns cross on the wire.
simultaneous_close()
{
	tcp_pair -x "tc -n $cli qdisc add dev veth0 root netem delay $NETEM_DELAY &&
		     tc -n $srv qdisc add dev veth0 root netem delay $NETEM_DELAY" \
		"$cli" "$srv" "$1" sim_close:$PORT:$N
}

# The server drops SYNs; one retry (1 s, then 2 s) and connect gives up.
syn_timeout()
{
	ip netns exec "$cli" sysctl -qw net.ipv4.tcp_syn_retries=1 &&
	nft_drop "$srv" input "tcp dport $PORT" &&
	tcp_pair "$cli" "$srv" "$1" silent:$PORT:$N
}

syn_recv_count() { ip netns exec "$srv" ss -tanH state syn-recv | wc -l; }
syn_recv_reached() { [ "$(syn_recv_count)" -eq $N ]; }

# Connects whose SYN-ACKs $cli drops leave request socks behind; the
# holder then closes its SYN_SENT sockets and its listener, and the
# request socks leave the SYN queue (at their next timer) unanswered.
half_open_listener_closed()
{
	local pid

	nft_drop "$cli" input "tcp sport $PORT $SYN_ACK" || return 1
	"$HELPERS/tcp_pair" -r "$tmp/ready" "$cli" "$srv" "$1" syn_recv:$PORT:$N \
		> /dev/null 2>&1 &
	pid=$!
	busywait $SETUP_MS syn_recv_reached ||
		{ kill $pid; echo "$(syn_recv_count) request socks, not $N"; return 1; }
	kill $pid
	wait $pid
}

syn_exchange_over()
{
	[ "$(syn_recv_count)" -eq 0 ] &&
		[ -z "$(ip netns exec "$cli" ss -tanH state syn-sent)" ]
}

# The same with one SYN retry and one SYN-ACK retry: the request socks
# time out (3 s), as the connects do, with the listener still open.
synack_timeout()
{
	local pid rc

	ip netns exec "$cli" sysctl -qw net.ipv4.tcp_syn_retries=1 &&
	ip netns exec "$srv" sysctl -qw net.ipv4.tcp_synack_retries=1 &&
	nft_drop "$cli" input "tcp sport $PORT $SYN_ACK" || return 1
	"$HELPERS/tcp_pair" -r "$tmp/ready" "$cli" "$srv" "$1" syn_recv:$PORT:$N \
		> /dev/null 2>&1 &
	pid=$!
	busywait $SETUP_MS syn_recv_reached && busywait $SETUP_MS syn_exchange_over
	rc=$?
	[ $rc -eq 0 ] || echo "$(syn_recv_count) request socks left"
	kill $pid
	wait $pid
	return $rc
}

# The server cannot route to the client by the time its first data comes:
# tcp_v4_syn_recv_sock() makes the child, fails to route it and discards
# it (put_and_exit: tcp_done()), which reports SYN_RECV -> CLOSE while the
# request stays queued. Every later segment from the client (each
# retransmission of its data) makes and discards another child. The
# module must count them as superseded and leave the request's entry
# alone. Then the route comes back, the next retransmission's child takes
# the request's place, and the client's RSTs close both ends (a RST
# cannot end a request here: 6.12 answers one that is not exactly at
# rcv_nxt with a challenge ACK, and the data moved the client past it).
# The listener defers accept (TCP_DEFER_ACCEPT) so that the bare third
# ACK makes no child but marks the request acked; acked requests get no
# SYN-ACK retransmission while the period lasts. Without that, a
# retransmission that fails for want of the route drops a request that is
# not acked (reqsk_timer_handler()), and a slow guest lost some that way
# between the route's removal and the data.
# IPv4 only: tcp_v6_syn_recv_sock() routes before it makes the child.
DEFER_ACCEPT_S=120
CHILD_DISCARDED_CHECK=$tmp/child_discarded

superseded_reached() { [ "$(stat_value superseded)" -ge "$1" ]; }
children_made()
{
	[ "$(syn_recv_count)" -eq 0 ] &&
		[ "$(ip netns exec "$srv" ss -tanH state established | wc -l)" -eq $N ]
}

child_discarded()
{
	local addr=$1 held client w r reply superseded rc=1

	rm -f "$tmp/ready" "$tmp/held.in" "$tmp/held.out"
	"$HELPERS/tcp_pair" -r "$tmp/ready" -D $DEFER_ACCEPT_S "$cli" "$srv" "$addr" \
		listen:$PORT:1 > /dev/null 2>&1 &
	held=$!
	busywait $SETUP_MS test -e "$tmp/ready" || { kill $held; wait $held; return 1; }
	mkfifo "$tmp/held.in" "$tmp/held.out"
	ip netns exec "$cli" python3 "$TOP/selftests/helpers/held_connects.py" "$addr" $PORT $N \
		< "$tmp/held.in" > "$tmp/held.out" &
	client=$!
	exec {w}> "$tmp/held.in"
	exec {r}< "$tmp/held.out"
	if ! read -r -t 60 reply <&$r || [ "$reply" != "ok $N" ] ||
	   ! busywait $SETUP_MS syn_recv_reached; then
		echo "connects: '$reply', $(syn_recv_count) request socks"
	elif ! ip -n "$srv" route del 198.18.0.0/24 dev veth0; then
		echo "cannot take the route away"
	else
		superseded=$(stat_value superseded)
		echo send >&$w
		read -r -t 60 reply <&$r
		busywait $SETUP_MS superseded_reached $((superseded + N))
		echo "superseded_by_at_least_$N=$(superseded_reached $((superseded + N)) &&
			echo yes || echo no)" \
			"syn_recv_gauge=$(awk '$1 == "SYN_RECV" { print $2 }' \
				"$DEBUGFS/netns/$(ns_inode "$srv")/states")" \
			"ss_syn_recv=$(syn_recv_count)" > "$CHILD_DISCARDED_CHECK"
		ip -n "$srv" route add 198.18.0.0/24 dev veth0
		busywait $SETUP_MS children_made && rc=0
		[ $rc -eq 0 ] || echo "$(syn_recv_count) request socks left with the route back"
		echo reset >&$w
		read -r -t 60 reply <&$r
	fi
	exec {w}>&- {r}<&-
	wait $client
	kill $held
	wait $held
	return $rc
}

# TCP Fast Open without cookies (tcp_fastopen 0x607 at both ends: client
# and server on, no cookie asked for, none needed, no TCP_FASTOPEN option
# needed on the listener): each client SYN carries data, and the server
# makes the child from the SYN itself, in SYN_RECV, with no request sock.
# $cli drops the SYN-ACKs, so the children stay in SYN_RECV until their
# SYN-ACK retries run out (one retry, plus the one Fast Open adds: 7 s);
# the clients give up after one SYN retry. While they wait, the module
# must show them as ss does.
TFO_CHECK=$tmp/tfo

tfo_passive() { netns_counter "$srv" TcpExtTCPFastOpenPassive; }

tfo_half_open()
{
	local addr=$1 held client rc=1 ino

	ip netns exec "$cli" sysctl -qw net.ipv4.tcp_fastopen=0x607 net.ipv4.tcp_syn_retries=1 &&
	ip netns exec "$srv" sysctl -qw net.ipv4.tcp_fastopen=0x607 net.ipv4.tcp_synack_retries=1 &&
	nft_drop "$cli" input "tcp sport $PORT $SYN_ACK" || return 1
	rm -f "$tmp/ready"
	"$HELPERS/tcp_pair" -r "$tmp/ready" "$cli" "$srv" "$addr" listen:$PORT:1 \
		> /dev/null 2>&1 &
	held=$!
	busywait $SETUP_MS test -e "$tmp/ready" || { kill $held; wait $held; return 1; }
	ip netns exec "$cli" python3 "$TOP/selftests/helpers/fastopen_syns.py" "$addr" $PORT $N 30 &
	client=$!
	if busywait $SETUP_MS syn_recv_reached; then
		ino=$(ns_inode "$srv")
		echo "syn_recv_gauge=$(awk '$1 == "SYN_RECV" { print $2 }' "$DEBUGFS/netns/$ino/states")" \
			"ss_syn_recv=$(syn_recv_count)" \
			"table_full_syn_recv=$(awk -v ns="$ino" 'NR > 1 && $2 == ns && $4 == "full" && $5 == "SYN_RECV"' \
				"$DEBUGFS/sockets" | wc -l)" \
			"fast_open_children=$(tfo_passive)" > "$TFO_CHECK"
		busywait $SETUP_MS syn_exchange_over && rc=0
		[ $rc -eq 0 ] || echo "$(syn_recv_count) children left in SYN_RECV"
	else
		echo "$(syn_recv_count) children in SYN_RECV, not $N; $(tfo_passive) made by Fast Open"
	fi
	kill $client $held
	wait $client $held
	return $rc
}

# What the ABI says N connections add to the matrix, by piece.
OPEN="CLOSE>SYN_SENT=$N SYN_SENT>ESTABLISHED=$N LISTEN>SYN_RECV=$N SYN_RECV>ESTABLISHED=$N"
LISTENER="CLOSE>LISTEN=1 LISTEN>CLOSE=1"
ACTIVE_CLOSE="ESTABLISHED>FIN_WAIT1=$N FIN_WAIT1>FIN_WAIT2=$N FIN_WAIT2>TIME_WAIT=$N TIME_WAIT>CLOSE=$N"
PASSIVE_CLOSE="ESTABLISHED>CLOSE_WAIT=$N CLOSE_WAIT>LAST_ACK=$N LAST_ACK>CLOSE=$N"
N2=$((2 * N))	# both ends of each connection
SIMULTANEOUS_CLOSE="ESTABLISHED>FIN_WAIT1=$N2 FIN_WAIT1>CLOSING=$N2 CLOSING>TIME_WAIT=$N2 TIME_WAIT>CLOSE=$N2"
FAILED_OPEN="CLOSE>SYN_SENT=$N SYN_SENT>CLOSE=$N"
HALF_OPEN="LISTEN>SYN_RECV=$N SYN_RECV>CLOSE=$N"

# settled SNAPSHOT EXPECTED INODE...: the matrix shows EXPECTED and no
# socket of these namespaces is left in the table.
settled()
{
	local snap=$1 expected=$2
	shift 2
	[ "$(table_entries_in_netns "$@")" -eq 0 ] &&
		[ "$(matrix_delta "$snap")" = "$expected" ]
}

# matrix_case NAME EXPECTED SCENARIO ADDR: SCENARIO in a fresh topology,
# then the namespaces deleted; the matrix must have changed by EXPECTED.
matrix_case()
{
	local name=$1 expected=$2 scenario=$3 addr=$4 inos err rc left
	local snap=$tmp/matrix

	setup_topology || { ktap_result "$name" 1 "cannot build the topology"; return; }
	inos="$(ns_inode "$cli") $(ns_inode "$srv")"
	matrix_snapshot "$snap"
	err=$("$scenario" "$addr" 2>&1)
	rc=$?
	cleanup_ns "$cli" "$srv"
	# Also after a failure: what is left would spoil the next test.
	busywait $SETTLE_MS settled "$snap" "$expected" $inos
	left=$(table_entries_in_netns $inos)
	[ "$left" -eq 0 ] || echo "# $name: $left table entries of the deleted namespaces remain"
	if [ $rc -ne 0 ]; then
		ktap_result "$name" 1 "scenario $scenario failed: $(echo "$err" | paste -sd' ')"
		return
	fi
	expect_eq "$name" "$expected" "$(matrix_delta "$snap")"
}

# --- every state at once ---------------------------------------------------

# Counts of each kind of socket set up by start_mixed_states, per family
# (HPING_SYNS: IPv4 only, hping3 has no IPv6).
set_mixed_counts()
{
	ESTAB_PAIRS=$1 FIN_WAIT2_PAIRS=$2 HALF_CLOSED_PAIRS=$3 FIN_WAIT1_PAIRS=$4
	LAST_ACK_PAIRS=$5 SYN_SENT_SOCKS=$6 SYN_RECV_PAIRS=$7 IDLE_LISTENERS=$8
	TIME_WAIT_SOCKS=$9 HPING_SYNS=${10}
}

# What ss must list once start_mixed_states is done, as ss_counts prints it.
# Listeners: the idle ones, and one each on PORT, PORT_FIN_WAIT1,
# PORT_LAST_ACK and PORT_SYN_RECV.
mixed_expected()
{
	local f=2	# address families
	echo "ESTABLISHED=$((f * (2 * ESTAB_PAIRS + FIN_WAIT1_PAIRS)))" \
	     "SYN_SENT=$((f * (SYN_SENT_SOCKS + SYN_RECV_PAIRS)))" \
	     "SYN_RECV=$((f * SYN_RECV_PAIRS + HPING_SYNS))" \
	     "FIN_WAIT1=$((f * FIN_WAIT1_PAIRS))" \
	     "FIN_WAIT2=$((f * (FIN_WAIT2_PAIRS + HALF_CLOSED_PAIRS + LAST_ACK_PAIRS)))" \
	     "TIME_WAIT=$((f * TIME_WAIT_SOCKS))" \
	     "CLOSE_WAIT=$((f * (FIN_WAIT2_PAIRS + HALF_CLOSED_PAIRS)))" \
	     "LAST_ACK=$((f * LAST_ACK_PAIRS))" \
	     "LISTEN=$((f * (IDLE_LISTENERS + 4)))" \
	     "CLOSING=0"
}

# A fresh topology holding every state ss can show that a socket can be
# kept in, over both families; tcp_pair holders close with RST when killed.
start_mixed_states()
{
	local addr

	# Sockets of namespaces that are deleted but not yet gone count in
	# the gauges, and ss cannot list them: start once they are gone.
	tcpstate_loaded && busywait $SETTLE_MS tcp_table_only_live_netns
	setup_topology || return 1
	nft_drop "$srv" input "tcp dport $PORT_SILENT" \
		"tcp dport $PORT_FIN_WAIT1 tcp flags & fin == fin" || return 1
	nft_drop "$cli" input "tcp sport $PORT_SYN_RECV $SYN_ACK" \
		"tcp sport $PORT_LAST_ACK tcp flags & fin == fin" || return 1
	for addr in $ADDRS; do
		rm -f "$tmp/ready"
		# Not through the tcp_pair function: $! must be the holder itself.
		"$HELPERS/tcp_pair" -R -r "$tmp/ready" "$cli" "$srv" "$addr" \
			listen:$PORT_IDLE:$IDLE_LISTENERS \
			established:$PORT:$ESTAB_PAIRS \
			fin_wait2:$PORT:$FIN_WAIT2_PAIRS \
			half_closed:$PORT:$HALF_CLOSED_PAIRS \
			fin_wait1:$PORT_FIN_WAIT1:$FIN_WAIT1_PAIRS \
			last_ack:$PORT_LAST_ACK:$LAST_ACK_PAIRS \
			syn_sent:$PORT_SILENT:$SYN_SENT_SOCKS \
			syn_recv:$PORT_SYN_RECV:$SYN_RECV_PAIRS \
			> /dev/null 2>> "$tmp/holders.err" &
		MIXED_PIDS+=($!)
		busywait $SETUP_MS test -e "$tmp/ready" || {
			echo "# holder for $addr not ready: $(paste -sd' ' "$tmp/holders.err")"
			return 1
		}
		tcp_pair "$cli" "$srv" "$addr" client_close:$PORT_TIME_WAIT:$TIME_WAIT_SOCKS ||
			return 1
	done
	# Raw SYNs from fresh source ports, each leaving a request sock. Their
	# source is routed by $srv into a dummy device, which swallows the
	# SYN-ACKs: hping3 sees none, so it sends all COUNT (it stops once it
	# has seen COUNT replies, retransmitted SYN-ACKs included), and the
	# request socks live out their SYN-ACK retries (an address on the
	# veth that ARP cannot resolve would kill them within seconds: the
	# ICMP host unreachable that follows aborts a request sock).
	ip -n "$srv" link add blackhole0 type dummy &&
	ip -n "$srv" link set blackhole0 up &&
	ip -n "$srv" route add $SPOOFED_SRC/32 dev blackhole0 &&
	ip netns exec "$srv" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.veth0.rp_filter=0 || return 1
	ip netns exec "$cli" hping3 -q -S -a $SPOOFED_SRC -p $PORT_SYN_RECV \
		-c "$HPING_SYNS" -i u10000 198.18.0.1 > /dev/null 2>&1
	# ACKs of FINs may be delayed: wait until every socket is where it stays.
	busywait $SETUP_MS mixed_states_reached
}

mixed_states_reached() { [ "$(ss_counts)" = "$(mixed_expected)" ]; }

# The holders' sockets close with RST. The orphaned LAST_ACK sockets would
# keep $srv alive, unseen by ss, until their FIN retransmissions give up
# (minutes), and the request socks of closed listeners last until their
# next SYN-ACK timer (up to 32 s): abort both with ss -K.
stop_mixed_states()
{
	kill "${MIXED_PIDS[@]}" 2>/dev/null
	wait "${MIXED_PIDS[@]}" 2>/dev/null
	MIXED_PIDS=()
	ip netns exec "$srv" ss -K -tan state last-ack state syn-recv > /dev/null
}

# expect_gauges_equal_ss NAME: debugfs states against ss, all namespaces.
expect_gauges_equal_ss()
{
	local gauges ss

	gauges=$(gauge_counts)
	ss=$(ss_counts)
	if [ "$ss" != "$(mixed_expected)" ]; then
		ktap_result "$1" 1 "set-up incomplete: ss shows '$ss', wanted '$(mixed_expected)'"
		return
	fi
	expect_eq "$1" "$ss" "$gauges"
}

expect_table_equals_ss()
{
	table_cookie_states > "$tmp/table"
	ss_cookie_states > "$tmp/ss"
	expect_same_lines "$1" table "$tmp/table" ss "$tmp/ss"
}

# cookies_in_table FILE: how many cookies listed in FILE have an entry.
cookies_in_table()
{
	awk 'NR == FNR { want[$1]; next } FNR > 1 && $1 in want { n++ } END { print n + 0 }' \
		"$1" "$DEBUGFS/sockets"
}

# sockets_read_twice: debugfs sockets read to the end, rewound (lseek 0)
# and read again through the same open file; prints "FIRST SECOND same"
# or "... differ", the counts of the cookies each read lists (a set: a
# table resize may show a row twice; states and ages may move). A rewind
# must walk the table from the top again: until 2026-12-06 it went on
# with the walk before, which had ended, and the second read showed no
# row.
sockets_read_twice()
{
	python3 - "$DEBUGFS/sockets" <<-'PY'
	import os, sys
	fd = os.open(sys.argv[1], os.O_RDONLY)
	def rows():
	    data = b""
	    while True:
	        chunk = os.read(fd, 4096)
	        if not chunk:
	            break
	        data += chunk
	    return {l.split()[0] for l in data.decode().splitlines()[1:]}
	first = rows()
	os.lseek(fd, 0, os.SEEK_SET)
	second = rows()
	print(len(first), len(second), "same" if first == second else "differ")
	PY
}

# ===========================================================================

require_tools nft tc hping3 ss

ktap_plan 37

# The matrix counts every namespace: earlier scripts' loopback TIME_WAIT
# socks dying during a scenario would be counted in it.
wait_tcp_idle 70000 || echo "# TCP sockets left in the initial namespace: $(ss -tanH | wc -l)"

tcpstate_loaded && tcpstate_unload
tcpstate_load || ktap_finish
# Earlier scripts' deleted namespaces can leave request socks behind (a
# SYN flood's, waiting out their SYN-ACK retries): adopted now, their end
# would be counted in a scenario's matrix. Start once they are gone.
busywait 90000 tcp_table_only_live_netns ||
	echo "# $(table_entries_of_dead_netns) table entries of deleted namespaces remain"

for addr in $ADDRS; do
	fam=$(family "$addr")
	matrix_case ${fam}_client_close_first_matrix \
		"$(sorted_words $LISTENER $OPEN $ACTIVE_CLOSE $PASSIVE_CLOSE)" clean_close "$addr"
	matrix_case ${fam}_server_close_first_matrix \
		"$(sorted_words $LISTENER $OPEN $ACTIVE_CLOSE $PASSIVE_CLOSE)" server_close "$addr"
	matrix_case ${fam}_half_close_with_data_matrix \
		"$(sorted_words $LISTENER $OPEN $ACTIVE_CLOSE $PASSIVE_CLOSE)" half_close "$addr"
	matrix_case ${fam}_rst_matrix \
		"$(sorted_words $LISTENER $OPEN "ESTABLISHED>CLOSE=$N2")" rst_close "$addr"
	matrix_case ${fam}_simultaneous_close_matrix \
		"$(sorted_words $LISTENER $OPEN $SIMULTANEOUS_CLOSE)" simultaneous_close "$addr"
	matrix_case ${fam}_refused_matrix "$(sorted_words $FAILED_OPEN)" refused "$addr"
	matrix_case ${fam}_syn_timeout_matrix "$(sorted_words $FAILED_OPEN)" syn_timeout "$addr"
	matrix_case ${fam}_half_open_listener_closed_matrix \
		"$(sorted_words $LISTENER $FAILED_OPEN $HALF_OPEN)" half_open_listener_closed "$addr"
	matrix_case ${fam}_synack_timeout_matrix \
		"$(sorted_words $LISTENER $FAILED_OPEN $HALF_OPEN)" synack_timeout "$addr"
	matrix_case ${fam}_syncookie_client_close_first_matrix \
		"$(sorted_words $LISTENER $OPEN $ACTIVE_CLOSE $PASSIVE_CLOSE)" syncookie_close "$addr"
	matrix_case ${fam}_unaccepted_children_reset_matrix \
		"$(sorted_words $LISTENER $OPEN "ESTABLISHED>CLOSE=$N2")" unaccepted "$addr"
done

for addr in $ADDRS; do
	fam=$(family "$addr")
	rm -f "$TFO_CHECK"
	matrix_case ${fam}_fast_open_synack_timeout_matrix \
		"$(sorted_words $LISTENER $FAILED_OPEN $HALF_OPEN)" tfo_half_open "$addr"
	expect_eq ${fam}_fast_open_children_in_syn_recv_as_ss_shows \
		"syn_recv_gauge=$N ss_syn_recv=$N table_full_syn_recv=$N fast_open_children=$N" \
		"$(cat "$TFO_CHECK" 2>/dev/null)"
done

# The children discarded before one took their request's place count
# nothing: the matrix is that of connections reset once established.
rm -f "$CHILD_DISCARDED_CHECK"
matrix_case ipv4_children_discarded_then_made_matrix \
	"$(sorted_words $LISTENER $OPEN "ESTABLISHED>CLOSE=$N2")" child_discarded 198.18.0.1
expect_eq discarded_children_superseded_requests_still_counted \
	"superseded_by_at_least_$N=yes syn_recv_gauge=$N ss_syn_recv=$N" \
	"$(cat "$CHILD_DISCARDED_CHECK" 2>/dev/null)"

# Every state at once, module loaded throughout.
set_mixed_counts 10 5 5 5 5 5 5 3 10 30
if ! start_mixed_states; then
	echo "# set-up of every state did not complete: ss shows $(ss_counts)"
fi
expect_gauges_equal_ss gauges_equal_ss_with_syn_recv_and_time_wait
expect_table_equals_ss sockets_table_equals_ss

# The held established pairs close with RST when their holders die: every
# one of their entries must go with its socket.
{
	ip netns exec "$cli" ss -taneH state established "( dport = :$PORT )"
	ip netns exec "$srv" ss -taneH state established "( sport = :$PORT )"
} 2> /dev/null | grep -o 'sk:[0-9a-f]*' | cut -c4- > "$tmp/rst_cookies"
rst_tracked=$(cookies_in_table "$tmp/rst_cookies")
stop_mixed_states
rst_cookies_gone() { [ "$(cookies_in_table "$tmp/rst_cookies")" -eq 0 ]; }
busywait $SETTLE_MS rst_cookies_gone
if [ "$rst_tracked" -ne $((2 * 2 * ESTAB_PAIRS)) ]; then
	ktap_result rst_freed_sockets_leave_table 1 \
		"before the RSTs $rst_tracked of $((2 * 2 * ESTAB_PAIRS)) established sockets were in the table"
else
	expect_eq rst_freed_sockets_leave_table 0 "$(cookies_in_table "$tmp/rst_cookies")"
fi
cleanup_ns "$cli" "$srv"

# Every test namespace is deleted: once their sockets are all freed, the
# namespaces go, and so must every entry of theirs.
busywait $SETTLE_MS tcp_table_only_live_netns
expect_eq no_table_entry_outlives_its_namespace 0 "$(table_entries_of_dead_netns)"

health=""
for c in untracked state_mismatch invalid_state probes_missed table_full alloc_failed; do
	health="$health $c=$(stat_value $c)"
done
expect_eq stats_show_no_lost_or_mismatched_events \
	" untracked=0 state_mismatch=0 invalid_state=0 probes_missed=0 table_full=0 alloc_failed=0" \
	"$health"

# About a thousand sockets in every state before insmod (a few hundred on
# the debug kernel): the module must find them all, and agree with ss at once.
tcpstate_unload
if [ $DEBUG_KERNEL = 1 ]; then
	set_mixed_counts 40 10 10 5 5 5 5 10 20 30
else
	set_mixed_counts 150 25 25 10 10 10 10 20 50 30
fi
if ! start_mixed_states; then
	echo "# set-up of every state did not complete: ss shows $(ss_counts)"
fi
before=$(ss_cookie_states | awk '{ print $1 }')
echo "# $(echo "$before" | wc -l) sockets open before insmod"
tcpstate_load || ktap_finish
expect_gauges_equal_ss load_with_sockets_open_gauges_equal_ss
expect_table_equals_ss load_with_sockets_open_table_equals_ss
rewound=$(sockets_read_twice)
expect_eq debugfs_sockets_rewound_reads_same_rows_again \
	"$(echo "$rewound" | awk '$1 > 0 { print $1, $1, "same" }')" "$rewound"
# Every socket open before insmod and still open is in the table as
# adopted, once. On the debug kernel some end meanwhile (SYN-ACK retries,
# FIN_WAIT2 timeouts): they were adopted too, so the adoption count lies
# between the sockets still open and those open before. A socket that
# ended while the walk found it is adopted, then swept: not counted.
echo "$before" | LC_ALL=C sort > "$tmp/before"
ss_cookie_states | awk '{ print $1 }' | LC_ALL=C sort > "$tmp/after"
still_open=$(LC_ALL=C comm -12 "$tmp/before" "$tmp/after" | wc -l)
table_adopted=$(awk 'NR > 1 && $10 == "adopted"' "$DEBUGFS/sockets" | wc -l)
adopted=$(($(stat_value adopted) - $(stat_value swept)))
in_range=no
[ "$adopted" -ge "$still_open" ] && [ "$adopted" -le "$(echo "$before" | wc -l)" ] && in_range=yes
echo "# adopted $adopted (less swept), open before insmod $(echo "$before" | wc -l), still open $still_open"
expect_eq load_with_sockets_open_adopts_each_once "table_adopted=$still_open adopted_in_range=yes" \
	"table_adopted=$table_adopted adopted_in_range=$in_range"
stop_mixed_states
cleanup_ns "$cli" "$srv"

tcpstate_unload
ktap_finish
