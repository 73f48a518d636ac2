// SPDX-License-Identifier: GPL-2.0
/*
 * The engine: one kernel event applied to everything tcpstate keeps.
 *
 *   hooks.c, adopt.c --tcpstate_event--> engine --> socket table (table.c)
 *                                                --> gauges, histograms, stats (here)
 *                                                --> transition matrix (matrix.c)
 *                                                --> transition log (log.c)
 *
 * Gauges are derived from the table: a socket adds one to the gauge of
 * its state when its entry is created and moves between gauges with its
 * entry, so they are exact for every tracked socket and a socket the
 * module never knew cannot drive a gauge negative. Sockets that do not
 * fit (max_sockets, memory) are counted in stats instead.
 *
 * A cookie can belong to two kernel objects in turn: a request sock hands
 * it to its child, a full sock to its timewait sock. The entry remembers a
 * tag of its current owner; events from a previous owner (the full
 * socket's FIN_WAIT2 -> CLOSE after TIME_WAIT began) are counted as
 * superseded and change nothing, so each connection's path reads
 * FIN_WAIT2 -> TIME_WAIT -> CLOSE. So are those of a child the kernel
 * discarded without its ever owning the cookie (tcpstate_engine_apply()).
 *
 * Everything here runs in probe context: no sleeping, GFP_ATOMIC only,
 * per-CPU counters, and the only lock is the entry's hashed spinlock.
 *
 * Cost. Every TCP state change runs tcpstate_engine_apply(), so the
 * helpers it uses on every transition are __always_inline (and those of
 * other files inline in their headers): each is a few instructions, less
 * than the call and return around it. The log record is written in its
 * ring slot, and the counters a transition bumps share one per-CPU
 * object, so an event touches few cache lines and pages.
 * bench/microbench.c measures the result in ns per event.
 */
#include <linux/percpu.h>
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/log2.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/engine.h>
#include <tcpstate/log.h>
#include <tcpstate/limits.h>
#include <tcpstate/lookup.h>

/* The module's own health: global only. */
struct tcpstate_engine_pcpu {
	u64 stat[TCPSTATE_STAT_NR];
};

static struct tcpstate_engine_pcpu __percpu *tcpstate_engine_pcpu;

struct tcpstate_counters tcpstate_global;

static const char *const tcpstate_stat_names[TCPSTATE_STAT_NR] = {
	[TCPSTATE_STAT_EVENTS]		= "events",
	[TCPSTATE_STAT_TABLE_FULL]	= "table_full",
	[TCPSTATE_STAT_ALLOC_FAILED]	= "alloc_failed",
	[TCPSTATE_STAT_UNTRACKED]	= "untracked",
	[TCPSTATE_STAT_SUPERSEDED]	= "superseded",
	[TCPSTATE_STAT_STATE_MISMATCH]	= "state_mismatch",
	[TCPSTATE_STAT_ADOPTED]		= "adopted",
	[TCPSTATE_STAT_SWEPT]		= "swept",
};

int tcpstate_counters_init(struct tcpstate_counters *c)
{
	c->pcpu = alloc_percpu(struct tcpstate_counters_pcpu);
	if (!c->pcpu)
		return -ENOMEM;
	c->matrix.cells = &c->pcpu->matrix;
	return 0;
}

void tcpstate_counters_uninit(struct tcpstate_counters *c)
{
	free_percpu(c->pcpu);
	c->pcpu = NULL;
	c->matrix.cells = NULL;
}

/* Counters and histograms start over; gauges are state, not counts. */
void tcpstate_counters_reset(struct tcpstate_counters *c)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(c->pcpu, cpu)->hist, 0, sizeof(c->pcpu->hist));
	tcpstate_matrix_reset(&c->matrix);
}

int tcpstate_engine_init(void)
{
	int ret;

	ret = tcpstate_counters_init(&tcpstate_global);
	if (ret)
		return ret;
	tcpstate_engine_pcpu = alloc_percpu(struct tcpstate_engine_pcpu);
	if (!tcpstate_engine_pcpu) {
		tcpstate_counters_uninit(&tcpstate_global);
		return -ENOMEM;
	}
	return 0;
}

void tcpstate_engine_uninit(void)
{
	free_percpu(tcpstate_engine_pcpu);
	tcpstate_engine_pcpu = NULL;
	tcpstate_counters_uninit(&tcpstate_global);
}

u32 tcpstate_owner_tag(const struct sock *sk)
{
	return hash_ptr(sk, 32);
}

static void tcpstate_stat_inc(enum tcpstate_stat stat)
{
	this_cpu_inc(tcpstate_engine_pcpu->stat[stat]);
}

/* The lifecycle order a cookie's owner may move along: never backwards. */
static int tcpstate_kind_rank(u8 kind)
{
	switch (kind) {
	case TCPSTATE_KIND_REQUEST:
		return 0;
	case TCPSTATE_KIND_FULL:
		return 1;
	default:
		return 2;
	}
}

/*
 * Copies the tuple from sock_common, valid for all three kinds of socket.
 * An IPv4 address goes in the first word and the rest is zeroed, which is
 * how a log record holds it too.
 */
static __always_inline void tcpstate_sock_fill_tuple(struct tcpstate_sock *ts,
						     const struct sock *sk)
{
	const struct sock_common *skc = &sk->__sk_common;

	ts->netns_ino = read_pnet(&skc->skc_net)->ns.inum;
	ts->sport = skc->skc_num;
	ts->dport = ntohs(skc->skc_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (skc->skc_family == AF_INET6) {
		ts->flags |= TCPSTATE_SOCK_INET6;
		ts->saddr = skc->skc_v6_rcv_saddr;
		ts->daddr = skc->skc_v6_daddr;
		return;
	}
#endif /* CONFIG_IPV6 */
	/* IPV6_ADDRFORM turns an IPv6 socket talking IPv4 into an IPv4 one. */
	ts->flags &= ~TCPSTATE_SOCK_INET6;
	ipv6_addr_set(&ts->saddr, skc->skc_rcv_saddr, 0, 0, 0);
	ipv6_addr_set(&ts->daddr, skc->skc_daddr, 0, 0, 0);
}

static __always_inline void tcpstate_sock_push_history(struct tcpstate_sock *ts, int from, int to,
						       u64 now)
{
	unsigned int slot = ts->nr_history % TCPSTATE_SOCK_HISTORY;
	u64 ms = div_u64(now - ts->created_ns, NSEC_PER_MSEC);

	/* After 255, nr_history cycles through 248..255: same slot, never 0. */
	BUILD_BUG_ON((U8_MAX + 1) % TCPSTATE_SOCK_HISTORY);
	ts->history_state[slot] = from << 4 | to;
	ts->history_ms[slot] = min_t(u64, ms, U32_MAX);
	ts->nr_history = ts->nr_history < U8_MAX ? ts->nr_history + 1 :
			 U8_MAX + 1 - TCPSTATE_SOCK_HISTORY;
}

static __always_inline void tcpstate_hist_add(struct tcpstate_counters *nc, int state, u64 dwell_ns)
{
	int bucket = dwell_ns ? ilog2(dwell_ns) : 0;

	this_cpu_inc(tcpstate_global.pcpu->hist[state][bucket]);
	if (nc)
		this_cpu_inc(nc->pcpu->hist[state][bucket]);
}

/* ts entered (+1) or left (-1) state: the gauges and the limits' counts move. */
static __always_inline void tcpstate_gauge_add(struct tcpstate_counters *nc,
					       struct tcpstate_sock *ts, int state, int delta)
{
	this_cpu_add(tcpstate_global.pcpu->gauge[state], delta);
	if (nc)
		this_cpu_add(nc->pcpu->gauge[state], delta);
	tcpstate_limits_account(ts, state, delta);
}

/*
 * The log record of a transition, built in its ring slot. The tuple comes
 * from the entry when the socket is tracked: by the time a socket reaches
 * CLOSE the kernel has released its port, and the entry still holds the
 * last real one.
 */
static __always_inline void tcpstate_log_transition(const struct tcpstate_event *ev,
						    const struct tcpstate_sock *ts, int from,
						    int to, u64 dwell_ns, u64 now)
{
	struct tcpstate_record *rec;
	unsigned long flags;

	/* An entry's addresses are laid out as the record's: see fill_tuple. */
	BUILD_BUG_ON(sizeof(rec->saddr) != sizeof(ts->saddr));
	BUILD_BUG_ON(sizeof(rec->daddr) != sizeof(ts->daddr));

	rec = tcpstate_log_reserve(&tcpstate_log, &flags);
	rec->ts_ns = now;
	rec->cookie = ev->cookie;
	rec->dwell_ns = dwell_ns;
	rec->netns_ino = ts->netns_ino;
	rec->family = ts->flags & TCPSTATE_SOCK_INET6 ? AF_INET6 : AF_INET;
	rec->kind = ev->kind;
	rec->old_state = from;
	rec->new_state = to;
	rec->sport = ts->sport;
	rec->dport = ts->dport;
	memcpy(rec->saddr, &ts->saddr, sizeof(rec->saddr));
	memcpy(rec->daddr, &ts->daddr, sizeof(rec->daddr));
	tcpstate_log_commit(&tcpstate_log, rec, flags);
}

/*
 * A socket the table does not hold: its tuple from the socket itself.
 * Out of line, so that the common path does not zero a whole entry on
 * its stack (CONFIG_INIT_STACK_ALL_ZERO) for nothing.
 */
static noinline void tcpstate_log_untracked_transition(const struct tcpstate_event *ev, int from,
						       int to, u64 now)
{
	struct tcpstate_sock tuple = {};

	tcpstate_sock_fill_tuple(&tuple, ev->sk);
	tcpstate_log_transition(ev, &tuple, from, to, 0, now);
}

/*
 * Counts a transition in the matrix, the histogram of the state it left
 * and the log: whether or not the socket is tracked, while enabled.
 */
static __always_inline void tcpstate_count_transition(const struct tcpstate_event *ev,
						      struct tcpstate_counters *nc,
						      const struct tcpstate_sock *ts, int from,
						      int to, u64 dwell_ns, bool dwell_known,
						      u64 now)
{
	if (!READ_ONCE(tcpstate_enabled) || from == to)
		return;
	tcpstate_matrix_count(&tcpstate_global.matrix, from, to);
	if (nc)
		tcpstate_matrix_count(&nc->matrix, from, to);
	if (dwell_known)
		tcpstate_hist_add(nc, from, dwell_ns);
	if (ts)
		tcpstate_log_transition(ev, ts, from, to, dwell_known ? dwell_ns : 0, now);
	else
		tcpstate_log_untracked_transition(ev, from, to, now);
}

/* A new entry for ev, or NULL with the reason counted. Caller holds the lock. */
static struct tcpstate_sock *tcpstate_engine_track(const struct tcpstate_event *ev,
						   struct tcpstate_counters *nc, u64 now)
{
	struct tcpstate_sock *ts;
	bool full;

	ts = tcpstate_table_insert(ev->cookie, &full);
	if (!ts) {
		tcpstate_stat_inc(full ? TCPSTATE_STAT_TABLE_FULL :
					 TCPSTATE_STAT_ALLOC_FAILED);
		return NULL;
	}
	ts->created_ns = now;
	ts->entered_ns = now;
	ts->kind = ev->kind;
	ts->state = ev->new_state;
	ts->owner_tag = tcpstate_owner_tag(ev->sk);
	tcpstate_sock_fill_tuple(ts, ev->sk);
	tcpstate_gauge_add(nc, ts, ev->new_state, 1);
	return ts;
}

/*
 * A child whose request sock was never queued (syncookie, Fast Open) or
 * whose request tcpstate did not see: it was born of its listener, so
 * count LISTEN -> SYN_RECV and track it in SYN_RECV, ready for ev.
 */
static struct tcpstate_sock *tcpstate_engine_track_child(const struct tcpstate_event *ev,
							 struct tcpstate_counters *nc,
							 u64 now)
{
	struct tcpstate_event birth = *ev;
	struct tcpstate_sock *ts;

	birth.old_state = TCPSTATE_LISTEN;
	birth.new_state = TCPSTATE_SYN_RECV;
	tcpstate_count_transition(ev, nc, NULL, TCPSTATE_LISTEN, TCPSTATE_SYN_RECV, 0, false, now);
	ts = tcpstate_engine_track(&birth, nc, now);
	if (ts)
		tcpstate_sock_push_history(ts, TCPSTATE_LISTEN, TCPSTATE_SYN_RECV, now);
	return ts;
}

void tcpstate_engine_apply(const struct tcpstate_event *ev)
{
	u32 tag = tcpstate_owner_tag(ev->sk);
	int old = ev->old_state, new = ev->new_state;
	struct tcpstate_sock *ts;
	spinlock_t *lock;	/* the entry's hashed lock: serializes its updates */
	struct tcpstate_counters *nc;	/* the socket's namespace's, or NULL */
	u64 now, dwell;
	bool changed;

	tcpstate_stat_inc(TCPSTATE_STAT_EVENTS);
	/*
	 * A child takes its request's entry with its first event, but not
	 * every child that reports one took the request's place. The kernel
	 * may make a child and discard it before hashing it: the failures of
	 * tcp_v{4,6}_syn_recv_sock() after the clone (put_and_exit:
	 * tcp_done()), and the loser of two ACKs for one request on two CPUs
	 * (inet_ehash_nolisten(): a sibling replaced the request first). It
	 * reports SYN_RECV -> CLOSE, then its free, while the request stays
	 * queued (and ends, or hands its cookie to a later ACK's child) or
	 * the sibling lives on. Taken over, its entry would count the
	 * attempt's end or start twice, or the sibling's events would be
	 * superseded. Such a child is told by what the established hash
	 * holds under the entry's tuple: another socket of the same cookie.
	 * Asked before the entry's lock is taken: the lookup takes it to read
	 * the tuple, and its sock_gen_put() may free a socket of this cookie,
	 * whose free comes back here. A rare transition: the lookup is cheap.
	 */
	if (unlikely(ev->type == TCPSTATE_EV_TRANSITION && ev->kind == TCPSTATE_KIND_FULL &&
		     old == TCPSTATE_SYN_RECV && new == TCPSTATE_CLOSE) &&
	    tcpstate_cookie_held_by_other(ev->sk, ev->cookie)) {
		tcpstate_stat_inc(TCPSTATE_STAT_SUPERSEDED);
		return;
	}
	lock = tcpstate_sock_lock(ev->cookie);
	/*
	 * Probe context is not an RCU reader to lockdep; adoption is not at
	 * all. BHs off, not interrupts: on 6.1 the table's bucket locks turn
	 * BHs off and on again (rht_lock()), and BHs turned back on with
	 * interrupts off may run pending softirqs right there, inside this
	 * lock; hooks never run in hardirq context.
	 */
	rcu_read_lock();
	spin_lock_bh(lock);
	/*
	 * Read under the lock, so that an entry's times only move forward
	 * when two CPUs report one socket. A free records no time.
	 */
	now = ev->type == TCPSTATE_EV_FREE ? 0 : ktime_get_ns();
	ts = tcpstate_table_lookup(ev->cookie);
	nc = tcpstate_netns_counters_of(read_pnet(&ev->sk->sk_net));

	if (!ts) {
		switch (ev->type) {
		case TCPSTATE_EV_FREE:
			break;
		case TCPSTATE_EV_EXIT:
			/* Born before load and missed by the walk, or not tracked. */
			tcpstate_stat_inc(TCPSTATE_STAT_UNTRACKED);
			tcpstate_count_transition(ev, nc, NULL, old, new, 0, false, now);
			break;
		case TCPSTATE_EV_ADOPT:
			ts = tcpstate_engine_track(ev, nc, now);
			if (ts) {
				ts->flags |= TCPSTATE_SOCK_ADOPTED;
				tcpstate_stat_inc(TCPSTATE_STAT_ADOPTED);
			}
			break;
		case TCPSTATE_EV_TRANSITION:
			/*
			 * Only a timewait sock's re-arm reports an unknown old
			 * state, and its entry was made when it was published
			 * (or adopted): none left means it was killed on another
			 * CPU while this one re-armed it. Nothing to bring back.
			 */
			if (old == TCPSTATE_STATE_UNKNOWN) {
				tcpstate_stat_inc(TCPSTATE_STAT_UNTRACKED);
				break;
			}
			if (ev->kind == TCPSTATE_KIND_FULL && old == TCPSTATE_SYN_RECV) {
				ts = tcpstate_engine_track_child(ev, nc, now);
				if (ts)
					goto apply;
				tcpstate_count_transition(ev, nc, NULL, old, new, 0, false, now);
				break;
			}
			ts = tcpstate_engine_track(ev, nc, now);
			/* Anything but a birth means we never saw it start. */
			if (old != TCPSTATE_CLOSE && old != TCPSTATE_LISTEN) {
				tcpstate_stat_inc(TCPSTATE_STAT_UNTRACKED);
				if (ts)
					ts->flags |= TCPSTATE_SOCK_ADOPTED;
			}
			if (ts)
				tcpstate_sock_push_history(ts, old, new, now);
			tcpstate_count_transition(ev, nc, ts, old, new, 0, false, now);
			break;
		}
		goto out_unlock;
	}

	if (ev->type == TCPSTATE_EV_ADOPT) {
		/*
		 * A hook got there first and knows better, unless the walk
		 * found the cookie's next owner: a timewait sock published
		 * before its probe was registered, whose full sock is still
		 * in the table. Without the handover its free would take the
		 * entry away from the live timewait sock.
		 */
		if (ts->owner_tag != tag &&
		    tcpstate_kind_rank(ev->kind) > tcpstate_kind_rank(ts->kind)) {
			tcpstate_gauge_add(nc, ts, ts->state, -1);
			ts->owner_tag = tag;
			ts->kind = ev->kind;
			ts->state = new;
			ts->entered_ns = now;
			tcpstate_sock_fill_tuple(ts, ev->sk);
			tcpstate_gauge_add(nc, ts, new, 1);
		}
		goto out_unlock;
	}

	if (ts->owner_tag != tag) {
		/*
		 * Only a handover (request -> child, full -> timewait, request
		 * -> migrated request) may change the owner; anything else
		 * comes from an object that no longer owns the cookie. A
		 * request migrated between reuseport listeners reports nothing
		 * until its end: its exit takes the entry over from the request
		 * it was cloned from, which, unhashed, reports nothing more.
		 */
		bool migrated_exit = ev->type == TCPSTATE_EV_EXIT &&
				     ev->kind == TCPSTATE_KIND_REQUEST &&
				     ts->kind == TCPSTATE_KIND_REQUEST;

		if ((ev->type != TCPSTATE_EV_TRANSITION && !migrated_exit) ||
		    tcpstate_kind_rank(ev->kind) < tcpstate_kind_rank(ts->kind) ||
		    (ev->kind == ts->kind && ev->kind != TCPSTATE_KIND_REQUEST)) {
			if (ev->type != TCPSTATE_EV_FREE)
				tcpstate_stat_inc(TCPSTATE_STAT_SUPERSEDED);
			goto out_unlock;
		}
		ts->owner_tag = tag;
		ts->kind = ev->kind;
	}

apply:
	if (ev->type == TCPSTATE_EV_FREE) {
		tcpstate_gauge_add(nc, ts, ts->state, -1);
		tcpstate_table_remove(ts);
		goto out_unlock;
	}

	/*
	 * The hook read the socket's state as it changed; the table may be
	 * behind if an event was missed (a probe's nmissed, or one that fired
	 * during load before its hook was registered). Trust the hook, and
	 * move the gauge from where the table had counted the socket.
	 */
	if (old == TCPSTATE_STATE_UNKNOWN)
		old = ts->state;
	else if (old != ts->state)
		tcpstate_stat_inc(TCPSTATE_STAT_STATE_MISMATCH);
	changed = new != ts->state || new != old;
	/*
	 * Out of the old state under the tuple the limits counted it with:
	 * connect() moves a socket to SYN_SENT before it has a local port.
	 */
	if (changed)
		tcpstate_gauge_add(nc, ts, ts->state, -1);
	/* Closing releases the port: keep the last real tuple. */
	if (new != TCPSTATE_CLOSE)
		tcpstate_sock_fill_tuple(ts, ev->sk);
	if (changed) {
		bool dwell_known = !(ts->flags & TCPSTATE_SOCK_ADOPTED) ||
				   ts->nr_history > 0;

		dwell = now - ts->entered_ns;
		tcpstate_count_transition(ev, nc, ts, old, new, dwell, dwell_known, now);
		tcpstate_sock_push_history(ts, old, new, now);
		ts->state = new;
		ts->entered_ns = now;
		tcpstate_gauge_add(nc, ts, new, 1);
	}
	if (ev->type == TCPSTATE_EV_EXIT) {
		tcpstate_gauge_add(nc, ts, new, -1);
		tcpstate_table_remove(ts);
	}

out_unlock:
	spin_unlock_bh(lock);
	rcu_read_unlock();
}

/*
 * The sweep found no socket for cookie's entry, which read (state,
 * entered_ns) when it looked: the socket ended without an event we saw.
 * The entry goes as the end would have taken it, gauges included; no
 * transition is counted, since none was seen. Nothing happens if the
 * entry moved meanwhile.
 */
bool tcpstate_engine_forget(u64 cookie, u8 state, u64 entered_ns, const struct net *net)
{
	spinlock_t *lock = tcpstate_sock_lock(cookie);
	struct tcpstate_sock *ts;
	bool forgotten = false;

	rcu_read_lock();
	spin_lock_bh(lock);
	ts = tcpstate_table_lookup(cookie);
	if (ts && ts->state == state && ts->entered_ns == entered_ns) {
		tcpstate_gauge_add(tcpstate_netns_counters_of(net), ts, state, -1);
		tcpstate_table_remove(ts);
		tcpstate_stat_inc(TCPSTATE_STAT_SWEPT);
		forgotten = true;
	}
	spin_unlock_bh(lock);
	rcu_read_unlock();
	return forgotten;
}

s64 tcpstate_counters_gauge(const struct tcpstate_counters *c, int state)
{
	s64 sum = 0;
	int cpu;

	if (!tcpstate_state_valid(state))
		return 0;
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(c->pcpu, cpu)->gauge[state]);
	return sum;
}

u64 tcpstate_counters_hist(const struct tcpstate_counters *c, int state, int bucket)
{
	u64 sum = 0;
	int cpu;

	if (!tcpstate_state_valid(state) || bucket < 0 || bucket >= TCPSTATE_HIST_BUCKETS)
		return 0;
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(c->pcpu, cpu)->hist[state][bucket]);
	return sum;
}

u64 tcpstate_stat_read(enum tcpstate_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(tcpstate_engine_pcpu, cpu)->stat[stat]);
	return sum;
}

const char *tcpstate_stat_name(enum tcpstate_stat stat)
{
	return tcpstate_stat_names[stat];
}

/* sysfs reset, global part: the namespaces' counters are netns.c's. */
void tcpstate_engine_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(tcpstate_engine_pcpu, cpu)->stat, 0,
		       sizeof(tcpstate_engine_pcpu->stat));
	tcpstate_counters_reset(&tcpstate_global);
}
