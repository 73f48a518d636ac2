#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload under traffic: 6 insmod/rmmod cycles while connection
# storms (IPv4 and IPv6 churn, and SYNs left half-open) run, and readers
# hold debugfs files open. Unload must wait out every in-flight
# handler; any splat on the console fails the guest run (scripts/vm).
# tcpstate_load.sh loads and unloads 20 times in a row without traffic.
source "$(dirname "$0")/lib.sh"

# Each cycle under the storm takes about 65 s on the debug kernel under
# single-threaded TCG, by the console's "loaded" and "unloaded" lines
# (about 30 s from each to the next): 20 cycles took 1357 s here and
# outran the script's 1350 s timeout on CI as well.
CYCLES=6

ktap_plan 4

tcpstate_loaded && tcpstate_unload

stop=$TEST_TMP/stop
rm -f $stop
storm()
{
	while [ ! -e $stop ]; do
		"$HELPERS/tcp_churn" "$1" 50 >/dev/null 2>&1 || true
	done
}
# events and events_raw block when empty, like trace_pipe: read them
# non-blocking, or a reader would pin the module for good. A pause after
# each pass leaves the guest's two vCPUs, one host thread under TCG, to
# the storms and to insmod and rmmod; the files stay open and read all
# through every cycle.
readers()
{
	local f
	while [ ! -e $stop ]; do
		for f in $DEBUGFS/*; do
			case $f in
			*/events|*/events_raw)
				dd if="$f" of=/dev/null bs=64k iflag=nonblock status=none 2>/dev/null ;;
			*/netns) ;;
			*)
				cat "$f" >/dev/null 2>&1 ;;
			esac
		done
		sleep 0.2
	done
}
storm 127.0.0.1 & p1=$!
storm ::1 & p2=$!
readers & p3=$!

events_seen() { [ "$(awk '$1 == "events" { print $2 }' $DEBUGFS/stats 2>/dev/null)" -gt 0 ] 2>/dev/null; }

ok=0
for i in $(seq $CYCLES); do
	tcpstate_load || break
	busywait 2000 events_seen || break
	tcpstate_unload || break
	ok=$i
done
touch $stop
wait $p1 $p2 $p3
expect_eq rmmod_during_connection_storm_${CYCLES}_times $CYCLES "$ok"

# After the storm: a fresh load adopts every socket the kernel still has.
# The table is read first and ss after it: no socket is born in between
# (the storm is over), but the TIME_WAIT socks of the storm's first
# seconds expire by the hundred once it has run a minute, so counts taken
# a moment apart differ by those. Every cookie ss still lists must be in
# the table.
tcpstate_load
table_cookie_states | awk '{ print $1 }' | LC_ALL=C sort -u > $TEST_TMP/table
ss_cookie_states | awk '{ print $1 }' | LC_ALL=C sort -u > $TEST_TMP/ss
listed=$(wc -l < $TEST_TMP/ss)
missing=$(LC_ALL=C comm -13 $TEST_TMP/table $TEST_TMP/ss | wc -l)
echo "# after the storm: ss lists $listed sockets, the table holds" \
	"$(wc -l < $TEST_TMP/table)"
[ "$listed" -gt 0 ]
ktap_result storm_left_sockets_to_adopt $? "ss lists none: nothing to check adoption on"
expect_eq reload_after_storm_adopts_every_socket 0 "$missing"
[ "$missing" -eq 0 ] ||
	grep -E '^(adopted|table_full|alloc_failed) ' $DEBUGFS/stats | sed 's/^/# /'
tcpstate_unload
ktap_result unload_after_storm $?

ktap_finish
