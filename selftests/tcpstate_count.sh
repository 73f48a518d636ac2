#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tracepoint hook counts exactly: N loopback connections opened and
# closed by tcp_churn add exactly N to each transition a connection makes
# once, over IPv4 and IPv6, and nothing while enabled is 0.
source "$(dirname "$0")/lib.sh"

N=100

ktap_plan 7

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1

last_ack_close_reached() { [ "$(transitions LAST_ACK CLOSE)" -ge "$1" ]; }

# churn_delta ADDR FROM TO: run N connections, print the cell's increase
# once the last transition (the server's LAST_ACK>CLOSE) has been counted.
churn_delta()
{
	local before last_before
	before=$(transitions "$2" "$3")
	last_before=$(transitions LAST_ACK CLOSE)
	"$HELPERS/tcp_churn" "$1" "$N" || { echo "churn failed"; return; }
	busywait 5000 last_ack_close_reached $((last_before + N))
	echo $(($(transitions "$2" "$3") - before))
}

expect_eq ipv4_100_connections_add_100_close_syn_sent $N \
	"$(churn_delta 127.0.0.1 CLOSE SYN_SENT)"
expect_eq ipv4_100_connections_add_100_established_fin_wait1 $N \
	"$(churn_delta 127.0.0.1 ESTABLISHED FIN_WAIT1)"
expect_eq ipv4_100_connections_add_100_close_wait_last_ack $N \
	"$(churn_delta 127.0.0.1 CLOSE_WAIT LAST_ACK)"
expect_eq ipv6_100_connections_add_100_close_syn_sent $N \
	"$(churn_delta ::1 CLOSE SYN_SENT)"
expect_eq ipv6_100_connections_add_100_fin_wait2_time_wait $N \
	"$(churn_delta ::1 FIN_WAIT2 TIME_WAIT)"

echo 0 > $SYSFS/enabled
before=$(transitions CLOSE SYN_SENT)
"$HELPERS/tcp_churn" 127.0.0.1 10
expect_eq disabled_counts_nothing "$before" "$(transitions CLOSE SYN_SENT)"
echo 1 > $SYSFS/enabled

expect_eq no_invalid_states_seen 0 \
	"$(awk '$1 == "UNKNOWN" || $2 == "UNKNOWN"' $DEBUGFS/transitions | wc -l)"

tcpstate_unload
ktap_finish
