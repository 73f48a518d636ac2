#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SYN_RECV caps (sysfs limits/syn_caps, debugfs limits), as
# Documentation/ABI/testing/sysfs-kernel-tcpstate defines them, under
# floods of SYNs from spoofed sources that nobody ever answers.
#
#   +-----------------------------+         +------------------------------+
#   | netns $att                  |  veth   | netns $srv                   |
#   |   veth0 --------------------+---------+-------------------- veth0   |
#   |   198.18.0.2/24             |         |             198.18.0.1/24    |
#   |   2001:db8::2/64            |         |             2001:db8::1/64   |
#   |                             |         |                              |
#   |   hping3 --rand-source,     |  SYNs   |   listeners, backlog 4096    |
#   |   synflood -A PREFIX  ------+-------->|   nft: SYNs counted per port |
#   |                             |         |     (input, priority 0: they |
#   |   forwarding off: SYN-ACKs  | SYN-ACK |     are seen before the      |
#   |   to spoofed sources are    |<--------+     module's hook at +10)    |
#   |   dropped, never answered   |         |   routes: default and        |
#   |   (no RST, no ICMP; IPv6    |         |   fd66::/16 via $att         |
#   |   needs a blackhole route   |         |                              |
#   |   for that: with no route   |         |                              |
#   |   it sends unreachables,    |         |                              |
#   |   which abort request socks)|         |                              |
#   |   legitimate clients from   |         |                              |
#   |   its own addresses         |         |                              |
#   +-----------------------------+         +------------------------------+
#
# Every flood goes to a port of its own, with a cap of its own (key
# port:PORT), and a listener started after the module loaded, so the
# listener's SYNS column, the nft counter and the cap's DROPS all start
# at zero with the test. For each flood:
#
#   - the kernel's own count of half-open connections (ss, state syn-recv)
#     is sampled for as long as the flood runs: it must never exceed the
#     cap, and must reach it (a cap that admitted nothing would pass the
#     first check);
#   - SYNs the cap dropped (debugfs limits DROPS, stats syn_dropped_*)
#     must be exactly the SYNs $srv received (nft, ahead of the hook)
#     less the SYNs that reached the listener (debugfs listeners SYNS,
#     counted in tcp_conn_request, behind the hook).
#
# Kernel settings in $srv, so that the kernel's own SYN-flood defences
# never act and every SYN the hook lets through becomes a request sock:
# tcp_syncookies=0 (with 1, the default, cookies would only start when a
# queue of 4096 is full, which never happens here; 0 makes sure no SYN is
# answered without being queued), tcp_max_syn_backlog=16384 (without
# cookies, the kernel drops SYNs of unproven peers once the queue is
# within a quarter of it), somaxconn=4096. Request socks keep the default
# 5 SYN-ACK retries (about 63 s of life): no request sock times out
# during a flood, so the half-open count only grows while one runs.
source "$(dirname "$0")/lib.sh"

SRV4=198.18.0.1
ATT4=198.18.0.2
SRV6=2001:db8::1
ATT6=2001:db8::2
BACKLOG=4096
LISTENER_MAX=64		# listener_max of the listener-cap tests
PREFIX_MAX=32		# prefix_max of the prefix-cap tests
PORT_LISTENER4=8100	# listener cap, hping3 --rand-source
PORT_LISTENER6=8101	# listener cap, synflood from random /64s
PORT_LISTENER_SMP=8102	# listener cap, a synflood on each of two CPUs
PORT_COOKIES=8103	# listener cap of 1, every SYN answered with a syncookie
PORT_COOKIES_PREFIX=8203	# prefix cap of 1, every SYN answered with a syncookie
PORT_TWO_CAPS=8104	# caps port:P and netns:N,port:P, both listener caps
PORT_PREFIX4=8200	# prefix cap, synflood from one /24
PORT_PREFIX6=8201	# prefix cap, synflood from one /64
PORT_PREFIX_DUAL=8202	# prefix cap, IPv4 synflood from one /24 to an IPv6 listener
PORT_UNCAPPED=8300	# a listener no cap names
PORT_NFQUEUE=8500	# listener cap; its SYNs queued to user space ahead of the hook
NFQUEUE_NUM=7
PORT_TFO_PREFIX=8501	# prefix cap; TCP Fast Open clients, one /24
TFO_PREFIX_MAX=3
TFO_CLIENTS=5
PORT_TPROXY4=8400	# listener cap; nft tproxy hands its SYNs to ...
PORT_TPROXY4_TO=8401	# ... a transparent listener here
PORT_TPROXY6=8402
PORT_TPROXY6_TO=8403
PORT_TPROXY_A=8404	# two listener caps; nft tproxy hands both ports' SYNs ...
PORT_TPROXY_B=8406
PORT_TPROXY_AB_TO=8405	# ... to one transparent listener here
PORT_TPROXY_PREFIX=8407	# prefix cap; nft tproxy hands its SYNs to ...
PORT_TPROXY_PREFIX_TO=8408	# ... a transparent listener here
# The listener whose queue takes PORT's SYNs, where it is not PORT's own
# (PORT+PORT: the ports' SYNs together).
declare -A QUEUE_PORT=([$PORT_TPROXY4]=$PORT_TPROXY4_TO [$PORT_TPROXY6]=$PORT_TPROXY6_TO
		       [$PORT_TPROXY_A+$PORT_TPROXY_B]=$PORT_TPROXY_AB_TO
		       [$PORT_TPROXY_PREFIX]=$PORT_TPROXY_PREFIX_TO)
PREFIX4=10.66.1.0/24
PREFIX6=fd66:0:0:1::/64
PREFIX4_DUAL=10.66.2.0/24
PREFIX6_LISTENER=fd66::/48	# random /64s: no prefix gathers many
SPOOFED6_ROUTE=fd66::/16

# Floods: SYNs and SYNs per second (each lasts SYNS / RATE seconds, long
# enough to sample ss many times after the cap is reached). The debug
# kernel (KASAN) runs about five times slower under TCG.
FLOOD_SYNS=${TCPSTATE_SYNCAP_SYNS:-1200}
FLOOD_RATE=${TCPSTATE_SYNCAP_RATE:-400}
UNCAPPED_SYNS=200	# SYNs to the uncapped port: all must be queued
case "$(uname -r)" in
*-tcpstate-debug)
	FLOOD_SYNS=${TCPSTATE_SYNCAP_SYNS:-400}
	FLOOD_RATE=${TCPSTATE_SYNCAP_RATE:-100}
	UNCAPPED_SYNS=100
	;;
esac
WAIT_MS=30000		# bound on every wait for a condition

tmp=$TEST_TMP
BG_PIDS=()

cleanup()
{
	[ ${#BG_PIDS[@]} -gt 0 ] && kill "${BG_PIDS[@]}" 2>/dev/null
	wait
	cleanup_on_exit
}
trap cleanup EXIT

# --- topology ----------------------------------------------------------------

setup_topology()
{
	setup_ns att srv || return 1
	ip link add veth0 netns "$att" type veth peer name veth0 netns "$srv" &&
	ip -n "$att" addr add $ATT4/24 dev veth0 &&
	ip -n "$att" addr add $ATT6/64 dev veth0 nodad &&
	ip -n "$srv" addr add $SRV4/24 dev veth0 &&
	ip -n "$srv" addr add $SRV6/64 dev veth0 nodad &&
	ip -n "$att" link set veth0 up &&
	ip -n "$srv" link set veth0 up &&
	ip -n "$srv" route add default via $ATT4 &&
	ip -n "$srv" route add $SPOOFED6_ROUTE via $ATT6 &&
	ip -n "$att" route add blackhole $SPOOFED6_ROUTE &&
	ip netns exec "$att" sysctl -qw net.ipv4.ip_forward=0 \
		net.ipv6.conf.all.forwarding=0 &&
	ip netns exec "$srv" sysctl -qw net.ipv4.tcp_syncookies=0 \
		net.ipv4.tcp_max_syn_backlog=16384 net.core.somaxconn=$BACKLOG || return 1
	setup_nft
}

# One named counter per port: SYNs (SYN set, ACK clear, as the hook
# selects them) that reached $srv's input, before the module's hook.
setup_nft()
{
	local port cmds="add table inet syncap;
		add chain inet syncap input { type filter hook input priority filter; };"

	for port in $PORT_LISTENER4 $PORT_LISTENER6 $PORT_LISTENER_SMP $PORT_COOKIES \
		    $PORT_COOKIES_PREFIX $PORT_TWO_CAPS $PORT_PREFIX_DUAL $PORT_PREFIX4 $PORT_PREFIX6 $PORT_UNCAPPED $PORT_TPROXY4 $PORT_TPROXY6 \
		    $PORT_TPROXY_A $PORT_TPROXY_B $PORT_TPROXY_PREFIX $PORT_NFQUEUE $PORT_TFO_PREFIX; do
		cmds="$cmds add counter inet syncap syns_$port;
			add rule inet syncap input tcp dport $port tcp flags & (syn | ack) == syn counter name syns_$port;"
	done
	ip netns exec "$srv" nft "$cmds" &&
	setup_att_nft
}

# RSTs $att sends, told apart by where they go: a reply to a SYN-ACK for
# a spoofed SYN would end a half-open connection early (the floods'
# premise is that none does); one from a connection of $att's own client
# (connects) to a $srv port is that client's business. Each RST's
# destination and ports are kept for the diagnostic line.
setup_att_nft()
{
	ip netns exec "$att" nft "add table inet att;
		add chain inet att output { type filter hook output priority filter; };
		add counter inet att rst_client;
		add counter inet att rst_other;
		add set inet att rst4 { type ipv4_addr . inet_service . inet_service; size 64; flags dynamic; };
		add set inet att rst6 { type ipv6_addr . inet_service . inet_service; size 64; flags dynamic; };
		add rule inet att output meta nfproto ipv4 tcp flags & rst == rst add @rst4 { ip daddr . tcp sport . tcp dport };
		add rule inet att output meta nfproto ipv6 tcp flags & rst == rst add @rst6 { ip6 daddr . tcp sport . tcp dport };
		add rule inet att output tcp flags & rst == rst ip saddr $ATT4 ip daddr $SRV4 counter name rst_client accept;
		add rule inet att output tcp flags & rst == rst ip6 saddr $ATT6 ip6 daddr $SRV6 counter name rst_client accept;
		add rule inet att output tcp flags & rst == rst counter name rst_other;"
}

# att_rst_destinations SET: the elements of $att's set SET, on one line.
att_rst_destinations()
{
	ip netns exec "$att" nft list set inet att "$1" | tr -d '\n\t' |
		sed -n 's/.*elements = { \([^}]*\) }.*/\1/p'
}

# att_rsts WHICH: packets of $att's counter rst_WHICH.
att_rsts()
{
	ip netns exec "$att" nft list counter inet att "rst_$1" |
		awk '$1 == "packets" { print $2 }'
}

# nft_syns PORT[+PORT...]: SYNs $srv received for the ports, together.
nft_syns()
{
	local port sum=0 n

	for port in ${1//+/ }; do
		n=$(ip netns exec "$srv" nft list counter inet syncap "syns_$port" |
			awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
		sum=$((sum + n))
	done
	echo $sum
}

# TPROXY (nft tproxy, at prerouting) hands a SYN to a transparent
# listener before TCP looks one up: skb->sk carries it through LOCAL_IN,
# and TCP queues the request sock there, under the SYN's own destination
# port (what ss shows). The SYNs' destination is $srv's own address, so
# no policy route is needed to deliver them. The stock kernels build
# nft_tproxy as a module; the debug kernel has no TPROXY.
setup_tproxy()
{
	ip netns exec "$srv" nft "add table ip divert;
		add chain ip divert prerouting { type filter hook prerouting priority mangle; };
		add rule ip divert prerouting tcp dport $PORT_TPROXY4 tproxy to :$PORT_TPROXY4_TO accept;
		add rule ip divert prerouting tcp dport { $PORT_TPROXY_A, $PORT_TPROXY_B } \
			tproxy to :$PORT_TPROXY_AB_TO accept;
		add rule ip divert prerouting tcp dport $PORT_TPROXY_PREFIX \
			tproxy to :$PORT_TPROXY_PREFIX_TO accept;
		add table ip6 divert;
		add chain ip6 divert prerouting { type filter hook prerouting priority mangle; };
		add rule ip6 divert prerouting tcp dport $PORT_TPROXY6 tproxy to :$PORT_TPROXY6_TO accept"
}

# Listeners on the wildcard addresses, IPv6 ones v6-only, never accepting;
# t4 and t6 are transparent (IP_TRANSPARENT, IPV6_TRANSPARENT: TPROXY
# hands SYNs only to those).
start_listeners()
{
	ip netns exec "$srv" python3 -c '
import signal, socket, sys
IP_TRANSPARENT, IPV6_TRANSPARENT = 19, 75
socks = []
for spec in sys.argv[3:]:
    fam, port = spec.split(":")
    if fam in ("6", "t6", "d6"):
        s = socket.socket(socket.AF_INET6)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, fam != "d6")
        if fam == "t6":
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
        s.bind(("::", int(port)))
    else:
        s = socket.socket()
        if fam == "t4":
            s.setsockopt(socket.IPPROTO_IP, IP_TRANSPARENT, 1)
        if fam == "f4":
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 64)
        s.bind(("0.0.0.0", int(port)))
    s.listen(int(sys.argv[2]))
    socks.append(s)
open(sys.argv[1], "w").close()
signal.pause()' "$tmp/listening" $BACKLOG 4:$PORT_LISTENER4 6:$PORT_LISTENER6 \
		4:$PORT_LISTENER_SMP 4:$PORT_COOKIES 4:$PORT_COOKIES_PREFIX 4:$PORT_TWO_CAPS d6:$PORT_PREFIX_DUAL 4:$PORT_PREFIX4 6:$PORT_PREFIX6 4:$PORT_UNCAPPED \
		4:$PORT_TPROXY4 t4:$PORT_TPROXY4_TO 6:$PORT_TPROXY6 t6:$PORT_TPROXY6_TO \
		t4:$PORT_TPROXY_AB_TO t4:$PORT_TPROXY_PREFIX_TO 4:$PORT_NFQUEUE f4:$PORT_TFO_PREFIX &
	BG_PIDS+=($!)
	busywait $WAIT_MS test -e "$tmp/listening"
}

# NFQUEUE ahead of the module's hook, as an inline IPS at filter priority
# puts it: $srv hands PORT_NFQUEUE's SYNs to a program that accepts each,
# and the verdict runs the hooks after the queueing one (the syns counter,
# then the module's) in that program's process context, BHs on
# (nf_reinject()), not in the receive softirq. The rule counts what it
# queued.
setup_nfqueue()
{
	ip netns exec "$srv" python3 "$TOP/selftests/helpers/nfqueue_accept.py" $NFQUEUE_NUM \
		"$tmp/nfqueue_bound" &
	BG_PIDS+=($!)
	busywait $WAIT_MS test -e "$tmp/nfqueue_bound" &&
	ip netns exec "$srv" nft "add table inet nfq;
		add chain inet nfq input { type filter hook input priority -5; };
		add counter inet nfq queued;
		add rule inet nfq input tcp dport $PORT_NFQUEUE tcp flags & (syn | ack) == syn \
			counter name queued queue num $NFQUEUE_NUM"
}

nfqueue_queued()
{
	ip netns exec "$srv" nft list counter inet nfq queued |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# --- what the kernel and the module say ---------------------------------------

# half_open PORT[+PORT...] [DST_PREFIX]: request socks on the ports in
# $srv (from DST_PREFIX only, if given), as ss lists them.
half_open()
{
	local filter= port

	for port in ${1//+/ }; do
		filter="${filter:+$filter or }sport = :$port"
	done
	filter="( $filter )"
	[ -n "${2:-}" ] && filter="$filter and dst $2"
	ip netns exec "$srv" ss -tanH state syn-recv "$filter" | wc -l
}

# listener_syns PORT: debugfs listeners SYNS of $srv's listener on PORT.
listener_syns()
{
	awk -v ns="$SRV_INO" -v p=":$1" '$1 == ns && substr($2, length($2) - length(p) + 1) == p { v = $8 }
		END { print v == "" ? "missing" : v }' "$DEBUGFS/listeners"
}

# limits_row TYPE KEY: "COUNT HIGH LIMIT DROPS" of one debugfs limits line.
limits_row()
{
	awk -v t="$1" -v k="$2" 'NR > 1 && $1 == t && $2 == k { r = $4 " " $5 " " $6 " " $7 }
		END { print r == "" ? "missing" : r }' "$DEBUGFS/limits"
}

limits_drops() { limits_row "$1" "$2" | awk '{ print $4 }'; }

# cap_add PORT ATTR=VALUE...: a syn_cap for PORT, its attributes set.
cap_add()
{
	local port=$1 kv got
	shift
	got=$(sysfs_write "$SYSFS/limits/syn_caps/add" "port:$port")
	[ "$got" = OK ] || { echo "add port:$port: $got"; return 1; }
	for kv in "$@"; do
		got=$(sysfs_write "$SYSFS/limits/syn_caps/port:$port/${kv%%=*}" "${kv#*=}")
		[ "$got" = OK ] || { echo "port:$port ${kv%%=*}=${kv#*=}: $got"; return 1; }
	done
}

# connects ADDR PORT: a real TCP connection from $att completes.
connects()
{
	ip netns exec "$att" timeout 10 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# --- floods --------------------------------------------------------------------

# Floods run in the background (start_flood), each as the process
# FLOOD_PID names (exec), so that it can be stopped.
flood_hping3()
{
	exec ip netns exec "$att" hping3 -q -S --rand-source -p "$1" -c "$FLOOD_SYNS" \
		-i u$((1000000 / FLOOD_RATE)) $SRV4
}

# flood_synflood DST PORT PREFIX [COUNT]: COUNT 0 floods until SIGTERM.
flood_synflood()
{
	exec ip netns exec "$att" "$HELPERS/synflood" -A "$3" -c "${4:-$FLOOD_SYNS}" \
		-r "$FLOOD_RATE" "$1" "$2"
}

# flood_each_cpu PORT: a synflood pinned to each of CPUs 0 and 1, as fast
# as it can, so that both CPUs judge SYNs to the one listener at once (a
# SYN is judged and queued in the softirq of the CPU that sent it over
# the veth). The cap must hold across CPUs, not just on one.
flood_each_cpu()
{
	local cpu

	for cpu in 0 1; do
		ip netns exec "$att" taskset -c $cpu "$HELPERS/synflood" -A 10.6$cpu.0.0/16 \
			-c $((FLOOD_SYNS / 2)) $SRV4 "$1" &
	done
	wait
}

# start_flood PORT DST_PREFIX CMD...: CMD in the background, and ss
# sampled into $tmp/samples (half_open PORT DST_PREFIX) until it ends.
start_flood()
{
	local port=$1 prefix=$2
	shift 2
	: > "$tmp/samples"
	"$@" > "$tmp/flood.out" 2>&1 &
	FLOOD_PID=$!
	{
		while kill -0 $FLOOD_PID 2>/dev/null; do
			half_open "$port" "$prefix" >> "$tmp/samples"
		done
	} &
	SAMPLER_PID=$!
	BG_PIDS+=($FLOOD_PID $SAMPLER_PID)
}

# end_flood PORT: wait for the flood, then until $srv has taken in every
# SYN of it (its nft counter stays still for one poll).
end_flood()
{
	wait $FLOOD_PID
	wait $SAMPLER_PID
	last_syns=
	busywait $WAIT_MS syns_settled "$1"
	echo "# flood: $(paste -sd' ' "$tmp/flood.out" | cut -c1-200); $(wc -l < "$tmp/samples") ss samples"
}

syns_settled()
{
	local n

	n=$(nft_syns "$1")
	[ "$n" = "$last_syns" ] && return 0
	last_syns=$n
	return 1
}

syns_at_least() { [ "$(nft_syns "$1")" -ge "$2" ]; }

max_sample() { sort -n "$tmp/samples" | tail -n 1; }

half_open_is() { [ "$(half_open "$1" "${3:-}")" -eq "$2" ]; }

# expect_never_above NAME CAP: no sample exceeded CAP (and there were some).
expect_never_above()
{
	local max

	max=$(max_sample)
	if [ -z "$max" ]; then
		ktap_result "$1" 1 "ss was never sampled during the flood"
	elif [ "$max" -gt "$2" ]; then
		ktap_result "$1" 1 "ss saw $max half-open, cap $2 ($(sort -n "$tmp/samples" | uniq -c | tail -n 3 | paste -sd,))"
	else
		ktap_result "$1" 0
	fi
}

# expect_drops_balance NAME PORT DROPS_FROM...: every DROPS_FROM value (a
# "label=N" word) equals SYNs received less SYNs that reached the listener.
expect_drops_balance()
{
	local name=$1 port=$2 received admitted want kv bad=
	shift 2
	received=$(nft_syns "$port")
	admitted=$(listener_syns "${QUEUE_PORT[$port]:-$port}")
	want=$((received - admitted))
	for kv in "$@"; do
		[ "${kv#*=}" = "$want" ] || bad="$bad $kv"
	done
	if [ -z "$bad" ] && [ "$admitted" -gt 0 ]; then
		ktap_result "$name" 0
	else
		ktap_result "$name" 1 "received $received, admitted $admitted: drops should be $want;" \
			"got$bad (all: $*; probes_missed $(stat_value probes_missed))"
	fi
}

# --- the tests -----------------------------------------------------------------

# listener_cap NAME PORT FLOOD...: cap of LISTENER_MAX on PORT.
listener_cap()
{
	local name=$1 port=$2 err before seen
	shift 2

	before=$(stat_value syn_dropped_listener)
	seen=$(stat_value syn_seen)
	err=$(cap_add "$port" listener_max=$LISTENER_MAX) || echo "# $name: $err"
	start_flood "$port" "" "$@"
	end_flood "$port"
	busywait $WAIT_MS half_open_is "$port" $LISTENER_MAX
	expect_never_above ${name}_half_open_never_exceeds_cap $LISTENER_MAX
	expect_eq ${name}_half_open_reaches_cap $LISTENER_MAX "$(half_open "$port")"
	expect_eq ${name}_limits_count_high_limit "$LISTENER_MAX $LISTENER_MAX $LISTENER_MAX" \
		"$(limits_row syn_cap port:$port | cut -d' ' -f1-3)"
	expect_drops_balance ${name}_drops_equal_received_minus_admitted "$port" \
		limits_drops="$(limits_drops syn_cap port:$port)" \
		stats_syn_dropped_listener="$(($(stat_value syn_dropped_listener) - before))"
	expect_eq ${name}_stats_syn_seen_counts_every_syn_received "$(nft_syns "$port")" \
		"$(($(stat_value syn_seen) - seen))"
}

# prefix_cap NAME PORT ADDR PREFIX LEN_ATTR LEN FLOOD...: no listener cap,
# PREFIX_MAX per source prefix of LEN bits; the flood comes from PREFIX
# until $srv has received FLOOD_SYNS of it, and once the prefix is at its
# cap a real connection is made from $att's own address in another prefix.
prefix_cap()
{
	local name=$1 port=$2 addr=$3 prefix=$4 len_attr=$5 len=$6 err before
	local connected=1 during=0 seen
	shift 6

	before=$(stat_value syn_dropped_prefix)
	seen=$(stat_value syn_seen)
	err=$(cap_add "$port" listener_max=0 prefix_max=$PREFIX_MAX $len_attr=$len) ||
		echo "# $name: $err"
	start_flood "$port" "$prefix" "$@"
	if busywait $WAIT_MS half_open_is "$port" $PREFIX_MAX "$prefix"; then
		kill -0 $FLOOD_PID 2>/dev/null && during=1
		connects "$addr" "$port" && connected=0
	fi
	busywait $WAIT_MS syns_at_least "$port" "$FLOOD_SYNS"
	kill -TERM $FLOOD_PID
	end_flood "$port"
	busywait $WAIT_MS half_open_is "$port" $PREFIX_MAX "$prefix"
	expect_never_above ${name}_half_open_from_prefix_never_exceeds_cap $PREFIX_MAX
	expect_eq ${name}_half_open_from_prefix_reaches_cap $PREFIX_MAX "$(half_open "$port" "$prefix")"
	if [ $during = 0 ]; then
		ktap_result ${name}_other_prefix_connects_during_flood 1 \
			"the flood was over before the prefix reached its cap"
	else
		ktap_result ${name}_other_prefix_connects_during_flood $connected \
			"connect from $att to [$addr]:$port failed"
	fi
	expect_eq ${name}_limits_prefix_count_high_limit "$PREFIX_MAX $PREFIX_MAX $PREFIX_MAX" \
		"$(limits_row syn_prefix "port:$port,prefix:$prefix" | cut -d' ' -f1-3)"
	expect_drops_balance ${name}_drops_equal_received_minus_admitted "$port" \
		limits_cap_drops="$(limits_drops syn_cap port:$port)" \
		limits_prefix_drops="$(limits_drops syn_prefix "port:$port,prefix:$prefix")" \
		stats_syn_dropped_prefix="$(($(stat_value syn_dropped_prefix) - before))"
	expect_eq ${name}_stats_syn_seen_counts_every_syn_received "$(nft_syns "$port")" \
		"$(($(stat_value syn_seen) - seen))"
}

# ==============================================================================

require_tools nft hping3 ss nstat python3

ktap_plan 79

tcpstate_loaded && tcpstate_unload
tcpstate_load || ktap_finish
if ! setup_topology || ! start_listeners; then
	echo "# cannot build the topology"
	ktap_finish
fi
SRV_INO=$(ns_inode "$srv")

listener_cap listener_cap_ipv4 $PORT_LISTENER4 flood_hping3 $PORT_LISTENER4

# The cap follows the queue down as well as up: with its request socks
# aborted (ss -K), the listener takes SYNs again, up to the cap again.
ip netns exec "$srv" ss -K -tan state syn-recv "( sport = :$PORT_LISTENER4 )" > /dev/null
busywait $WAIT_MS half_open_is $PORT_LISTENER4 0
ip netns exec "$att" "$HELPERS/synflood" -A 10.66.0.0/16 -c $((4 * LISTENER_MAX)) \
	$SRV4 $PORT_LISTENER4 > /dev/null
busywait $WAIT_MS half_open_is $PORT_LISTENER4 $LISTENER_MAX
expect_eq listener_cap_ipv4_refills_after_half_open_aborted \
	"$LISTENER_MAX $LISTENER_MAX" \
	"$(half_open $PORT_LISTENER4) $(limits_row syn_cap port:$PORT_LISTENER4 | cut -d' ' -f1)"

listener_cap listener_cap_ipv6 $PORT_LISTENER6 \
	flood_synflood $SRV6 $PORT_LISTENER6 $PREFIX6_LISTENER
listener_cap listener_cap_two_cpus $PORT_LISTENER_SMP flood_each_cpu $PORT_LISTENER_SMP

# Judged in process context after user space's verdict, the cap holds as
# exactly as in the softirq. The hook turns BHs off for its judgement:
# without that, a SYN's softirq on the same CPU could judge in the middle
# of it (a claim lost for good: its slot one place fuller until the next
# load), and on the debug kernel (DEBUG_PREEMPT) the hook's per-CPU
# claims splat at the first SYN.
if setup_nfqueue; then
	listener_cap listener_cap_nfqueue_verdict $PORT_NFQUEUE \
		flood_synflood $SRV4 $PORT_NFQUEUE 10.67.0.0/16
	expect_eq listener_cap_nfqueue_verdict_every_syn_back_from_user_space \
		"$(nfqueue_queued)" "$(nft_syns $PORT_NFQUEUE)"
else
	echo "# cannot queue SYNs to user space"
fi

# TPROXY: the cap on a port bounds the queue TCP puts the port's SYNs on,
# the transparent listener's, not that of the port's own listener (which
# must take no SYN at all). The SYNs still count as the port's: their
# request socks carry its number, so ss and the cap's row show them there.
# tproxy_cap NAME PORT FLOOD...
tproxy_cap()
{
	local name=$1 port=$2

	listener_cap "$@"
	expect_eq ${name}_port_own_listener_takes_no_syn 0 "$(listener_syns "$port")"
}
# Two ports, a listener cap of LISTENER_MAX on each, and TPROXY handing
# the SYNs of both to one listener: its queue holds both ports' request
# socks, and each cap bounds that whole queue. The ports are flooded at
# once, one from each CPU, so that SYNs for the two caps are judged
# together; each must count the other's SYNs in flight (one table of
# listener claims for all caps).
flood_two_ports()
{
	local cpu=0 port

	for port in $PORT_TPROXY_A $PORT_TPROXY_B; do
		ip netns exec "$att" taskset -c $cpu "$HELPERS/synflood" -A 10.7$cpu.0.0/16 \
			-c $((FLOOD_SYNS / 2)) $SRV4 $port &
		cpu=$((cpu + 1))
	done
	wait
}

tproxy_two_ports_one_listener()
{
	local name=tproxy_two_ports_one_listener ports=$PORT_TPROXY_A+$PORT_TPROXY_B
	local before seen err port counts=0 drops=0

	before=$(stat_value syn_dropped_listener)
	seen=$(stat_value syn_seen)
	for port in $PORT_TPROXY_A $PORT_TPROXY_B; do
		err=$(cap_add "$port" listener_max=$LISTENER_MAX) || echo "# $name: $err"
	done
	start_flood "$ports" "" flood_two_ports
	end_flood "$ports"
	busywait $WAIT_MS half_open_is "$ports" $LISTENER_MAX
	expect_never_above ${name}_half_open_never_exceeds_cap $LISTENER_MAX
	expect_eq ${name}_half_open_reaches_cap $LISTENER_MAX "$(half_open "$ports")"
	for port in $PORT_TPROXY_A $PORT_TPROXY_B; do
		counts=$((counts + $(limits_row syn_cap port:$port | cut -d' ' -f1)))
		drops=$((drops + $(limits_drops syn_cap port:$port)))
	done
	expect_eq ${name}_limits_counts_add_up_to_cap $LISTENER_MAX "$counts"
	expect_drops_balance ${name}_drops_equal_received_minus_admitted "$ports" \
		limits_drops="$drops" \
		stats_syn_dropped_listener="$(($(stat_value syn_dropped_listener) - before))"
	expect_eq ${name}_stats_syn_seen_counts_every_syn_received "$(nft_syns "$ports")" \
		"$(($(stat_value syn_seen) - seen))"
}

tproxy_skip=
if debug_kernel; then
	tproxy_skip="$ksft_skip"
	tproxy_why="the debug kernel is built without TPROXY"
elif ! setup_tproxy; then
	tproxy_skip=1
	tproxy_why="nft tproxy rules refused"
fi
if [ -z "$tproxy_skip" ]; then
	tproxy_cap tproxy_listener_cap_ipv4 $PORT_TPROXY4 flood_hping3 $PORT_TPROXY4
	tproxy_cap tproxy_listener_cap_ipv6 $PORT_TPROXY6 \
		flood_synflood $SRV6 $PORT_TPROXY6 $PREFIX6_LISTENER
	tproxy_two_ports_one_listener
	# The prefix cap counts request socks by the SYN's port, which they
	# carry whatever listener TPROXY chose; a client from another prefix
	# still reaches the transparent listener.
	prefix_cap tproxy_prefix_cap_ipv4 $PORT_TPROXY_PREFIX $SRV4 $PREFIX4 prefix_len4 24 \
		flood_synflood $SRV4 $PORT_TPROXY_PREFIX $PREFIX4 0
else
	for i in $(seq 23); do
		ktap_result tproxy_listener_cap_$i "$tproxy_skip" "$tproxy_why"
	done
fi

# A SYN that meets two caps (port:P and netns:N,port:P), both listener
# caps of LISTENER_MAX, claims its listener once: the queue reaches
# LISTENER_MAX exactly. Claimed twice, the second cap would count the SYN
# twice and stop the queue one short, whichever cap comes first.
two_caps_row()
{
	local key counts= drops=0

	for key in port:$PORT_TWO_CAPS "netns:$SRV_INO,port:$PORT_TWO_CAPS"; do
		counts="$counts $(limits_row syn_cap "$key" | cut -d' ' -f1)"
		drops=$((drops + $(limits_drops syn_cap "$key")))
	done
	echo "counts$counts drops=$drops"
}
before=$(stat_value syn_dropped_listener)
for key in "netns:$SRV_INO,port:$PORT_TWO_CAPS" port:$PORT_TWO_CAPS; do
	err=$(sysfs_write "$SYSFS/limits/syn_caps/add" "$key")
	[ "$err" = OK ] || echo "# two caps: add $key: $err"
	err=$(sysfs_write "$SYSFS/limits/syn_caps/$key/listener_max" $LISTENER_MAX)
	[ "$err" = OK ] || echo "# two caps: $key listener_max: $err"
done
start_flood $PORT_TWO_CAPS "" flood_hping3 $PORT_TWO_CAPS
end_flood $PORT_TWO_CAPS
busywait $WAIT_MS half_open_is $PORT_TWO_CAPS $LISTENER_MAX
expect_never_above two_caps_half_open_never_exceeds_cap $LISTENER_MAX
expect_eq two_caps_half_open_reaches_cap $LISTENER_MAX "$(half_open $PORT_TWO_CAPS)"
dropped=$(($(stat_value syn_dropped_listener) - before))
expect_eq two_caps_counts_and_drops \
	"counts $LISTENER_MAX $LISTENER_MAX drops=$(($(nft_syns $PORT_TWO_CAPS) - $(listener_syns $PORT_TWO_CAPS)))" \
	"$(two_caps_row)"
expect_eq two_caps_a_syn_dropped_once_in_stats "$(($(nft_syns $PORT_TWO_CAPS) - $(listener_syns $PORT_TWO_CAPS)))" \
	"$dropped"

# Claims of SYNs TCP does not queue. With tcp_syncookies=2 every SYN is
# answered with a cookie and no request sock, so no claim ends at a
# hashing: each ends when the next SYN is judged on its CPU (a SYN is
# judged on the CPU that sent it over the veth). Under a cap of 1, a
# claim left behind would drop every later SYN; until its CPU judges
# again it makes the cap one stricter for the other CPU, as documented.
# syn_cookies N CPU: N SYNs from CPU, all judged before it returns.
syn_cookies()
{
	ip netns exec "$att" taskset -c "$2" "$HELPERS/synflood" -A 10.67.0.0/16 -c "$1" \
		$SRV4 $PORT_COOKIES > /dev/null
	last_syns=
	busywait $WAIT_MS syns_settled $PORT_COOKIES
}
cookies_sent() { netns_counter "$srv" TcpExtSyncookiesSent; }
cookies_row() { echo "drops=$(limits_drops syn_cap port:$PORT_COOKIES) syns=$(listener_syns $PORT_COOKIES) cookies=$(($(cookies_sent) - cookies_before)) queued=$(half_open $PORT_COOKIES)"; }
ip netns exec "$srv" sysctl -qw net.ipv4.tcp_syncookies=2
cookies_before=$(cookies_sent)
err=$(cap_add $PORT_COOKIES listener_max=1) || echo "# cookies: $err"
syn_cookies 50 0
expect_eq cookies_claims_end_at_next_syn_on_their_cpu "drops=0 syns=50 cookies=50 queued=0" \
	"$(cookies_row)"
syn_cookies 1 1
expect_eq cookies_claim_left_makes_cap_one_stricter_elsewhere "drops=1 syns=50 cookies=50 queued=0" \
	"$(cookies_row)"
syn_cookies 1 0
expect_eq cookies_claim_left_ends_when_its_cpu_judges_again "drops=1 syns=51 cookies=51 queued=0" \
	"$(cookies_row)"
# A claim left on a CPU that goes offline ends with it. The cap is taken
# away and put back (its removal takes every claim back), a SYN from CPU 1
# leaves its claim there, CPU 1 goes offline, and a SYN from CPU 0 must
# pass: with the claim kept, it would be dropped until CPU 1 came back.
# The new cap starts with no drops.
cpu1_online=/sys/devices/system/cpu/cpu1/online
if [ -w $cpu1_online ] && [ "$(cat $cpu1_online)" = 1 ]; then
	limit_remove syn_caps port:$PORT_COOKIES
	err=$(cap_add $PORT_COOKIES listener_max=1) || echo "# cookies: $err"
	syn_cookies 1 1
	echo 0 > $cpu1_online
	syn_cookies 1 0
	echo 1 > $cpu1_online
	expect_eq cookies_claim_of_offlined_cpu_ends "drops=0 syns=53 cookies=53 queued=0" \
		"$(cookies_row)"
else
	ktap_result cookies_claim_of_offlined_cpu_ends "$ksft_skip" "cpu1 cannot go offline"
fi
# A prefix claim left behind makes its own prefix's cap one stricter, and
# no other's. Under a prefix cap of 1, a SYN from 10.68.0.1 on CPU 0
# leaves its claim there; a SYN of that /24 from CPU 1 is dropped, and
# SYNs from CPU 1 of eight other /24s pass. Those eight hash to the same
# one of the cap's 16 prefix counters as 10.68.0.0/24 (hash_32() of the
# prefix's four words XORed, as syncap.c spreads them): until 2026-12-06
# the claim stayed in that counter, and all eight were dropped.
# syn_cookie_from SRC CPU: one SYN from SRC, judged on CPU.
syn_cookie_from()
{
	ip netns exec "$att" taskset -c "$2" "$HELPERS/synflood" -a "$1" \
		$SRV4 $PORT_COOKIES_PREFIX > /dev/null
	last_syns=
	busywait $WAIT_MS syns_settled $PORT_COOKIES_PREFIX
}
cookies_prefix_row() { echo "drops=$(limits_drops syn_cap port:$PORT_COOKIES_PREFIX) syns=$(listener_syns $PORT_COOKIES_PREFIX) queued=$(half_open $PORT_COOKIES_PREFIX)"; }
err=$(cap_add $PORT_COOKIES_PREFIX listener_max=0 prefix_max=1 prefix_len4=24) ||
	echo "# cookies prefix: $err"
syn_cookie_from 10.68.0.1 0
syn_cookie_from 10.68.0.2 1
for third in 2 21 42 63 82 103 124 143; do
	syn_cookie_from 10.68.$third.1 1
done
expect_eq cookies_prefix_claim_left_makes_only_its_prefix_stricter "drops=1 syns=9 queued=0" \
	"$(cookies_prefix_row)"
syn_cookie_from 10.68.1.1 0
syn_cookie_from 10.68.0.3 1
expect_eq cookies_prefix_claim_left_ends_when_its_cpu_judges_again "drops=1 syns=11 queued=0" \
	"$(cookies_prefix_row)"
ip netns exec "$srv" sysctl -qw net.ipv4.tcp_syncookies=0

prefix_cap prefix_cap_ipv4 $PORT_PREFIX4 $SRV4 $PREFIX4 prefix_len4 24 \
	flood_synflood $SRV4 $PORT_PREFIX4 $PREFIX4 0
prefix_cap prefix_cap_ipv6 $PORT_PREFIX6 $SRV6 $PREFIX6 prefix_len6 64 \
	flood_synflood $SRV6 $PORT_PREFIX6 $PREFIX6 0
# An IPv6 listener taking IPv4 (IPV6_V6ONLY off, as Go and Java listen):
# its request socks hold their IPv4 peers v4-mapped, the hook saw them as
# IPv4, and each must still take its SYN's place over (else the prefix
# counts it twice for a moment, and its HIGH reads one over the cap).
prefix_cap prefix_cap_dual_stack $PORT_PREFIX_DUAL $SRV4 $PREFIX4_DUAL prefix_len4 24 \
	flood_synflood $SRV4 $PORT_PREFIX_DUAL $PREFIX4_DUAL 0

# A port no cap names: every SYN is queued, nothing is dropped, even from
# one /24 and with caps in force on other ports.
uncapped_stats() { echo "syn_seen=$(stat_value syn_seen) syn_dropped_listener=$(stat_value syn_dropped_listener) syn_dropped_prefix=$(stat_value syn_dropped_prefix)"; }
before=$(uncapped_stats)
ip netns exec "$att" "$HELPERS/synflood" -A 10.66.3.0/24 -c $UNCAPPED_SYNS \
	$SRV4 $PORT_UNCAPPED > /dev/null
last_syns=
busywait $WAIT_MS syns_settled $PORT_UNCAPPED
received=$(nft_syns $PORT_UNCAPPED)
busywait $WAIT_MS half_open_is $PORT_UNCAPPED "$received"
expect_eq uncapped_port_queues_every_syn "received=$received queued=$received syns=$received" \
	"received=$received queued=$(half_open $PORT_UNCAPPED) syns=$(listener_syns $PORT_UNCAPPED)"
expect_eq uncapped_port_seen_and_dropped_by_no_cap "$before" "$(uncapped_stats)"
connects $SRV4 $PORT_UNCAPPED
ktap_result uncapped_port_connects $? "connect to $SRV4:$PORT_UNCAPPED failed"

# TCP Fast Open without cookies (tcp_fastopen 0x607 at both ends): a SYN
# with data makes its child at once, in SYN_RECV, with no request sock,
# and the child must take its SYN's place in the prefix count as a
# request sock would. TFO_CLIENTS clients of $att's own /24, their
# SYN-ACKs dropped in $att so the children stay in SYN_RECV; under a
# prefix cap of TFO_PREFIX_MAX, that many are made and the rest dropped
# (until 2026-12-07 the module did not see the children until their
# third ACK, and let every one through). $att sends each client's first
# SYN only (a set of source ports seen), so that the counts stay still:
# no retransmission arrives while they are read. The listener has the
# TCP_FASTOPEN option: a listener only takes Fast Open with a queue.
tfo_passive() { netns_counter "$srv" TcpExtTCPFastOpenPassive; }
tfo_prefix_row()
{
	echo "received=$(nft_syns $PORT_TFO_PREFIX) queued=$(half_open $PORT_TFO_PREFIX)" \
		"fast_open_children=$(tfo_passive)" \
		"prefix_count_drops=$(limits_row syn_prefix "port:$PORT_TFO_PREFIX,prefix:198.18.0.0/24" |
			awk '{ print $1 "," $4 }')"
}
err=$(cap_add $PORT_TFO_PREFIX listener_max=0 prefix_max=$TFO_PREFIX_MAX prefix_len4=24) ||
	echo "# fast open: $err"
ip netns exec "$att" sysctl -qw net.ipv4.tcp_fastopen=0x607
ip netns exec "$srv" sysctl -qw net.ipv4.tcp_fastopen=0x607
ip netns exec "$att" nft "add table inet tfo;
	add chain inet tfo input { type filter hook input priority filter; };
	add rule inet tfo input tcp sport $PORT_TFO_PREFIX tcp flags & (syn | ack) == syn | ack drop;
	add set inet tfo seen { type inet_service; flags dynamic; };
	add chain inet tfo output { type filter hook output priority filter; };
	add rule inet tfo output tcp dport $PORT_TFO_PREFIX tcp flags & (syn | ack) == syn \
		tcp sport @seen drop;
	add rule inet tfo output tcp dport $PORT_TFO_PREFIX tcp flags & (syn | ack) == syn \
		add @seen { tcp sport }"
ip netns exec "$att" python3 "$TOP/selftests/helpers/fastopen_syns.py" \
	$SRV4 $PORT_TFO_PREFIX $TFO_CLIENTS 60 &
tfo_clients=$!
BG_PIDS+=($tfo_clients)
busywait $WAIT_MS syns_at_least $PORT_TFO_PREFIX $TFO_CLIENTS
last_syns=
busywait $WAIT_MS syns_settled $PORT_TFO_PREFIX
expect_eq fast_open_children_take_their_syns_place_in_prefix_count \
	"received=$TFO_CLIENTS queued=$TFO_PREFIX_MAX fast_open_children=$TFO_PREFIX_MAX prefix_count_drops=$TFO_PREFIX_MAX,$((TFO_CLIENTS - TFO_PREFIX_MAX))" \
	"$(tfo_prefix_row)"
expect_drops_balance fast_open_prefix_cap_drops_equal_received_minus_admitted $PORT_TFO_PREFIX \
	limits_prefix_drops="$(limits_drops syn_prefix "port:$PORT_TFO_PREFIX,prefix:198.18.0.0/24")"
kill $tfo_clients 2>/dev/null
wait $tfo_clients 2>/dev/null

# The floods' premise: $att let the SYN-ACKs die, so no half-open
# connection ended early: no unreachable, and no RST but those of its own
# client's connections to $srv (a debug-kernel run of 2026-12-06 saw one
# such RST, TcpOutRsts=1, with every other check passing; they are
# printed). Absolute counters (-a, history untouched: -s) of a namespace
# as old as the test.
echo "# attacker RSTs: $(att_rsts client) from its client to the server, $(att_rsts other) else;" \
	"sent to (address . sport . dport): $(att_rst_destinations rst4) $(att_rst_destinations rst6)"
expect_eq attacker_sent_no_rst_or_unreachable \
	"Icmp6OutDestUnreachs=0 IcmpOutDestUnreachs=0 rst_other=0" \
	"$(ip netns exec "$att" nstat -asz IcmpOutDestUnreachs Icmp6OutDestUnreachs |
		awk 'NR > 1 { print $1 "=" $2 }' | LC_ALL=C sort | paste -sd' ') rst_other=$(att_rsts other)"

echo "# stats: $(awk 'NR > 1 && $1 ~ /^(syn_|probes_missed)/ { printf "%s=%s ", $1, $2 }' "$DEBUGFS/stats")"
kill "${BG_PIDS[@]}" 2>/dev/null
wait
BG_PIDS=()
cleanup_ns "$att" "$srv"
tcpstate_unload
ktap_finish
