#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load, unload and reload: what must hold before anything else is tested.
# The module creates its debugfs and sysfs directories on load, removes
# them on unload, and survives 20 load/unload cycles with a fresh start
# each time.
source "$(dirname "$0")/lib.sh"

ktap_plan 7

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

ktap_finish
