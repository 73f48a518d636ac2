/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tcpstate's user-space ABI: the TCP state numbering and names the module
 * prints, and the fixed-size record of its transition log (debugfs
 * events_raw). User-space tools include this header and nothing else.
 *
 * State numbers are the kernel's own (include/net/tcp_states.h), so a
 * record's old_state/new_state compare directly with what ss and the
 * inet_sock_set_state tracepoint report.
 */
#ifndef _UAPI_TCPSTATE_H
#define _UAPI_TCPSTATE_H

#include <linux/types.h>

enum tcpstate_state {
	TCPSTATE_ESTABLISHED = 1,
	TCPSTATE_SYN_SENT,
	TCPSTATE_SYN_RECV,
	TCPSTATE_FIN_WAIT1,
	TCPSTATE_FIN_WAIT2,
	TCPSTATE_TIME_WAIT,
	TCPSTATE_CLOSE,
	TCPSTATE_CLOSE_WAIT,
	TCPSTATE_LAST_ACK,
	TCPSTATE_LISTEN,
	TCPSTATE_CLOSING,
	TCPSTATE_NEW_SYN_RECV,
	TCPSTATE_BOUND_INACTIVE,	/* since Linux 6.8; never seen on 6.1 */
	TCPSTATE_NR_STATES		/* one past the last; 0 is unused */
};

/* Names as the kernel spells the states, without the TCP_ prefix. */
#define TCPSTATE_STATE_NAMES {				\
	[0]			  = "UNKNOWN",		\
	[TCPSTATE_ESTABLISHED]	  = "ESTABLISHED",	\
	[TCPSTATE_SYN_SENT]	  = "SYN_SENT",		\
	[TCPSTATE_SYN_RECV]	  = "SYN_RECV",		\
	[TCPSTATE_FIN_WAIT1]	  = "FIN_WAIT1",	\
	[TCPSTATE_FIN_WAIT2]	  = "FIN_WAIT2",	\
	[TCPSTATE_TIME_WAIT]	  = "TIME_WAIT",	\
	[TCPSTATE_CLOSE]	  = "CLOSE",		\
	[TCPSTATE_CLOSE_WAIT]	  = "CLOSE_WAIT",	\
	[TCPSTATE_LAST_ACK]	  = "LAST_ACK",		\
	[TCPSTATE_LISTEN]	  = "LISTEN",		\
	[TCPSTATE_CLOSING]	  = "CLOSING",		\
	[TCPSTATE_NEW_SYN_RECV]	  = "NEW_SYN_RECV",	\
	[TCPSTATE_BOUND_INACTIVE] = "BOUND_INACTIVE",	\
}

/* What kind of kernel object a record's socket is. */
enum tcpstate_sock_kind {
	TCPSTATE_KIND_FULL	= 0,	/* struct tcp_sock */
	TCPSTATE_KIND_REQUEST	= 1,	/* request sock: half-open, SYN queue */
	TCPSTATE_KIND_TIMEWAIT	= 2,	/* inet_timewait_sock */
};

/*
 * One transition, as read from debugfs events_raw. 72 bytes, naturally
 * aligned, no implicit padding; addresses are in network order, IPv4 in
 * the first four bytes of saddr/daddr with the rest zero.
 */
struct tcpstate_record {
	__u64 ts_ns;		/* CLOCK_MONOTONIC at the transition, ns */
	__u64 cookie;		/* socket cookie, as `ss -e` prints sk:<hex> */
	__u64 dwell_ns;		/* time spent in old_state, ns; 0 if unknown */
	__u32 netns_ino;	/* network namespace inode number */
	__u16 cpu;		/* CPU that saw the transition */
	__u8  family;		/* AF_INET or AF_INET6 */
	__u8  kind;		/* enum tcpstate_sock_kind */
	__u8  old_state;	/* enum tcpstate_state */
	__u8  new_state;	/* enum tcpstate_state */
	__u16 sport;		/* local port, host order */
	__u16 dport;		/* remote port, host order */
	__u16 reserved;		/* zero */
	__u8  saddr[16];	/* local address */
	__u8  daddr[16];	/* remote address */
};

#define TCPSTATE_RECORD_SIZE 72

#endif /* _UAPI_TCPSTATE_H */
