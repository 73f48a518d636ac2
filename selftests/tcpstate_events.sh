#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The transition log. One scripted IPv6 connection: the events stream
# holds every transition of both ends, in order, and each record's dwell
# time is exactly the time since that socket's previous record. Then a
# log forced to 16 records per CPU, not read while 100 connections run:
# the records read plus the "# lost N" counts equal the records written,
# which equal the transitions the matrix counted.
source "$(dirname "$0")/lib.sh"

ktap_plan 7

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1
drain() { python3 "$TOP/selftests/helpers/drain.py" $DEBUGFS/events; }
# For busywait: arguments are expanded once, so the reading must be inside.
last_acks_at_least() { [ "$(transitions LAST_ACK CLOSE)" -ge "$1" ]; }

drain > /dev/null
"$HELPERS/tcp_churn" ::1 1
busywait 5000 last_acks_at_least 1
log=$(drain)

# Field 9 and 10 are OLD and NEW; the client is the SYN_SENT socket.
client=$(echo "$log" | awk '$9 == "CLOSE" && $10 == "SYN_SENT" { print $4 }')
server=$(echo "$log" | awk '$9 == "LISTEN" && $10 == "SYN_RECV" { print $4 }')
path() { echo "$log" | awk -v c="$1" '$4 == c { printf "%s%s>%s", n++ ? "," : "", $9, $10 }'; }
expect_eq events_client_path_in_order \
	"CLOSE>SYN_SENT,SYN_SENT>ESTABLISHED,ESTABLISHED>FIN_WAIT1,FIN_WAIT1>FIN_WAIT2,FIN_WAIT2>TIME_WAIT" \
	"$(path "$client")"
expect_eq events_server_path_in_order \
	"LISTEN>SYN_RECV,SYN_RECV>ESTABLISHED,ESTABLISHED>CLOSE_WAIT,CLOSE_WAIT>LAST_ACK,LAST_ACK>CLOSE" \
	"$(path "$server")"
# A record's DWELL_NS (field 11) is its TS_NS (field 1) minus the previous one's.
bad_dwell=$(echo "$log" | awk -v a="$client" -v b="$server" '
	$4 == a || $4 == b { if ($4 in last && $11 != $1 - last[$4]) n++; last[$4] = $1 }
	END { print n + 0 }')
expect_eq events_dwell_is_time_since_previous_transition 0 "$bad_dwell"
expect_eq events_kind_tells_request_from_child "request full" \
	"$(echo "$log" | awk -v c="$server" '$4 == c && NR { k[++n] = $6 } END { print k[1], k[2] }')"

# Forced-tiny log, nobody reading: it must lose records and say exactly
# how many. Counting is off while the stage is set, so that the timewait
# socks of earlier tests, which may die at any moment, write nothing
# outside the window measured.
echo 0 > $SYSFS/enabled
drain > /dev/null
echo 16 > $SYSFS/log_size
sysfs_write $SYSFS/reset 1 > /dev/null
written_before=$(awk '$1 == "log_written" { print $2 }' $DEBUGFS/stats)
echo 1 > $SYSFS/enabled
"$HELPERS/tcp_churn" 127.0.0.1 100
busywait 5000 last_acks_at_least 100
# Stop counting: timewait socks of earlier tests may die at any moment,
# and must not write between the drain and the reading of stats.
echo 0 > $SYSFS/enabled
log=$(drain)
written=$(($(awk '$1 == "log_written" { print $2 }' $DEBUGFS/stats) - written_before))
read_records=$(echo "$log" | grep -vc '^#')
lost=$(echo "$log" | awk '$1 == "#" && $2 == "lost" { n += $3 } END { print n + 0 }')
expect_eq events_tiny_log_lost_records yes "$([ "$lost" -gt 0 ] && echo yes)"
expect_eq events_read_plus_lost_equal_written "$written" "$((read_records + lost))"
expect_eq events_written_equal_transitions_counted \
	"$(awk 'NR > 1 { n += $3 } END { print n }' $DEBUGFS/transitions)" "$written"
echo 1 > $SYSFS/enabled

tcpstate_unload
ktap_finish
