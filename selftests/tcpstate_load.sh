#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load, unload and reload: what must hold before anything else is tested.
# The module creates its debugfs and sysfs directories on load, removes
# them on unload, and survives 20 load/unload cycles with a fresh start
# each time. Module parameters out of range refuse the load; at their
# bounds they load and take effect.
source "$(dirname "$0")/lib.sh"

ktap_plan 10

tcpstate_loaded && tcpstate_unload

tcpstate_load
ktap_result load_succeeds $?

expected_version=$(sed -n 's/^#define TCPSTATE_VERSION "\(.*\)"/\1/p' \
	"$TOP/include/tcpstate/tcpstate.h")
expect_eq debugfs_version_is_module_version "$expected_version" \
	"$(cat $DEBUGFS/version 2>&1)"
expect_eq sysfs_enabled_defaults_to_1 1 "$(cat $SYSFS/enabled 2>&1)"
expect_eq transitions_header_names_columns "FROM TO COUNT" \
	"$(head -n1 $DEBUGFS/transitions 2>&1)"

tcpstate_unload
rc=$?
[ $rc -eq 0 ] && { [ -e $DEBUGFS ] || [ -e $SYSFS ]; } && rc=1
ktap_result unload_removes_debugfs_and_sysfs $rc

cycles_ok=0
for i in $(seq 20); do
	tcpstate_load || break
	[ -f $DEBUGFS/version ] && [ -f $SYSFS/enabled ] || break
	tcpstate_unload || break
	[ ! -e $DEBUGFS ] && [ ! -e $SYSFS ] || break
	cycles_ok=$i
done
expect_eq load_unload_20_times_in_a_row 20 "$cycles_ok"

# A reload starts from zero: nothing counted before it survives.
tcpstate_load
"$HELPERS/tcp_churn" 127.0.0.1 5 >/dev/null
tcpstate_unload
tcpstate_load
expect_eq reload_starts_with_empty_matrix "FROM TO COUNT" \
	"$(cat $DEBUGFS/transitions)"
tcpstate_unload

# insmod refuses each with ERANGE and leaves nothing loaded.
refused=
for param in syn_prefix_len4=7 syn_prefix_len4=33 syn_prefix_len6=31 syn_prefix_len6=129 \
	     tw_budget=2147483648; do
	err=$(insmod "$TCPSTATE_KO" $param 2>&1)
	case "$err" in
	*"Numerical result out of range"*) tcpstate_loaded || refused="$refused $param" ;;
	*) tcpstate_loaded && tcpstate_unload; echo "# $param: ${err:-loaded}" ;;
	esac
done
expect_eq out_of_range_params_refuse_load \
	" syn_prefix_len4=7 syn_prefix_len4=33 syn_prefix_len6=31 syn_prefix_len6=129 tw_budget=2147483648" \
	"$refused"

# The bounds load; a new syn_cap takes its prefix lengths from them, and
# tw_budget makes the global budget.
tcpstate_load syn_prefix_len4=8 syn_prefix_len6=128 tw_budget=2147483647
limit_add syn_caps port:9
expect_eq params_at_bounds_load_and_apply "8 128 2147483647" \
	"$(cat $LIMITS/syn_caps/port:9/prefix_len4 $LIMITS/syn_caps/port:9/prefix_len6 \
	       $LIMITS/tw_budgets/global/budget 2>&1 | paste -sd' ')"
limit_remove syn_caps port:9
tcpstate_unload

# Sockets that close while the module loads are followed to the end: an
# entry goes when its socket is freed, and none stays in CLOSE, which no
# sweep takes (a closed socket may still be some process's). tcp_churn's
# server sockets go LAST_ACK>CLOSE and are freed at once. Until
# 2026-12-06 the state tracepoint was hooked before inet_sock_destruct(),
# and the sockets freed in between stayed in the table for good.
close_entries() { awk 'NR > 1 && $5 == "CLOSE"' "$DEBUGFS/sockets" | wc -l; }
close_entries_are() { [ "$(close_entries)" -eq "$1" ]; }
"$HELPERS/tcp_churn" 127.0.0.1 3000 > /dev/null &
churn=$!
tcpstate_load
wait $churn
churn_rc=$?
busywait 5000 close_entries_are 0
expect_eq load_during_closes_leaves_no_close_entry "churn=0 close_entries=0 CLOSE=0" \
	"churn=$churn_rc close_entries=$(close_entries) CLOSE=$(gauge CLOSE)"
tcpstate_unload

ktap_finish
