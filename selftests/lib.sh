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

tcpstate_unload()
{
	rmmod tcpstate
}

# transitions FROM TO: the matrix cell, 0 when the pair was never seen.
transitions()
{
	awk -v f="$1" -v t="$2" 'NR > 1 && $1 == f && $2 == t { n = $3 } END { print n + 0 }' \
		"$DEBUGFS/transitions"
}

# sysfs_write FILE DATA: write DATA in one write(2); print OK or the errno name.
sysfs_write()
{
	"$HELPERS/swrite" "$1" "$2"
}

trap cleanup_all_ns EXIT
