#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sysfs: every attribute accepts exactly its documented values, and every
# bad write fails with the documented errno and changes nothing (read back
# and compared). A zero-length write never reaches a store method (kernfs
# returns 0 first), so the shortest bad write tested is a bare newline.
source "$(dirname "$0")/lib.sh"

# attribute|value|expected result of the write; value takes printf %b escapes
bad_writes=(
	"enabled|\\n|EINVAL"
	"enabled|2|EINVAL"
	"enabled|-1|EINVAL"
	"enabled|01|EINVAL"
	"enabled|+1|EINVAL"
	"enabled|1 |EINVAL"
	"enabled|yes|EINVAL"
	"enabled|on|EINVAL"
	"enabled|0x1|EINVAL"
	"enabled|99999999999999999999|EINVAL"
	"max_sockets|\\n|EINVAL"
	"max_sockets|abc|EINVAL"
	"max_sockets|-1|EINVAL"
	"max_sockets|+5|EINVAL"
	"max_sockets|1.5|EINVAL"
	"max_sockets|0|ERANGE"
	"max_sockets|67108865|ERANGE"
	"max_sockets|99999999999999999999|ERANGE"
	"log_size|\\n|EINVAL"
	"log_size|x|EINVAL"
	"log_size|-16|EINVAL"
	"log_size|15|ERANGE"
	"log_size|0|ERANGE"
	"log_size|1048577|ERANGE"
	"log_size|99999999999999999999|ERANGE"
	"reset|0|EINVAL"
	"reset|2|EINVAL"
	"reset|yes|EINVAL"
)

ktap_plan $((${#bad_writes[@]} + 8))

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1

for row in "${bad_writes[@]}"; do
	IFS='|' read -r attr raw errno <<< "$row"
	printf -v value '%b' "$raw"
	before=$(cat "$SYSFS/$attr" 2>/dev/null || stat -c %s "$SYSFS/$attr")
	got=$(sysfs_write "$SYSFS/$attr" "$value")
	after=$(cat "$SYSFS/$attr" 2>/dev/null || stat -c %s "$SYSFS/$attr")
	name="${attr}_rejects_$(printf '%s' "$value" | tr -c 'A-Za-z0-9+-' '_')"
	[ "$value" = $'\n' ] && name="${attr}_rejects_bare_newline"
	if [ "$got" = "$errno" ] && [ "$before" = "$after" ]; then
		ktap_result "$name" 0
	else
		ktap_result "$name" 1 "write '$value' gave $got (want $errno), value $before -> $after"
	fi
done

sysfs_write $SYSFS/enabled 0 >/dev/null
expect_eq enabled_accepts_0 0 "$(cat $SYSFS/enabled)"
sysfs_write $SYSFS/enabled $'1\n' >/dev/null
expect_eq enabled_accepts_1_with_newline 1 "$(cat $SYSFS/enabled)"

default_max=$(cat $SYSFS/max_sockets)
sysfs_write $SYSFS/max_sockets 5000 >/dev/null
expect_eq max_sockets_accepts_5000 5000 "$(cat $SYSFS/max_sockets)"
sysfs_write $SYSFS/max_sockets "$default_max" >/dev/null
# Nobody reads the log here: a resize drops every record written so far
# and counts each one as lost. Counting stops meanwhile, so that timewait
# socks of earlier tests dying now cannot write between the two reads.
"$HELPERS/tcp_churn" 127.0.0.1 3 >/dev/null
sysfs_write $SYSFS/enabled 0 >/dev/null
written=$(awk '$1 == "log_written" { print $2 }' $DEBUGFS/stats)
sysfs_write $SYSFS/log_size 100 >/dev/null
expect_eq log_size_rounds_100_up_to_128 128 "$(cat $SYSFS/log_size)"
expect_eq log_size_change_counts_unread_records_lost "$written" \
	"$(awk '$1 == "log_lost" { print $2 }' $DEBUGFS/stats)"
sysfs_write $SYSFS/enabled 1 >/dev/null

# reset clears counters, keeps gauges: one listener stays a listener.
# Request socks that earlier scripts' floods left in namespaces since
# deleted die at their next SYN-ACK timer, up to half a minute on, each a
# SYN_RECV -> CLOSE after the reset: wait until none is left (the gauge
# counts them, adopted at load).
no_request_socks() { [ "$(gauge SYN_RECV)" = 0 ]; }
busywait 60000 no_request_socks || echo "# SYN_RECV gauge still $(gauge SYN_RECV) after 60 s"
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(sys.argv[1], "w").close(); time.sleep(60)' "$TEST_TMP/sysfs-listener" &
listener=$!
busywait 30000 test -e "$TEST_TMP/sysfs-listener" || echo "# the listener did not come up"
sysfs_write $SYSFS/reset 1 >/dev/null
expect_eq reset_clears_transitions "FROM TO COUNT" "$(cat $DEBUGFS/transitions)"
expect_eq reset_keeps_gauges 1 "$(gauge LISTEN)"
kill $listener; rm -f "$TEST_TMP/sysfs-listener"

expect_eq sysfs_attributes_not_world_writable "" \
	"$(find $SYSFS -type f -perm -o+w)"

tcpstate_unload
ktap_finish
