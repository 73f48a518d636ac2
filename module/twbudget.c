// SPDX-License-Identifier: GPL-2.0
/*
 * TIME_WAIT budgets: when a scope holds more TIME_WAIT sockets than its
 * budget, its oldest are killed, the opposite of what the kernel does at
 * tcp_max_tw_buckets (it refuses the newest).
 *
 * Each budget keeps a FIFO of the cookies of its scope's TIME_WAIT
 * sockets in the order they entered TIME_WAIT: 8 bytes a socket, in
 * page-sized chunks. The engine appends under the entry's lock; a cookie
 * whose socket has gone is not searched for, it is skipped when it
 * reaches the head (and trimmed from the head as new ones arrive, so the
 * FIFO stays about as long as the scope's live count: TIME_WAIT sockets
 * mostly end in the order they began).
 *
 * Killing cannot happen where the engine runs: the hooks run inside TCP's
 * own functions (ftrace callbacks and kretprobes), and
 * inet_twsk_deschedule_put() waits for the timer (del_timer_sync) and
 * would re-enter our own probes. A worker does it, with the limits mutex
 * held, in process context with BHs off as inet_twsk_purge() does: it
 * pops the oldest cookie, finds the socket in the established hash by
 * the tuple the table recorded, checks it is that cookie still in
 * TIME_WAIT, and hands the reference the lookup took to
 * inet_twsk_deschedule_put(). Between the moment a socket takes a scope
 * over budget and the worker's run the count exceeds the budget: that is
 * the slack README "Limits" gives, measured.
 */
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include <net/inet_timewait_sock.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/limits.h>
#include <tcpstate/lookup.h>

struct tcpstate_tw_chunk {
	struct list_head node;
	u64 cookie[];
};

#define TCPSTATE_TW_CHUNK_COOKIES \
	((PAGE_SIZE - sizeof(struct tcpstate_tw_chunk)) / sizeof(u64))

/* Stale heads dropped per append: enough to keep up with expiry. */
#define TCPSTATE_TW_TRIM_PER_PUSH 2

static void tcpstate_twbudget_work_fn(struct work_struct *work);
static DECLARE_WORK(tcpstate_twbudget_work, tcpstate_twbudget_work_fn);

/* --- the FIFO: everything under l->tw.lock ------------------------------- */

static bool tcpstate_tw_push(struct tcpstate_limit *l, u64 cookie, gfp_t gfp)
{
	struct tcpstate_tw_chunk *last;

	last = list_empty(&l->tw.chunks) ? NULL :
	       list_last_entry(&l->tw.chunks, struct tcpstate_tw_chunk, node);
	if (!last || l->tw.tail == TCPSTATE_TW_CHUNK_COOKIES) {
		last = kmalloc(PAGE_SIZE, gfp);
		if (!last)
			return false;
		if (list_empty(&l->tw.chunks))
			l->tw.head = 0;
		list_add_tail(&last->node, &l->tw.chunks);
		l->tw.tail = 0;
	}
	last->cookie[l->tw.tail++] = cookie;
	l->tw.queued++;
	return true;
}

static u64 tcpstate_tw_peek(struct tcpstate_limit *l)
{
	struct tcpstate_tw_chunk *first;

	first = list_first_entry(&l->tw.chunks, struct tcpstate_tw_chunk, node);
	return first->cookie[l->tw.head];
}

static void tcpstate_tw_drop_head(struct tcpstate_limit *l)
{
	struct tcpstate_tw_chunk *first;

	first = list_first_entry(&l->tw.chunks, struct tcpstate_tw_chunk, node);
	l->tw.head++;
	l->tw.queued--;
	if (l->tw.head == TCPSTATE_TW_CHUNK_COOKIES || !l->tw.queued) {
		bool was_last = list_is_last(&first->node, &l->tw.chunks);

		list_del(&first->node);
		kfree(first);
		l->tw.head = 0;
		if (was_last)
			l->tw.tail = 0;
	}
}

static void tcpstate_tw_free_all(struct tcpstate_limit *l)
{
	struct tcpstate_tw_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, &l->tw.chunks, node)
		kfree(chunk);
	INIT_LIST_HEAD(&l->tw.chunks);
	l->tw.head = 0;
	l->tw.tail = 0;
	l->tw.queued = 0;
}

/* Whether the cookie still names a TIME_WAIT socket. RCU. */
static bool tcpstate_tw_live(u64 cookie)
{
	struct tcpstate_sock *ts = tcpstate_table_lookup(cookie);

	return ts && READ_ONCE(ts->state) == TCPSTATE_TIME_WAIT;
}

/* --- from the engine ----------------------------------------------------- */

void tcpstate_twbudget_account(struct tcpstate_limit *l, const struct tcpstate_sock *ts,
			       int delta)
{
	unsigned long flags;
	u32 budget;
	int trim;
	bool queued;

	if (delta < 0)
		return;		/* the cookie goes stale in place */
	spin_lock_irqsave(&l->tw.lock, flags);
	for (trim = 0; trim < TCPSTATE_TW_TRIM_PER_PUSH && l->tw.queued; trim++) {
		if (tcpstate_tw_live(tcpstate_tw_peek(l)))
			break;
		tcpstate_tw_drop_head(l);
	}
	queued = tcpstate_tw_push(l, ts->cookie, GFP_ATOMIC);
	spin_unlock_irqrestore(&l->tw.lock, flags);
	if (!queued)
		tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_UNQUEUED);

	budget = READ_ONCE(l->tw.budget);
	if (budget && atomic_read(&l->count) > (int)budget)
		schedule_work(&tcpstate_twbudget_work);
}

void tcpstate_twbudget_kick(void)
{
	schedule_work(&tcpstate_twbudget_work);
}

/* --- the worker ---------------------------------------------------------- */

/* Kills the TIME_WAIT socket of cookie. False if it was not there to kill. */
static bool tcpstate_tw_evict(u64 cookie, struct tcpstate_netns_cache *cache)
{
	struct tcpstate_tuple target;
	struct net *net;
	struct sock *sk;

	if (!tcpstate_tuple_of(cookie, &target) || target.state != TCPSTATE_TIME_WAIT)
		return false;	/* gone: stale */
	net = tcpstate_netns_cache_get(cache, target.netns_ino);
	if (!net)
		goto failed;
	sk = tcpstate_lookup_established(net, &target, 0);
	if (!sk)
		goto failed;
	if (sk->sk_state != TCP_TIME_WAIT || atomic64_read(&sk->sk_cookie) != cookie) {
		sock_gen_put(sk);
		goto failed;
	}
	/* Hands the lookup's reference on, as inet_twsk_purge() does. */
	local_bh_disable();
	inet_twsk_deschedule_put(inet_twsk(sk));
	local_bh_enable();
	/* Its kill went through the engine and took the entry away. */
	rcu_read_lock();
	if (tcpstate_tw_live(cookie)) {
		rcu_read_unlock();
		goto failed;
	}
	rcu_read_unlock();
	return true;

failed:
	tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_EVICT_FAILED);
	return false;
}

static void tcpstate_twbudget_enforce(struct tcpstate_limit *l)
{
	u32 budget = READ_ONCE(l->tw.budget);
	struct tcpstate_netns_cache cache = {};
	unsigned int attempts;
	u64 cookie, start;

	if (!budget)
		return;
	spin_lock_irq(&l->tw.lock);
	attempts = l->tw.queued;
	spin_unlock_irq(&l->tw.lock);
	while (attempts-- && atomic_read(&l->count) > (int)budget) {
		spin_lock_irq(&l->tw.lock);
		if (!l->tw.queued) {
			spin_unlock_irq(&l->tw.lock);
			break;
		}
		cookie = tcpstate_tw_peek(l);
		tcpstate_tw_drop_head(l);
		spin_unlock_irq(&l->tw.lock);

		start = ktime_get_ns();
		if (tcpstate_tw_evict(cookie, &cache)) {
			u64 spent = ktime_get_ns() - start;

			atomic64_inc(&l->tw.evictions);
			tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_EVICTED);
			tcpstate_limits_stat_add(TCPSTATE_LSTAT_TW_EVICT_NS, spent);
		}
		cond_resched();
	}
	tcpstate_netns_cache_put(&cache);
}

static void tcpstate_twbudget_work_fn(struct work_struct *work)
{
	mutex_lock(&tcpstate_limits_mutex);
	tcpstate_limits_walk_type(TCPSTATE_LIMIT_TW_BUDGET, tcpstate_twbudget_enforce);
	mutex_unlock(&tcpstate_limits_mutex);
}

/* --- lifetime ------------------------------------------------------------ */

struct tcpstate_tw_seed {
	struct tcpstate_limit *budget;
	struct tcpstate_tw_seed_entry {
		u64 entered_ns;
		u64 cookie;
	} *entries;
	size_t nr, size;
};

static void tcpstate_tw_seed_one(struct tcpstate_sock *ts, void *arg)
{
	struct tcpstate_tw_seed *seed = arg;

	if (READ_ONCE(ts->state) != TCPSTATE_TIME_WAIT ||
	    !tcpstate_scope_match(&seed->budget->scope, ts))
		return;
	if (seed->entries && seed->nr < seed->size) {
		seed->entries[seed->nr].entered_ns = READ_ONCE(ts->entered_ns);
		seed->entries[seed->nr].cookie = ts->cookie;
	}
	seed->nr++;
}

static int tcpstate_tw_seed_cmp(const void *a, const void *b)
{
	const struct tcpstate_tw_seed_entry *x = a, *y = b;

	return x->entered_ns < y->entered_ns ? -1 : x->entered_ns > y->entered_ns;
}

/*
 * A new budget starts with the scope's TIME_WAIT sockets, oldest first,
 * from two walks of the table: one to size, one to fill.
 */
int tcpstate_twbudget_create(struct tcpstate_limit *l)
{
	struct tcpstate_tw_seed seed = { .budget = l };
	size_t i;

	spin_lock_init(&l->tw.lock);
	INIT_LIST_HEAD(&l->tw.chunks);
	tcpstate_table_for_each(tcpstate_tw_seed_one, &seed);
	if (!seed.nr)
		return 0;
	seed.size = seed.nr + seed.nr / 8 + 64;	/* room for arrivals between walks */
	seed.entries = kvmalloc_array(seed.size, sizeof(*seed.entries), GFP_KERNEL);
	if (!seed.entries)
		return -ENOMEM;
	seed.nr = 0;
	tcpstate_table_for_each(tcpstate_tw_seed_one, &seed);
	seed.nr = min(seed.nr, seed.size);
	sort(seed.entries, seed.nr, sizeof(*seed.entries), tcpstate_tw_seed_cmp, NULL);
	for (i = 0; i < seed.nr; i++) {
		if (!tcpstate_tw_push(l, seed.entries[i].cookie, GFP_KERNEL)) {
			kvfree(seed.entries);
			tcpstate_tw_free_all(l);
			return -ENOMEM;
		}
	}
	atomic_set(&l->count, seed.nr);
	atomic_set(&l->high, seed.nr);
	kvfree(seed.entries);
	return 0;
}

/* From the kobject release: no reader is left. */
void tcpstate_twbudget_destroy(struct tcpstate_limit *l)
{
	tcpstate_tw_free_all(l);
}

/* After every budget is gone: nothing can queue the work again. */
void tcpstate_twbudget_uninit(void)
{
	cancel_work_sync(&tcpstate_twbudget_work);
}
