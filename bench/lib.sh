# SPDX-License-Identifier: GPL-2.0
#
# Shared by the guest halves of the benchmarks (bench/run-guest,
# bench/tw-evict, bench/syn-rate, bench/limits-scale,
# bench/netns-teardown): sourced, not run.
# run_in_fresh_netns needs bin (build/bench/conn_rate) and threads set.

# run_in_fresh_netns CONNECTIONS: one conn_rate run, whose output line it
# prints ("CONNECTIONS SECONDS CONN_PER_S"). Each run gets a fresh network
# namespace, so that no run inherits the previous one's TIME_WAIT sockets.
# They are killed (ss -K) before the namespace goes: deleting it with them
# inside would leave the kernel purging them during the next run.
run_in_fresh_netns()
{
	local ns=bench-$$-$RANDOM
	ip netns add $ns
	ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ip netns exec $ns sysctl -qw net.ipv4.tcp_max_tw_buckets=262144
	ip netns exec $ns sysctl -qw net.core.somaxconn=4096
	ip netns exec $ns "$bin" 127.0.0.1 "$1" "$threads"
	ip netns exec $ns ss -K state time-wait > /dev/null
	ip netns del $ns
}

# median FILE MODE [COLUMN]: the median of COLUMN (default 3) over FILE's
# lines whose second field is MODE.
median()
{
	awk -v m="$2" -v c="${3:-3}" '$2 == m { print $c }' "$1" | sort -n |
	awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
