#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Alerts (sysfs limits/alerts): an alert fires once, exactly when the count
# of its state in its scope rises to the threshold, and re-arms only when
# the count falls to threshold - hysteresis.
#
#   netns $a: loopback, holders on PORT and PORT_OTHER
#   netns $b: loopback, a holder on PORT
#
# A holder (helpers/close_wait.py) keeps server sockets in CLOSE_WAIT on
# command: its client shuts down its side, the server reads EOF and keeps
# its socket; closing one moves it to LAST_ACK. So the CLOSE_WAIT count of
# a port is exactly what the holders were told, at each step.
source "$(dirname "$0")/lib.sh"

PORT=7500
PORT_OTHER=7501
THRESHOLD=10
KEY=state:CLOSE_WAIT,port:$PORT
SETUP_MS=60000
POLL_TIMEOUT_S=60

tmp=$TEST_TMP
declare -A HOLDER_W HOLDER_R HOLDER_PID

cleanup()
{
	local h
	for h in "${!HOLDER_PID[@]}"; do
		holder_stop "$h"
	done
	cleanup_on_exit
}
trap cleanup EXIT

# holder_start NAME NS ADDR PORT: a close_wait.py in NS, fed through fifos.
holder_start()
{
	local name=$1 w r reply
	mkfifo "$tmp/$name.in" "$tmp/$name.out"
	ip netns exec "$2" python3 "$TOP/selftests/helpers/close_wait.py" "$3" "$4" \
		< "$tmp/$name.in" > "$tmp/$name.out" &
	HOLDER_PID[$name]=$!
	exec {w}> "$tmp/$name.in"
	exec {r}< "$tmp/$name.out"
	HOLDER_W[$name]=$w
	HOLDER_R[$name]=$r
	read -r -t 60 reply <&"$r" && [ "$reply" = "ok 0" ]
}

# holder NAME open|close K: the holder's answer ("ok HELD").
holder()
{
	local reply
	echo "$2 $3" >&"${HOLDER_W[$1]}"
	read -r -t 60 reply <&"${HOLDER_R[$1]}"
	[ "$reply" = "ok ${reply#ok }" ] || { echo "# holder $1: '$reply'"; return 1; }
}

# Holders inherit each other's fifo ends: end one with a signal, not EOF.
holder_stop()
{
	local w=${HOLDER_W[$1]} r=${HOLDER_R[$1]}
	kill "${HOLDER_PID[$1]}"
	wait "${HOLDER_PID[$1]}" 2> /dev/null
	exec {w}>&- {r}<&-
	unset "HOLDER_W[$1]" "HOLDER_R[$1]" "HOLDER_PID[$1]"
}

# alert KEY: "FIRED ARMED" from sysfs.
alert() { echo "$(cat "$LIMITS/alerts/$1/fired") $(cat "$LIMITS/alerts/$1/armed")"; }

alert_count() { limit_field alert "$1" COUNT; }

alert_is() { [ "$(alert_count "$1")" = "$2" ] && [ "$(alert "$1")" = "$3" ]; }

# settle KEY COUNT "FIRED ARMED": wait until the module counts COUNT and
# the alert reads FIRED ARMED; print what it reads then.
settle()
{
	busywait $SETUP_MS alert_is "$@"
	echo "$(alert_count "$1") $(alert "$1")"
}

# Kernel log lines naming the alert since log_mark (lib.sh) was called.
log_lines() { log_since "$alert_log_mark" | grep -F "tcpstate" | grep -cF "$1"; }

close_wait_everywhere() { in_all_netns ss -tanH state close-wait | wc -l; }
no_close_wait() { [ "$(close_wait_everywhere)" -eq 0 ]; }

ktap_plan 15

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1
setup_ns a b
ino_b=$(ns_inode "$b")
fired_before=$(stat_value alerts_fired)
FIRES=0

# --- one port ---------------------------------------------------------------

limit_add alerts "$KEY" threshold $THRESHOLD
alert_log_mark=$(log_mark)
holder_start port "$a" 127.0.0.1 $PORT
holder_start other "$a" 127.0.0.1 $PORT_OTHER
# Another port's CLOSE_WAIT sockets, more than the threshold, are not in scope.
holder other open $((THRESHOLD + 2))
holder port open $((THRESHOLD - 1))
expect_eq alert_below_threshold_count_9_not_fired_armed "9 0 1" "$(settle "$KEY" 9 "0 1")"

# A daemon waiting in poll() on fired is woken by the crossing.
rm -f "$tmp/ready"
python3 "$TOP/selftests/helpers/poll_wait.py" "$LIMITS/alerts/$KEY/fired" \
	"$tmp/ready" $POLL_TIMEOUT_S > "$tmp/poll" &
poller=$!
busywait $SETUP_MS test -e "$tmp/ready"
holder port open 1
expect_eq alert_fires_once_when_count_reaches_threshold "10 1 0" "$(settle "$KEY" 10 "1 0")"
FIRES=$((FIRES + 1))
wait $poller
expect_eq poll_on_fired_wakes_when_alert_fires "woke 1" "$(cat "$tmp/poll")"
busywait 5000 test "$(log_lines "$KEY")" -gt 0
expect_eq alert_logs_one_kernel_line_naming_it 1 "$(log_lines "$KEY")"

holder port open 5
expect_eq alert_does_not_fire_again_above_threshold "15 1 0" "$(settle "$KEY" 15 "1 0")"
holder port close 5
expect_eq alert_stays_disarmed_at_threshold "10 1 0" "$(settle "$KEY" 10 "1 0")"
holder port close 1
expect_eq alert_rearms_below_threshold_with_hysteresis_1 "9 1 1" "$(settle "$KEY" 9 "1 1")"
holder port open 1
expect_eq alert_fires_again_when_crossing_again "10 2 0" "$(settle "$KEY" 10 "2 0")"
FIRES=$((FIRES + 1))
busywait 5000 test "$(log_lines "$KEY")" -ge 2
expect_eq alert_logs_a_line_per_firing 2 "$(log_lines "$KEY")"

# Hysteresis 3: re-armed at 7, not at 8.
sysfs_write "$LIMITS/alerts/$KEY/hysteresis" 3 > /dev/null
holder port close 2
got="$(settle "$KEY" 8 "2 0")"
holder port close 1
got="$got, $(settle "$KEY" 7 "2 1")"
holder port open 3
got="$got, $(settle "$KEY" 10 "3 0")"
FIRES=$((FIRES + 1))
expect_eq alert_hysteresis_3_rearms_at_7_not_8 "8 2 0, 7 2 1, 10 3 0" "$got"
expect_eq debugfs_limits_alert_line \
	"alert $KEY CLOSE_WAIT 10 15 $THRESHOLD 0 0 3" \
	"$(awk -v k="$KEY" '$1 == "alert" && $2 == k' $DEBUGFS/limits)"

limit_remove alerts "$KEY"
holder_stop port
holder_stop other

# --- global and netns -------------------------------------------------------

# Every namespace counts: 3 in $a and 1 in $b reach 4.
busywait $SETUP_MS no_close_wait
limit_add alerts state:CLOSE_WAIT threshold 4
holder_start a "$a" 127.0.0.1 $PORT
holder_start b "$b" 127.0.0.1 $PORT
holder a open 3
got="$(settle state:CLOSE_WAIT 3 "0 1")"
holder b open 1
got="$got, $(settle state:CLOSE_WAIT 4 "1 0")"
FIRES=$((FIRES + 1))
expect_eq global_alert_4_counts_every_namespace "3 0 1, 4 1 0" "$got"
limit_remove alerts state:CLOSE_WAIT

# Only $b counts: 5 more in $a do nothing, 3 in $b fire it.
key=state:CLOSE_WAIT,netns:$ino_b
limit_add alerts "$key" threshold 3
got="$(settle "$key" 1 "0 1")"
holder a open 5
holder b open 1
got="$got, $(settle "$key" 2 "0 1")"
holder b open 1
got="$got, $(settle "$key" 3 "1 0")"
FIRES=$((FIRES + 1))
expect_eq netns_alert_3_counts_only_its_namespace "1 0 1, 2 0 1, 3 1 0" "$got"
limit_remove alerts "$key"
holder_stop a
holder_stop b

expect_eq stats_alerts_fired_counts_every_firing $FIRES \
	$(($(stat_value alerts_fired) - fired_before))
expect_eq debugfs_limits_empty_after_removal "TYPE KEY STATE COUNT HIGH LIMIT DROPS EVICTIONS FIRED" \
	"$(cat $DEBUGFS/limits)"

cleanup_all_ns
tcpstate_unload
ktap_finish
