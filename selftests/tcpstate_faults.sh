#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures: every sysfs write that allocates is repeated with
# its first, second, third... fault-injection point failing
# (/proc/thread-self/fail-nth: failslab and fail_page_alloc), until a
# write meets no more points; so is the load (see the end). Each write with a failed allocation must
# either fail with ENOMEM and change nothing, or succeed and leave what
# the same write leaves without faults (an allocation the kernel retries
# another way, such as kvmalloc()'s vmalloc after kmalloc); the
# configuration is read back and compared after each one
# (helpers/faultloop.c runs each loop in one process). On the debug
# kernel, KASAN and kmemleak watch every error path this takes.
#
# Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and CONFIG_FAIL_PAGE_ALLOC,
# which only the debug kernel has: elsewhere it skips, there it must run.
source "$(dirname "$0")/lib.sh"

FAULTS=/sys/kernel/debug
if [ ! -e /proc/thread-self/fail-nth ] || [ ! -d $FAULTS/failslab ] ||
   [ ! -d $FAULTS/fail_page_alloc ]; then
	if debug_kernel; then
		ktap_plan 1
		ktap_result fault_injection_available 1 \
			"the debug kernel lacks fail-nth, failslab or fail_page_alloc"
		ktap_finish
	fi
	echo "1..0 # SKIP no fault injection in this kernel (the debug kernel has it)"
	exit $ksft_skip
fi

# One write of each kind that allocates: file under $SYSFS|value|the
# write that undoes it|what must be in place first (file value pairs).
# Each starts from no limit, then its setup.
CAP=port:9001
writes=(
	"limits/syn_caps/add|$CAP|limits/syn_caps/remove $CAP|"
	"limits/syn_caps/$CAP/prefix_max|8|limits/syn_caps/$CAP/prefix_max 0|limits/syn_caps/add $CAP"
	"limits/syn_caps/$CAP/prefix_len4|16|limits/syn_caps/$CAP/prefix_len4 24|limits/syn_caps/add $CAP limits/syn_caps/$CAP/prefix_max 8"
	"limits/tw_budgets/add|port:9002|limits/tw_budgets/remove port:9002|"
	"limits/tw_budgets/add|global|limits/tw_budgets/remove global|"
	"limits/alerts/add|state:CLOSE_WAIT,port:9003|limits/alerts/remove state:CLOSE_WAIT,port:9003|"
	"log_size|4096|log_size 1024|log_size 1024"
)
ktap_plan $((${#writes[@]} + 2))

# apply "FILE VALUE ...": plain writes; fails loudly.
apply()
{
	local -a pairs
	local i rc

	read -r -a pairs <<< "$1"
	for ((i = 0; i + 1 < ${#pairs[@]}; i += 2)); do
		rc=$(sysfs_write "$SYSFS/${pairs[i]}" "${pairs[i + 1]}")
		[ "$rc" = OK ] || { echo "# ${pairs[i]} ${pairs[i + 1]}: $rc"; return 1; }
	done
}

# Faults fail quietly: their reports would read as splats, and what the
# test needs is the write's result. Sleeping allocations fail too: all
# of the module's do.
for f in failslab fail_page_alloc; do
	echo 0 > $FAULTS/$f/verbose
	echo N > $FAULTS/$f/ignore-gfp-wait
done
echo N > $FAULTS/fail_page_alloc/ignore-gfp-highmem

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1

for i in "${!writes[@]}"; do
	IFS='|' read -r file value undo setup <<< "${writes[i]}"
	read -r undo_file undo_value <<< "$undo"
	out=$(apply "$setup") &&
		out=$("$HELPERS/faultloop" "$SYSFS/$file" "$value" "$SYSFS/$undo_file" "$undo_value")
	rc=$?
	[ -n "$out" ] && echo "$out"
	name=$(echo "$file=$value" | tr -c 'A-Za-z0-9=\n' _)
	ktap_result "faults_in_${name}" $rc
	# Back to nothing configured but the defaults, for the next case.
	for key in "$CAP" port:9002 global state:CLOSE_WAIT,port:9003; do
		for kind in syn_caps tw_budgets alerts; do
			[ -d "$LIMITS/$kind/$key" ] && sysfs_write "$LIMITS/$kind/remove" "$key" > /dev/null
		done
	done
done

# After every failed path: the module still unloads cleanly, and what it
# allocated is gone (kmemleak reports on the console fail the run).
tcpstate_unload
rc=$?
ktap_result unload_after_faults $rc

# Every error path of the load: each of the init's allocations fails in
# turn (helpers/faultload.c), with the global TIME_WAIT budget of
# tw_budget=, which the load makes last: a plain load's points are the
# same but that one, and a walk costs about 13 minutes. A failed load must
# return ENOMEM and leave no module, debugfs or sysfs directory; one the
# kernel saved must unload; no debugfs file may be open while a load
# fails (its close would run the freed module's code). faultload finds
# the init's points through the module_load trace event. Some kernel
# paths print a stack of their own on an allocation failure: the markers
# tell scripts/vm which to expect.
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
echo "tcpstate-selftest: injected faults begin" > /dev/kmsg
"$HELPERS/faultload" "$TCPSTATE_KO" tw_budget=100
ktap_result faults_in_load_tw_budget_100 $?
echo "tcpstate-selftest: injected faults end" > /dev/kmsg
ktap_finish
