# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for tcpstate selftests, in the manner of
# tools/testing/selftests/net/lib.sh. Sourced by every tcpstate_*.sh; runs
# inside a guest (scripts/vm), never on the machine itself.
#
# Each script is one KTAP suite: it calls ktap_plan with its test count,
# then ktap_result once per test, and exits non-zero if any failed.

ksft_skip=4

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCPSTATE_KO=${TCPSTATE_KO:-$TOP/build/$(uname -r)/tcpstate.ko}
HELPERS=${TCPSTATE_HELPERS:-$TOP/build/selftests}
DEBUGFS=/sys/kernel/debug/tcpstate
SYSFS=/sys/kernel/tcpstate

ktap_planned=0
ktap_count=0
ktap_failed=0

ktap_plan()
{
	ktap_planned=$1
	echo "KTAP version 1"
	echo "1..$1"
}

# ktap_result NAME RC [DIAGNOSTIC...]: RC 0 is ok, $ksft_skip a skip.
ktap_result()
{
	local name=$1 rc=$2
	shift 2
	ktap_count=$((ktap_count + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $ktap_count $name"
	elif [ "$rc" -eq "$ksft_skip" ]; then
		echo "ok $ktap_count $name # SKIP $*"
	else
		[ $# -gt 0 ] && echo "# $name: $*"
		echo "not ok $ktap_count $name"
		ktap_failed=$((ktap_failed + 1))
	fi
}

# Call last: a test the plan promised but the script never ran is a failure.
ktap_finish()
{
	while [ "$ktap_count" -lt "$ktap_planned" ]; do
		ktap_result "missing_test_$((ktap_count + 1))" 1 "script ended early"
	done
	[ "$ktap_failed" -eq 0 ]
	exit $?
}

# require_tools TOOL...: scripts/deps installs every tool a script runs,
# so one missing is a failure of the run, not a reason to skip.
require_tools()
{
	local tool

	for tool in "$@"; do
		command -v "$tool" > /dev/null && continue
		ktap_plan 1
		ktap_result tools_installed 1 "$tool not installed (scripts/deps installs it)"
		ktap_finish
	done
}

# expect_eq NAME EXPECTED ACTUAL: the one assertion most tests need.
expect_eq()
{
	if [ "$2" = "$3" ]; then
		ktap_result "$1" 0
	else
		ktap_result "$1" 1 "expected '$2', got '$3'"
	fi
}

# busywait TIMEOUT_MS CMD...: poll CMD until it succeeds; never a bare sleep.
# CMD's arguments are expanded once, by the caller: to poll a value, make
# CMD a function that computes it ("test "$(count)" -eq 3" would poll one
# stale count).
busywait()
{
	local timeout_ms=$1 start now
	shift
	start=$(date +%s%3N)
	while true; do
		"$@" && return 0
		now=$(date +%s%3N)
		[ $((now - start)) -ge "$timeout_ms" ] && return 1
		sleep 0.05
	done
}

# setup_ns VAR...: create a namespace per VAR with a unique name, store the
# name in VAR, bring its loopback up; all are deleted on exit.
NS_LIST=()
setup_ns()
{
	local var name
	for var in "$@"; do
		name="$var-$(mktemp -u XXXXXX)"
		ip netns add "$name" || return 1
		ip -n "$name" link set lo up
		NS_LIST+=("$name")
		eval "$var=$name"
	done
}

# cleanup_ns NAME...: delete these namespaces now (their TIME_WAIT socks are
# purged, every socket in them freed), and forget them.
cleanup_ns()
{
	local ns kept=()
	for ns in "$@"; do
		ip netns del "$ns"
	done
	for ns in "${NS_LIST[@]}"; do
		[[ " $* " == *" $ns "* ]] || kept+=("$ns")
	done
	NS_LIST=("${kept[@]}")
}

# ns_inode NAME: the namespace's inode number, as debugfs sockets shows it.
ns_inode()
{
	stat -L -c %i "/run/netns/$1"
}

# in_all_netns CMD...: run CMD in the initial namespace, then in every
# named one (ip netns list).
in_all_netns()
{
	local ns
	"$@"
	for ns in $(ip netns list | awk '{ print $1 }'); do
		ip netns exec "$ns" "$@"
	done
}

cleanup_all_ns()
{
	local ns
	for ns in "${NS_LIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	NS_LIST=()
}

tcpstate_loaded()
{
	grep -q '^tcpstate ' /proc/modules
}

tcpstate_load()
{
	insmod "$TCPSTATE_KO" "$@"
}

# A reader holding a debugfs file open pins the module (EBUSY): retry
# for a while, as an operator would.
tcpstate_unload()
{
	busywait 5000 rmmod tcpstate 2>/dev/null || rmmod tcpstate
}

# transitions FROM TO: the matrix cell, 0 when the pair was never seen.
transitions()
{
	awk -v f="$1" -v t="$2" 'NR > 1 && $1 == f && $2 == t { n = $3 } END { print n + 0 }' \
		"$DEBUGFS/transitions"
}

# matrix_snapshot FILE: save the transition matrix, for matrix_delta.
matrix_snapshot()
{
	cat "$DEBUGFS/transitions" > "$1"
}

# matrix_delta FILE: what the whole matrix gained since the snapshot, on
# one line: FROM>TO=N for every pair that changed, sorted.
matrix_delta()
{
	awk 'NR == FNR { if (FNR > 1) before[$1 ">" $2] = $3; next }
	     FNR > 1 { d = $3 - before[$1 ">" $2]; if (d) print $1 ">" $2 "=" d }' \
		"$1" "$DEBUGFS/transitions" | LC_ALL=C sort | paste -sd' '
}

# sorted_words WORD...: the words on one line, in matrix_delta's order.
sorted_words()
{
	printf '%s\n' "$@" | LC_ALL=C sort | paste -sd' '
}

# The states ss can list, in the kernel's order: every gauge but CLOSE.
SS_STATES="ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE_WAIT LAST_ACK LISTEN CLOSING"

# awk prologue: m[ss state name] = tcpstate state name.
SS_STATE_MAP='BEGIN {
	m["ESTAB"] = "ESTABLISHED"; m["SYN-SENT"] = "SYN_SENT"
	m["SYN-RECV"] = "SYN_RECV"; m["FIN-WAIT-1"] = "FIN_WAIT1"
	m["FIN-WAIT-2"] = "FIN_WAIT2"; m["TIME-WAIT"] = "TIME_WAIT"
	m["CLOSE-WAIT"] = "CLOSE_WAIT"; m["LAST-ACK"] = "LAST_ACK"
	m["LISTEN"] = "LISTEN"; m["CLOSING"] = "CLOSING"; m["UNCONN"] = "CLOSE"
}'

# gauge STATE: the module's gauge of STATE (debugfs states), "missing" if
# it lists no such state.
gauge()
{
	awk -v s="$1" 'NR > 1 && $1 == s { n = $2 } END { print n == "" ? "missing" : n }' \
		"$DEBUGFS/states"
}

# gauge_counts: debugfs states as one line STATE=N, for SS_STATES.
gauge_counts()
{
	local s
	for s in $SS_STATES; do
		printf '%s=%s\n' "$s" "$(gauge "$s")"
	done | paste -sd' '
}

# ss_counts: what `ss -tan` lists in every namespace, as gauge_counts prints it.
ss_counts()
{
	in_all_netns ss -tanH | awk "$SS_STATE_MAP"'
		{ n[$1 in m ? m[$1] : $1]++ }
		END {
			k = split(states, order, " ")
			for (i = 1; i <= k; i++)
				printf "%s=%d%s", order[i], n[order[i]], i < k ? " " : "\n"
		}' states="$SS_STATES"
}

# ss_cookie_states: "COOKIE STATE NETNS" for every socket ss lists in every
# namespace (ss -e prints the cookie as sk:<hex>; NETNS is the namespace's
# inode), sorted. ss -e complains on stderr when it finds no cgroup2 mount.
ss_cookie_states()
{
	local ns
	{
		ss -taneH 2> /dev/null | ss_cookie_filter "$(stat -L -c %i /proc/self/ns/net)"
		for ns in $(ip netns list | awk '{ print $1 }'); do
			ip netns exec "$ns" ss -taneH 2> /dev/null |
				ss_cookie_filter "$(ns_inode "$ns")"
		done
	} | LC_ALL=C sort -u
}

ss_cookie_filter()
{
	awk -v ino="$1" "$SS_STATE_MAP"'
		{ for (i = 2; i <= NF; i++) if ($i ~ /^sk:/) print substr($i, 4), ($1 in m ? m[$1] : $1), ino }'
}

# table_cookie_states: "COOKIE STATE NETNS" for every entry of debugfs
# sockets but those in CLOSE (which ss does not list), sorted.
table_cookie_states()
{
	awk 'NR > 1 && $5 != "CLOSE" { print $1, $5, $2 }' "$DEBUGFS/sockets" | LC_ALL=C sort -u
}

# table_entries_in_netns INODE...: how many debugfs sockets entries belong
# to these namespaces.
table_entries_in_netns()
{
	awk -v inos=" $* " 'NR > 1 && index(inos, " " $2 " ") { n++ } END { print n + 0 }' \
		"$DEBUGFS/sockets"
}

# table_entries_of_dead_netns: debugfs sockets entries whose namespace is
# neither the initial one nor a named one (ip netns list): left by a
# namespace that is deleted, alive until its last socket goes.
table_entries_of_dead_netns()
{
	local live ns
	live="$(stat -L -c %i /proc/self/ns/net)"
	for ns in $(ip netns list | awk '{ print $1 }'); do
		live="$live $(ns_inode "$ns")"
	done
	awk -v live=" $live " 'NR > 1 && !index(live, " " $2 " ") { n++ } END { print n + 0 }' \
		"$DEBUGFS/sockets"
}

tcp_table_only_live_netns() { [ "$(table_entries_of_dead_netns)" -eq 0 ]; }

# wait_tcp_idle TIMEOUT_MS: until the initial namespace has no TCP socket,
# TIME_WAIT socks (of loopback tests run earlier) aborted with ss -K.
wait_tcp_idle()
{
	ss -K -tan state time-wait > /dev/null 2>&1
	busywait "$1" tcp_idle
}

tcp_idle() { [ -z "$(ss -tanH)" ]; }

# expect_same_lines NAME LABEL_A FILE_A LABEL_B FILE_B: both sorted files
# hold the same lines; on failure, say what each has that the other lacks.
expect_same_lines()
{
	local name=$1 la=$2 a=$3 lb=$4 b=$5 only_a only_b
	only_a=$(LC_ALL=C comm -23 "$a" "$b")
	only_b=$(LC_ALL=C comm -13 "$a" "$b")
	if [ -z "$only_a$only_b" ]; then
		ktap_result "$name" 0
		return
	fi
	ktap_result "$name" 1 "$la $(wc -l < "$a") lines, $lb $(wc -l < "$b");" \
		"only in $la: $(echo "$only_a" | grep -c .) (first: $(echo "$only_a" | head -n 5 | paste -sd,));" \
		"only in $lb: $(echo "$only_b" | grep -c .) (first: $(echo "$only_b" | head -n 5 | paste -sd,))"
}

# stat_value NAME: one counter of debugfs stats.
stat_value()
{
	awk -v c="$1" 'NR > 1 && $1 == c { v = $2 } END { print v == "" ? "missing" : v }' \
		"$DEBUGFS/stats"
}

# netns_counter NS NAME: one of the kernel's SNMP counters (nstat's name,
# TcpExtTCPFastOpenPassive say) in netns NS, since the netns was made.
netns_counter()
{
	ip netns exec "$1" nstat -asz "$2" | awk 'NR > 1 { print $2 }'
}

# sysfs_write FILE DATA: write DATA in one write(2); print OK or the errno name.
sysfs_write()
{
	"$HELPERS/swrite" "$1" "$2"
}

# --- limits (Documentation/ABI/testing/sysfs-kernel-tcpstate) -------------

LIMITS=$SYSFS/limits

# limit_field TYPE KEY COLUMN: one column of the debugfs limits line of
# TYPE (syn_cap, syn_prefix, tw_budget, alert) and KEY, found by the
# header's name for it (COUNT, HIGH, LIMIT, DROPS, EVICTIONS, FIRED, ...);
# "missing" when there is no such line.
limit_field()
{
	awk -v t="$1" -v k="$2" -v c="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == t && $2 == k && (c in col) { v = $col[c] }
		END { print v == "" ? "missing" : v }' "$DEBUGFS/limits"
}

# limit_add KIND KEY [ATTR VALUE]...: create a limit object (KIND:
# syn_caps, tw_budgets, alerts) and set its attributes; fails loudly.
limit_add()
{
	local kind=$1 key=$2 rc
	shift 2
	rc=$(sysfs_write "$LIMITS/$kind/add" "$key")
	[ "$rc" = OK ] || { echo "# add $kind $key: $rc"; return 1; }
	while [ $# -ge 2 ]; do
		rc=$(sysfs_write "$LIMITS/$kind/$key/$1" "$2")
		[ "$rc" = OK ] || { echo "# $kind $key $1=$2: $rc"; return 1; }
		shift 2
	done
}

# limit_remove KIND KEY
limit_remove()
{
	local rc
	rc=$(sysfs_write "$LIMITS/$1/remove" "$2")
	[ "$rc" = OK ] || { echo "# remove $1 $2: $rc"; return 1; }
}

# log_mark: writes a line of its own to the kernel log and prints it, for
# log_since. Counting matches in the whole of dmesg before and after goes
# wrong once the ring buffer wraps: the lines that leave it come off the
# count (a debug-kernel run once measured -1 splats that way).
log_mark()
{
	local mark

	mark="tcpstate-selftest: log mark $(date +%s%N) $BASHPID"
	echo "$mark" > /dev/kmsg
	echo "$mark"
}

# log_since MARK: the kernel log lines after MARK. Fails, printing nothing,
# when MARK has left the buffer, so that a count taken from it cannot pass
# by having lost the lines it was to count.
log_since()
{
	dmesg | awk -v mark="$1" 'seen { print } index($0, mark) { seen = 1 } END { exit !seen }'
}

# debug_kernel: true on the debug kernel (KASAN, lockdep, kmemleak), which
# runs several times slower under TCG: scripts scale their counts by it.
debug_kernel()
{
	case "$(uname -r)" in *tcpstate-debug*) return 0 ;; esac
	return 1
}

# A scratch directory of the script's own, gone when it exits: marker files
# and lists go here, not to fixed paths that another run could share.
TEST_TMP=$(mktemp -d /tmp/tcpstate-selftest.XXXXXX)

# A script with more to undo traps its own cleanup and ends it with this.
cleanup_on_exit()
{
	cleanup_all_ns
	rm -rf "$TEST_TMP"
}

trap cleanup_on_exit EXIT
