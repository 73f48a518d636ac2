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
)

ktap_plan $((${#bad_writes[@]} + 3))

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1

for row in "${bad_writes[@]}"; do
	IFS='|' read -r attr raw errno <<< "$row"
	printf -v value '%b' "$raw"
	before=$(cat "$SYSFS/$attr")
	got=$(sysfs_write "$SYSFS/$attr" "$value")
	after=$(cat "$SYSFS/$attr")
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

expect_eq sysfs_attributes_not_world_writable "" \
	"$(find $SYSFS -type f -perm -o+w)"

tcpstate_unload
ktap_finish
