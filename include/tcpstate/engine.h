/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine: where a kernel event becomes tcpstate's data. Hooks describe
 * what they saw in a struct tcpstate_event and call tcpstate_engine_apply();
 * the engine updates the socket table, gauges, matrix, histograms and log.
 */
#ifndef _TCPSTATE_ENGINE_H
#define _TCPSTATE_ENGINE_H

#include <linux/types.h>
#include <linux/sock_diag.h>
#include <net/sock.h>
#include <tcpstate/tcpstate.h>

/* An event's old_state when the hook cannot know it: the table's is used. */
#define TCPSTATE_STATE_UNKNOWN 0

/* log2 buckets of dwell time in ns: bucket b holds [2^b, 2^(b+1)) ns. */
#define TCPSTATE_HIST_BUCKETS 64

enum tcpstate_event_type {
	/*
	 * The object moved from old_state to new_state (maybe old == new
	 * when only its kind changes, e.g. a request sock became a child).
	 */
	TCPSTATE_EV_TRANSITION,
	/* Like TRANSITION, and the object is gone afterwards. */
	TCPSTATE_EV_EXIT,
	/* The object is being freed; its entry goes if it still owns it. */
	TCPSTATE_EV_FREE,
	/* Seen at load by the walk of the hash tables. */
	TCPSTATE_EV_ADOPT,
};

struct tcpstate_event {
	const struct sock *sk;	/* full, request or timewait: sock_common only */
	u64 cookie;
	u8 type;		/* enum tcpstate_event_type */
	u8 kind;		/* enum tcpstate_sock_kind of sk */
	u8 old_state;		/* as the hook saw it, or TCPSTATE_STATE_UNKNOWN */
	u8 new_state;
};

/* Health counters, shown in debugfs stats. */
enum tcpstate_stat {
	TCPSTATE_STAT_EVENTS,		/* events the engine applied */
	TCPSTATE_STAT_TABLE_FULL,	/* new sockets not tracked: max_sockets */
	TCPSTATE_STAT_ALLOC_FAILED,	/* new sockets not tracked: no memory */
	TCPSTATE_STAT_UNTRACKED,	/* events for a socket not in the table */
	/*
	 * events from an object that does not own its cookie: it handed it on
	 * (full sock after TIME_WAIT), or never had it (a discarded child)
	 */
	TCPSTATE_STAT_SUPERSEDED,
	TCPSTATE_STAT_STATE_MISMATCH,	/* hook's old state != table's */
	TCPSTATE_STAT_ADOPTED,		/* sockets found at load */
	TCPSTATE_STAT_SWEPT,		/* entries whose socket was gone (sweep.c) */
	TCPSTATE_STAT_NR
};

/*
 * What tcpstate counts about sockets, kept once for all namespaces
 * (tcpstate_global) and once per namespace (module/netns.c). All per-CPU,
 * summed when read.
 */
struct tcpstate_counters_pcpu {
	s64 gauge[TCPSTATE_NR_STATES];	/* may go negative per CPU; sums cannot */
	/*
	 * Every transition bumps the matrix and moves two gauges: they sit
	 * together, in one allocation, so an event touches as few pages as
	 * it can (each one a TLB entry, and a softmmu walk under TCG).
	 */
	struct tcpstate_matrix_cells matrix;
	u64 hist[TCPSTATE_NR_STATES][TCPSTATE_HIST_BUCKETS];
};

struct tcpstate_counters {
	struct tcpstate_matrix matrix;	/* its cells are pcpu->matrix */
	struct tcpstate_counters_pcpu __percpu *pcpu;
};

extern struct tcpstate_counters tcpstate_global;

int tcpstate_counters_init(struct tcpstate_counters *c);
void tcpstate_counters_uninit(struct tcpstate_counters *c);
void tcpstate_counters_reset(struct tcpstate_counters *c);
s64 tcpstate_counters_gauge(const struct tcpstate_counters *c, int state);
u64 tcpstate_counters_hist(const struct tcpstate_counters *c, int state, int bucket);

/* netns.c: the counters of net, or NULL (being dismantled). RCU. */
struct tcpstate_counters *tcpstate_netns_counters_of(const struct net *net);

int tcpstate_engine_init(void);
void tcpstate_engine_uninit(void);
void tcpstate_engine_apply(const struct tcpstate_event *ev);
void tcpstate_engine_reset(void);
bool tcpstate_engine_forget(u64 cookie, u8 state, u64 entered_ns, const struct net *net);

static inline s64 tcpstate_gauge_read(int state)
{
	return tcpstate_counters_gauge(&tcpstate_global, state);
}

static inline u64 tcpstate_hist_read(int state, int bucket)
{
	return tcpstate_counters_hist(&tcpstate_global, state, bucket);
}

u64 tcpstate_stat_read(enum tcpstate_stat stat);
const char *tcpstate_stat_name(enum tcpstate_stat stat);

/*
 * The cookie inet_diag reports. Most events come from a socket that has
 * one already: read it. Otherwise sock_diag_save_cookie() generates it
 * the way sock_gen_cookie() would (not callable from modules), without
 * allocating or sleeping.
 */
static inline u64 tcpstate_sock_cookie(struct sock *sk)
{
	u64 cookie = atomic64_read(&sk->sk_cookie);
	u32 halves[2];

	if (likely(cookie))
		return cookie;
	sock_diag_save_cookie(sk, halves);
	return (u64)halves[1] << 32 | halves[0];
}

u32 tcpstate_owner_tag(const struct sock *sk);

#endif /* _TCPSTATE_ENGINE_H */
