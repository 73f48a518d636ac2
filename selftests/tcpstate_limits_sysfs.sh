#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sysfs limits/: every control file and attribute accepts exactly its
# documented values (Documentation/ABI/testing/sysfs-kernel-tcpstate),
# and every bad write fails with the documented errno and changes
# nothing: after each one, every readable file under limits/, the
# directory listing and debugfs limits are read back and compared.
# Then the good paths, object by object, and writers racing each other.
source "$(dirname "$0")/lib.sh"

ino=$(stat -L -c %i /proc/self/ns/net)
# Objects that exist while the bad writes run: the duplicates and the
# targets of the attribute writes.
CAP=port:80
BUDGET=netns:$ino,port:80
ALERT=state:CLOSE_WAIT,port:8080

# file (under limits/)|value|expected result; value takes printf %b escapes
bad_writes=(
	# syn_caps/add: port:P or netns:N,port:P
	"syn_caps/add|\\n|EINVAL"
	"syn_caps/add|port|EINVAL"
	"syn_caps/add|port:|EINVAL"
	"syn_caps/add|port:abc|EINVAL"
	"syn_caps/add|port:-1|EINVAL"
	"syn_caps/add|port:80x|EINVAL"
	"syn_caps/add|port:+81|EINVAL"
	"syn_caps/add|port:081|EINVAL"
	"syn_caps/add|port: 81|EINVAL"
	"syn_caps/add|PORT:81|EINVAL"
	"syn_caps/add|port:81,|EINVAL"
	"syn_caps/add|port:0|ERANGE"
	"syn_caps/add|port:65536|ERANGE"
	"syn_caps/add|port:99999999999999999999|ERANGE"
	"syn_caps/add|netns:0,port:81|ERANGE"
	"syn_caps/add|netns:4294967296,port:81|ERANGE"
	"syn_caps/add|netns:x,port:81|EINVAL"
	"syn_caps/add|port:80|EEXIST"
	"syn_caps/add|port:80\\n|EEXIST"
	"syn_caps/add|port:81,port:82|EINVAL"
	"syn_caps/add|port:81,netns:$ino|EINVAL"
	"syn_caps/add|global|EINVAL"
	"syn_caps/add|netns:$ino|EINVAL"
	"syn_caps/add|remote:10.0.0.1:80|EINVAL"
	"syn_caps/add|state:SYN_RECV,port:81|EINVAL"
	"syn_caps/remove|\\n|EINVAL"
	"syn_caps/remove|port:abc|EINVAL"
	"syn_caps/remove|nonsense|EINVAL"
	"syn_caps/remove|port:81|ENOENT"
	"syn_caps/remove|netns:$ino,port:80|ENOENT"
	# tw_budgets/add: global | netns:N | port:P | netns:N,port:P |
	# remote:A:P | netns:N,remote:A:P
	"tw_budgets/add|\\n|EINVAL"
	"tw_budgets/add|globals|EINVAL"
	"tw_budgets/add|global,port:80|EINVAL"
	"tw_budgets/add|netns:0|ERANGE"
	"tw_budgets/add|netns:-1|EINVAL"
	"tw_budgets/add|netns:4294967296|ERANGE"
	# No namespace has inode 2^32-1 (the kernel hands them out upward
	# from 0xf0000000): a key in range naming none.
	"syn_caps/add|netns:4294967295,port:81|ENOENT"
	"tw_budgets/add|netns:4294967295|ENOENT"
	"alerts/add|state:CLOSE_WAIT,netns:4294967295|ENOENT"
	"tw_budgets/add|port:0|ERANGE"
	"tw_budgets/add|port:65536|ERANGE"
	"tw_budgets/add|netns:$ino,port:80|EEXIST"
	"tw_budgets/add|port:80,netns:$ino|EINVAL"
	"tw_budgets/add|netns:$ino,netns:$ino|EINVAL"
	"tw_budgets/add|port:80,remote:10.0.0.1:80|EINVAL"
	"tw_budgets/add|remote:10.0.0.1:80,netns:$ino|EINVAL"
	"tw_budgets/add|remote:10.0.0.1|EINVAL"
	"tw_budgets/add|remote:10.0.0.1:|EINVAL"
	"tw_budgets/add|remote:10.0.0.256:80|EINVAL"
	"tw_budgets/add|remote:10.0.0:80|EINVAL"
	"tw_budgets/add|remote:fd00::1:443|EINVAL"
	"tw_budgets/add|remote:[fd00::1:443|EINVAL"
	"tw_budgets/add|remote:[fd00::g]:443|EINVAL"
	"tw_budgets/add|remote:10.0.0.1:0|ERANGE"
	"tw_budgets/add|remote:10.0.0.1:65536|ERANGE"
	"tw_budgets/add|state:TIME_WAIT|EINVAL"
	"tw_budgets/add|state:TIME_WAIT,port:80|EINVAL"
	"tw_budgets/remove|\\n|EINVAL"
	"tw_budgets/remove|remote:10.0.0.1|EINVAL"
	"tw_budgets/remove|global|ENOENT"
	"tw_budgets/remove|port:80|ENOENT"
	"tw_budgets/remove|remote:10.0.0.1:80|ENOENT"
	# alerts/add: state:S[,netns:N][,port:P]
	"alerts/add|\\n|EINVAL"
	"alerts/add|global|EINVAL"
	"alerts/add|port:8080|EINVAL"
	"alerts/add|netns:$ino|EINVAL"
	"alerts/add|state:|EINVAL"
	"alerts/add|state:FOO|EINVAL"
	"alerts/add|state:close_wait|EINVAL"
	"alerts/add|state:CLOSE_WAIT_|EINVAL"
	"alerts/add|state:FOO,port:8080|EINVAL"
	"alerts/add|state:CLOSE_WAIT,port:8080|EEXIST"
	"alerts/add|port:8080,state:CLOSE_WAIT|EINVAL"
	"alerts/add|state:CLOSE_WAIT,port:8080,netns:$ino|EINVAL"
	"alerts/add|state:CLOSE_WAIT,state:LISTEN|EINVAL"
	"alerts/add|state:CLOSE_WAIT,global|EINVAL"
	"alerts/add|state:CLOSE_WAIT,remote:10.0.0.1:80|EINVAL"
	"alerts/add|state:CLOSE_WAIT,port:0|ERANGE"
	"alerts/add|state:CLOSE_WAIT,port:65536|ERANGE"
	"alerts/add|state:CLOSE_WAIT,netns:0|ERANGE"
	"alerts/remove|\\n|EINVAL"
	"alerts/remove|state:FOO|EINVAL"
	"alerts/remove|state:CLOSE_WAIT|ENOENT"
	"alerts/remove|state:CLOSE_WAIT,port:8081|ENOENT"
	# attributes: 0..2147483647, prefix_len4 8..32, prefix_len6 32..128,
	# hysteresis 1..2147483647
	"syn_caps/$CAP/listener_max|\\n|EINVAL"
	"syn_caps/$CAP/listener_max|abc|EINVAL"
	"syn_caps/$CAP/listener_max|-1|EINVAL"
	"syn_caps/$CAP/listener_max|+5|EINVAL"
	"syn_caps/$CAP/listener_max|1.5|EINVAL"
	"syn_caps/$CAP/listener_max|0x10|EINVAL"
	"syn_caps/$CAP/listener_max|5 5|EINVAL"
	"syn_caps/$CAP/listener_max|2147483648|ERANGE"
	"syn_caps/$CAP/listener_max|4294967296|ERANGE"
	"syn_caps/$CAP/listener_max|99999999999999999999|ERANGE"
	"syn_caps/$CAP/prefix_max|\\n|EINVAL"
	"syn_caps/$CAP/prefix_max|x|EINVAL"
	"syn_caps/$CAP/prefix_max|-3|EINVAL"
	"syn_caps/$CAP/prefix_max|2147483648|ERANGE"
	"syn_caps/$CAP/prefix_max|99999999999999999999|ERANGE"
	"syn_caps/$CAP/prefix_len4|\\n|EINVAL"
	"syn_caps/$CAP/prefix_len4|x|EINVAL"
	"syn_caps/$CAP/prefix_len4|-24|EINVAL"
	"syn_caps/$CAP/prefix_len4|0|ERANGE"
	"syn_caps/$CAP/prefix_len4|7|ERANGE"
	"syn_caps/$CAP/prefix_len4|33|ERANGE"
	"syn_caps/$CAP/prefix_len4|99999999999999999999|ERANGE"
	"syn_caps/$CAP/prefix_len6|\\n|EINVAL"
	"syn_caps/$CAP/prefix_len6|x|EINVAL"
	"syn_caps/$CAP/prefix_len6|-64|EINVAL"
	"syn_caps/$CAP/prefix_len6|31|ERANGE"
	"syn_caps/$CAP/prefix_len6|129|ERANGE"
	"syn_caps/$CAP/prefix_len6|99999999999999999999|ERANGE"
	"tw_budgets/$BUDGET/budget|\\n|EINVAL"
	"tw_budgets/$BUDGET/budget|abc|EINVAL"
	"tw_budgets/$BUDGET/budget|-1|EINVAL"
	"tw_budgets/$BUDGET/budget|+5|EINVAL"
	"tw_budgets/$BUDGET/budget|2147483648|ERANGE"
	"tw_budgets/$BUDGET/budget|99999999999999999999|ERANGE"
	"alerts/$ALERT/threshold|\\n|EINVAL"
	"alerts/$ALERT/threshold|ten|EINVAL"
	"alerts/$ALERT/threshold|-1|EINVAL"
	"alerts/$ALERT/threshold|2147483648|ERANGE"
	"alerts/$ALERT/threshold|99999999999999999999|ERANGE"
	"alerts/$ALERT/hysteresis|\\n|EINVAL"
	"alerts/$ALERT/hysteresis|x|EINVAL"
	"alerts/$ALERT/hysteresis|-1|EINVAL"
	"alerts/$ALERT/hysteresis|0|ERANGE"
	"alerts/$ALERT/hysteresis|2147483648|ERANGE"
	"alerts/$ALERT/hysteresis|99999999999999999999|ERANGE"
)

# Read-only attributes: any write fails (the errno is the VFS's, not
# documented) and changes nothing.
read_only=(
	"alerts/$ALERT/fired"
	"alerts/$ALERT/armed"
)

# Every object of each kind, the keys the ABI lists, with the files each
# object directory holds.
CAP_KEYS=(port:81 "netns:$ino,port:443")
BUDGET_KEYS=(global "netns:$ino" port:81 "netns:$ino,port:81" remote:10.0.0.1:80
	"netns:$ino,remote:10.0.0.1:80" "remote:[fd00::1]:443")
ALERT_KEYS=(state:CLOSE_WAIT "state:LISTEN,netns:$ino" state:SYN_RECV,port:81
	"state:TIME_WAIT,netns:$ino,port:81")
CAP_FILES="listener_max prefix_len4 prefix_len6 prefix_max"
BUDGET_FILES="budget"
ALERT_FILES="armed fired hysteresis threshold"

tmp=$TEST_TMP
cleanup()
{
	touch "$tmp/stop"
	wait
	cleanup_on_exit
}
trap cleanup EXIT

# config VAR: the whole configuration as text, into VAR: the tree, every
# readable file's content, debugfs limits. Builtins only, no process: the
# bad writes read it twice each, and on the debug kernel under TCG every
# process costs a good part of a second (this script took 805 s there
# when config ran find, grep and awk).
# The configuration, not the counts: COUNT, HIGH and the counters move
# with whatever sockets live in the scopes (earlier scripts' TIME_WAIT
# socks expiring, say), and so do syn_prefix rows, one per prefix that
# has SYN_RECV sockets (earlier floods' request socks timing out: a
# 6.1 run once failed on that).
config()
{
	local -n text=$1
	local path content row

	text=
	# limits/KIND/OBJECT/ATTRIBUTE: three levels below limits/.
	for path in "$LIMITS" "$LIMITS"/* "$LIMITS"/*/* "$LIMITS"/*/*/*; do
		text+="$path"$'\n'
		[ -f "$path" ] && [ "${path##*/}" != fired ] || continue
		# add and remove cannot be opened for reading: no content.
		content=
		{ IFS= read -r -d '' content < "$path"; } 2> /dev/null
		text+="$path:$content"$'\n'
	done
	# cat, not a redirection: bash's read seeks back after each line
	# on a seekable file, and seq_file rebuilds an offset by walking
	# the records again. When a syn_prefix row goes meanwhile (request
	# sockets a previous script left behind expire), the seek lands
	# inside another line and the rows come out torn.
	while read -r -a row; do
		[ "${row[0]}" = syn_prefix ] && continue
		text+="${row[0]} ${row[1]} ${row[2]} ${row[5]}"$'\n'
	done < <(cat "$DEBUGFS/limits")
}

ls_words() { ls "$1" 2> /dev/null | LC_ALL=C sort | paste -sd' '; }

# values DIR FILE...: the files' contents, space-separated.
values()
{
	local d=$1 f out=
	shift
	for f in "$@"; do
		out="$out${out:+ }$(cat "$d/$f" 2> /dev/null || echo none)"
	done
	echo "$out"
}

n_good=31
ktap_plan $((${#bad_writes[@]} + ${#read_only[@]} + n_good))

tcpstate_loaded && tcpstate_unload
tcpstate_load || exit 1

# --- bad writes -------------------------------------------------------------

limit_add syn_caps "$CAP" listener_max 100 prefix_max 7 prefix_len4 20 prefix_len6 56
limit_add tw_budgets "$BUDGET" budget 300
limit_add alerts "$ALERT" threshold 50 hysteresis 5

for row in "${bad_writes[@]}"; do
	IFS='|' read -r file raw errno <<< "$row"
	printf -v value '%b' "$raw"
	config before
	got=$(sysfs_write "$LIMITS/$file" "$value")
	config after
	name="${file%%/*}_${file##*/}_rejects_${value//[^A-Za-z0-9+-]/_}"
	[ "$value" = $'\n' ] && name="${file%%/*}_${file##*/}_rejects_bare_newline"
	if [ "$got" = "$errno" ] && [ "$before" = "$after" ]; then
		ktap_result "$name" 0
	else
		ktap_result "$name" 1 "write '$value' to $file gave $got (want $errno)" \
			"$([ "$before" = "$after" ] || echo "; configuration changed:" \
			"$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -n 4 | paste -sd' ')")"
	fi
done

for file in "${read_only[@]}"; do
	config before
	got=$(sysfs_write "$LIMITS/$file" 1)
	config after
	if [ "$got" != OK ] && [ "$before" = "$after" ]; then
		ktap_result "${file%%/*}_${file##*/}_is_read_only" 0
	else
		ktap_result "${file%%/*}_${file##*/}_is_read_only" 1 "write gave $got"
	fi
done

limit_remove syn_caps "$CAP"
limit_remove tw_budgets "$BUDGET"
limit_remove alerts "$ALERT"

# --- good paths -------------------------------------------------------------

expect_eq limits_lists_three_kinds "alerts syn_caps tw_budgets" "$(ls_words "$LIMITS")"
expect_eq kinds_start_with_only_add_and_remove "add remove|add remove|add remove" \
	"$(ls_words $LIMITS/syn_caps)|$(ls_words $LIMITS/tw_budgets)|$(ls_words $LIMITS/alerts)"
expect_eq debugfs_limits_starts_empty "TYPE KEY STATE COUNT HIGH LIMIT DROPS EVICTIONS FIRED" \
	"$(cat $DEBUGFS/limits)"
expect_eq control_files_write_only_attributes_not_world_writable \
	"add 200|remove 200|" \
	"$(stat -c '%n %a' $LIMITS/syn_caps/add | sed 's|.*/||')|$(stat -c '%n %a' $LIMITS/alerts/remove | sed 's|.*/||')|$(find $LIMITS -type f -perm -o+w)"

# Adding each key the ABI lists; echo's trailing newline is not part of it.
for key in "${CAP_KEYS[@]}"; do echo "$key" > $LIMITS/syn_caps/add; done
for key in "${BUDGET_KEYS[@]}"; do echo "$key" > $LIMITS/tw_budgets/add; done
for key in "${ALERT_KEYS[@]}"; do echo "$key" > $LIMITS/alerts/add; done
expect_eq syn_caps_add_makes_a_directory_per_key \
	"$(printf '%s\n' add remove "${CAP_KEYS[@]}" | LC_ALL=C sort | paste -sd' ')" \
	"$(ls_words $LIMITS/syn_caps)"
expect_eq tw_budgets_add_makes_a_directory_per_key \
	"$(printf '%s\n' add remove "${BUDGET_KEYS[@]}" | LC_ALL=C sort | paste -sd' ')" \
	"$(ls_words $LIMITS/tw_budgets)"
expect_eq alerts_add_makes_a_directory_per_key \
	"$(printf '%s\n' add remove "${ALERT_KEYS[@]}" | LC_ALL=C sort | paste -sd' ')" \
	"$(ls_words $LIMITS/alerts)"

files_of() { local k out=; for k in "${@:3}"; do out="$out$(ls_words "$LIMITS/$1/$k")|"; done; echo "$out"; }
repeat() { local i out=; for ((i = 0; i < $1; i++)); do out="$out$2|"; done; echo "$out"; }
expect_eq every_object_holds_its_attributes \
	"$(repeat ${#CAP_KEYS[@]} "$CAP_FILES")$(repeat ${#BUDGET_KEYS[@]} "$BUDGET_FILES")$(repeat ${#ALERT_KEYS[@]} "$ALERT_FILES")" \
	"$(files_of syn_caps x "${CAP_KEYS[@]}")$(files_of tw_budgets x "${BUDGET_KEYS[@]}")$(files_of alerts x "${ALERT_KEYS[@]}")"

defaults_of() { local k out=; for k in "${@:3}"; do out="$out$(values "$LIMITS/$1/$k" $2)|"; done; echo "$out"; }
expect_eq syn_cap_defaults_listener_max_0_prefix_max_0_len4_24_len6_64 \
	"$(repeat ${#CAP_KEYS[@]} "0 0 24 64")" \
	"$(defaults_of syn_caps "listener_max prefix_max prefix_len4 prefix_len6" "${CAP_KEYS[@]}")"
expect_eq tw_budget_default_0 "$(repeat ${#BUDGET_KEYS[@]} 0)" \
	"$(defaults_of tw_budgets budget "${BUDGET_KEYS[@]}")"
expect_eq alert_defaults_threshold_0_hysteresis_1_fired_0_armed_1 \
	"$(repeat ${#ALERT_KEYS[@]} "0 1 0 1")" \
	"$(defaults_of alerts "threshold hysteresis fired armed" "${ALERT_KEYS[@]}")"

# debugfs limits: a line per object, with its type and the state counted.
types_in_debugfs() { awk 'NR > 1 { print $1, $3 }' $DEBUGFS/limits | LC_ALL=C sort | uniq -c | awk '{ print $2, $3, $1 }' | paste -sd,; }
expect_eq debugfs_limits_a_line_per_object \
	"alert CLOSE_WAIT 1,alert LISTEN 1,alert SYN_RECV 1,alert TIME_WAIT 1,syn_cap SYN_RECV ${#CAP_KEYS[@]},tw_budget TIME_WAIT ${#BUDGET_KEYS[@]}" \
	"$(types_in_debugfs)"

# Writes read back, bounds included, with and without a newline.
d=$LIMITS/syn_caps/port:81
for kv in listener_max=2147483647 prefix_max=1 prefix_len4=8 prefix_len6=128; do
	sysfs_write "$d/${kv%=*}" "${kv#*=}" > /dev/null
done
got1=$(values "$d" listener_max prefix_max prefix_len4 prefix_len6)
for kv in listener_max=0 prefix_max=2147483647 prefix_len4=32 prefix_len6=32; do
	sysfs_write "$d/${kv%=*}" "${kv#*=}"$'\n' > /dev/null
done
expect_eq syn_cap_attributes_read_back_bounds "2147483647 1 8 128, 0 2147483647 32 32" \
	"$got1, $(values "$d" listener_max prefix_max prefix_len4 prefix_len6)"
sysfs_write "$d/listener_max" 100 > /dev/null
expect_eq debugfs_limit_column_is_listener_max 100 "$(limit_field syn_cap port:81 LIMIT)"

d="$LIMITS/tw_budgets/remote:[fd00::1]:443"
sysfs_write "$d/budget" 2147483647 > /dev/null
got1=$(cat "$d/budget")
sysfs_write "$d/budget" $'500\n' > /dev/null
expect_eq tw_budget_reads_back "2147483647 500" "$got1 $(cat "$d/budget")"
expect_eq debugfs_limit_column_is_budget 500 "$(limit_field tw_budget "remote:[fd00::1]:443" LIMIT)"

d=$LIMITS/alerts/state:CLOSE_WAIT
sysfs_write "$d/threshold" 2147483647 > /dev/null
sysfs_write "$d/hysteresis" 2147483647 > /dev/null
got1=$(values "$d" threshold hysteresis fired armed)
sysfs_write "$d/threshold" $'7\n' > /dev/null
sysfs_write "$d/hysteresis" 1 > /dev/null
expect_eq alert_attributes_read_back "2147483647 2147483647 0 1, 7 1 0 1" \
	"$got1, $(values "$d" threshold hysteresis fired armed)"
expect_eq debugfs_limit_column_is_threshold 7 "$(limit_field alert state:CLOSE_WAIT LIMIT)"

# Removing each: its directory and its debugfs line go; a second remove
# finds nothing.
for key in "${CAP_KEYS[@]}"; do echo "$key" > $LIMITS/syn_caps/remove; done
for key in "${BUDGET_KEYS[@]}"; do echo "$key" > $LIMITS/tw_budgets/remove; done
for key in "${ALERT_KEYS[@]}"; do echo "$key" > $LIMITS/alerts/remove; done
expect_eq remove_takes_every_directory_away "add remove|add remove|add remove" \
	"$(ls_words $LIMITS/syn_caps)|$(ls_words $LIMITS/tw_budgets)|$(ls_words $LIMITS/alerts)"
expect_eq remove_takes_every_debugfs_line_away 1 "$(wc -l < $DEBUGFS/limits)"
expect_eq second_remove_is_enoent "ENOENT ENOENT ENOENT" \
	"$(sysfs_write $LIMITS/syn_caps/remove port:81) $(sysfs_write $LIMITS/tw_budgets/remove global) $(sysfs_write $LIMITS/alerts/remove state:CLOSE_WAIT)"

# A removed object comes back with the defaults, not its old values.
limit_add syn_caps port:81
expect_eq re_added_object_has_defaults "0 0 24 64" \
	"$(values $LIMITS/syn_caps/port:81 listener_max prefix_max prefix_len4 prefix_len6)"
limit_remove syn_caps port:81

# A reader inside a directory that goes away reads an error, not freed memory.
limit_add alerts state:CLOSE_WAIT
exec {fd}< $LIMITS/alerts/state:CLOSE_WAIT/fired
limit_remove alerts state:CLOSE_WAIT
got=$(cat <&$fd 2>&1 >/dev/null; echo "(exit $?)")
exec {fd}<&-
expect_eq open_file_of_removed_object_is_harmless "$(ls_words $LIMITS/alerts)" "add remove"
echo "# a read of a removed alert's open fired file: $(echo "$got" | paste -sd' ')"

# From here on, the kernel log must stay free of splats: the namespaces'
# exits below, then the racing writers (racing_writers_no_kernel_splat).
SPLAT='BUG|WARNING|Oops|KASAN|lockdep|circular locking|Call Trace|cannot create duplicate'
splat_mark=$(log_mark)

# --- a namespace's objects go with it ---------------------------------------

# The kernel gives a freed namespace inode to the next namespace made: an
# object left behind would act on that one. An object of another
# namespace (this one) stays.
NS_GONE=tcpstate_limits_gone
NS_GONE_MS=60000	# the kernel's namespace cleanup is a work item
ip netns add $NS_GONE
gone=$(ns_inode $NS_GONE)
gone_mark=$(log_mark)
logged() { log_since "$gone_mark" | grep -c "tcpstate: netns $gone is gone: "; }
limit_add syn_caps "netns:$gone,port:80" listener_max 10
limit_add tw_budgets "netns:$gone" budget 10
limit_add alerts "state:LISTEN,netns:$gone" threshold 1
limit_add tw_budgets "netns:$ino" budget 10
ip netns del $NS_GONE
gone_objects_left() { ls "$LIMITS"/*/ | grep -q "netns:$gone"; }
busywait $NS_GONE_MS eval '! gone_objects_left'
expect_eq namespace_objects_go_with_it \
	"add remove|add netns:$ino remove|add remove|2 lines|3 logged" \
	"$(ls_words $LIMITS/syn_caps)|$(ls_words $LIMITS/tw_budgets)|$(ls_words $LIMITS/alerts)|$(wc -l < $DEBUGFS/limits) lines|$(logged) logged"
expect_eq gone_namespace_key_is_enoent "ENOENT ENOENT ENOENT" \
	"$(sysfs_write $LIMITS/syn_caps/add "netns:$gone,port:80") $(sysfs_write $LIMITS/tw_budgets/add "netns:$gone") $(sysfs_write $LIMITS/alerts/add "state:LISTEN,netns:$gone")"
limit_remove tw_budgets "netns:$ino"

# Namespaces dismantled while writers add and remove their objects: each
# object goes by one path, the writer's or the namespace's, never both.
NS_RACES=6
race_ns() { # I: a namespace with objects, gone while a writer works on them
	local ns=tcpstate_limits_race$1 n k
	ip netns add "$ns" || return
	n=$(ns_inode "$ns")
	for k in "syn_caps netns:$n,port:80" "tw_budgets netns:$n" "alerts state:SYN_RECV,netns:$n"; do
		echo "${k#* }" > "$LIMITS/${k%% *}/add"
	done 2> /dev/null
	{
		for k in "tw_budgets netns:$n" "alerts state:SYN_RECV,netns:$n" "syn_caps netns:$n,port:80"; do
			echo "${k#* }" > "$LIMITS/${k%% *}/remove"
			echo "${k#* }" > "$LIMITS/${k%% *}/add"
		done 2> /dev/null
	} &
	ip netns del "$ns"
	wait $!
	echo "$n"
}
race_inos=
for ((i = 0; i < NS_RACES; i++)); do race_inos+=" $(race_ns $i)"; done
objects_of_raced() { local n c=0; for n in $race_inos; do c=$((c + $(ls "$LIMITS"/*/ | grep -c "netns:$n"))); done; echo $c; }
busywait $NS_GONE_MS eval '[ "$(objects_of_raced)" -eq 0 ]'
expect_eq namespaces_gone_under_writers_leave_no_object "0 left, 1 lines" \
	"$(objects_of_raced) left, $(wc -l < $DEBUGFS/limits) lines"

# --- concurrent writers -----------------------------------------------------

RACE_S=5
debug_kernel && RACE_S=8
rm -f "$tmp/stop"

# Each loop: builtin echo, so the writes come fast; failures (EEXIST,
# ENOENT, an attribute of an object removed meanwhile) are expected.
churn_add_remove() { # KIND KEY
	while [ ! -e "$tmp/stop" ]; do
		echo "$2" > "$LIMITS/$1/add"
		echo "$2" > "$LIMITS/$1/remove"
	done 2> /dev/null
}
churn_set() { # KIND KEY ATTR VALUES...
	local kind=$1 key=$2 attr=$3 v
	shift 3
	while [ ! -e "$tmp/stop" ]; do
		echo "$key" > "$LIMITS/$kind/add"
		for v in "$@"; do echo "$v" > "$LIMITS/$kind/$key/$attr"; done
	done 2> /dev/null
}
churn_read() {
	while [ ! -e "$tmp/stop" ]; do
		cat $DEBUGFS/limits > /dev/null
		find $LIMITS -type f -perm -u+r -exec cat {} + > /dev/null
	done 2> /dev/null
}
pids=()
churn_add_remove syn_caps port:90 & pids+=($!)
churn_add_remove syn_caps port:90 & pids+=($!)
churn_set syn_caps port:90 listener_max 1 2 3 & pids+=($!)
churn_set syn_caps port:90 prefix_len4 8 16 32 & pids+=($!)
churn_add_remove tw_budgets global & pids+=($!)
churn_set tw_budgets global budget 0 10 100 & pids+=($!)
churn_set tw_budgets "netns:$ino" budget 5 50 & pids+=($!)
churn_add_remove alerts state:LISTEN & pids+=($!)
churn_set alerts state:LISTEN threshold 1 2 & pids+=($!)
churn_set alerts state:LISTEN hysteresis 1 3 & pids+=($!)
churn_add_remove alerts "state:CLOSE_WAIT,port:91" & pids+=($!)
churn_read & pids+=($!)
churn_read & pids+=($!)
# The race runs for a while: a duration, not a condition to wait for.
sleep $RACE_S
touch "$tmp/stop"
wait "${pids[@]}"

# Consistent: what sysfs lists is what debugfs lists, every object reads,
# and every object can be removed.
sysfs_objects()
{
	local kind type
	for kind in syn_caps tw_budgets alerts; do
		case $kind in
		syn_caps) type=syn_cap ;; tw_budgets) type=tw_budget ;; alerts) type=alert ;;
		esac
		ls "$LIMITS/$kind" | grep -vxE 'add|remove' | sed "s/^/$type /"
	done | LC_ALL=C sort
}
debugfs_objects() { awk 'NR > 1 && $1 != "syn_prefix" { print $1, $2 }' $DEBUGFS/limits | LC_ALL=C sort; }
expect_eq racing_writers_leave_sysfs_and_debugfs_agreeing "$(sysfs_objects | paste -sd,)" \
	"$(debugfs_objects | paste -sd,)"
unreadable=$(find $LIMITS -mindepth 2 -type f -perm -u+r | while read -r f; do
	cat "$f" > /dev/null 2>&1 || echo "$f"; done)
expect_eq racing_writers_leave_every_object_readable "" "$unreadable"
sysfs_objects | while read -r type key; do
	case $type in
	syn_cap) echo "$key" > $LIMITS/syn_caps/remove ;;
	tw_budget) echo "$key" > $LIMITS/tw_budgets/remove ;;
	alert) echo "$key" > $LIMITS/alerts/remove ;;
	esac
done
expect_eq racing_writers_leave_nothing_after_removal "add remove|add remove|add remove|1" \
	"$(ls_words $LIMITS/syn_caps)|$(ls_words $LIMITS/tw_budgets)|$(ls_words $LIMITS/alerts)|$(wc -l < $DEBUGFS/limits)"
if since_mark=$(log_since "$splat_mark"); then
	splats=$(grep -cE "$SPLAT" <<< "$since_mark")
else
	splats="the mark left the kernel log"
fi
expect_eq racing_writers_no_kernel_splat 0 "$splats"
[ "$splats" = 0 ] ||
	echo "# first: $(grep -E "$SPLAT" <<< "$since_mark" | grep -v 'Call Trace' | head -n 1)"

# The unload meets namespaces' exits removing their objects: it must wait
# for those, not remove them a second time. The guest's console check
# catches a splat after this point.
for ((i = 0; i < 4; i++)); do
	ip netns add tcpstate_limits_unload$i &&
		n=$(ns_inode tcpstate_limits_unload$i) &&
		echo "netns:$n" > $LIMITS/tw_budgets/add &&
		echo "netns:$n,port:80" > $LIMITS/syn_caps/add &&
		echo "state:LISTEN,netns:$n" > $LIMITS/alerts/add
done
for ((i = 0; i < 4; i++)); do ip netns del tcpstate_limits_unload$i; done
tcpstate_unload
ktap_result unload_after_racing_writers_as_namespaces_go $?
ktap_finish
