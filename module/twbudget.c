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
 * mostly end in the order they began). Not always: a peer's bare ACK
 * restarts a TIME_WAIT socket's 60 s (tcp_timewait_state_process()), so
 * a peer can keep the head alive for as long as it likes, and every stale
 * cookie behind it would stay, 8 bytes per socket the scope ever had in
 * TIME_WAIT. Once the FIFO holds more than twice the live count (and a
 * chunk), the worker compacts it: every stale cookie goes, wherever it
 * is (tcpstate_tw_compact_if_bloated()).
 *
 * Killing cannot happen where the engine runs: the hooks run inside TCP's
 * own functions (ftrace callbacks and kretprobes), and
 * inet_twsk_deschedule_put() waits for the timer (del_timer_sync) and
 * would re-enter our own probes. A worker does it, with the limits mutex
 * held, in process context with BHs off as inet_twsk_purge() does: it
 * takes the oldest cookie, finds the socket in the established hash by
 * the tuple the table recorded, checks it is that cookie still in
 * TIME_WAIT, and hands the reference the lookup took to
 * inet_twsk_deschedule_put(). The cookie leaves the head only once its
 * socket is gone: one still on its way into the established hash stays
 * the oldest, and the worker tries it again (tcpstate_tw_evict()).
 * Between the moment a socket takes a scope over budget and the worker's
 * run the count exceeds the budget: that is the slack README "Limits"
 * gives, measured.
 *
 * The worker must stop before the engine's hooks go (module unload,
 * tcpstate_twbudget_stop()): a kill the engine no longer sees leaves the
 * count over budget, and the worker would go on killing every socket it
 * has queued. Should a kill go unseen otherwise, a run ends there and
 * the worker looks again.
 */
#include <linux/err.h>
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

/*
 * ns after its entry went TIME_WAIT that a socket may still be in its
 * hashdance, not yet findable as a timewait sock (tcpstate_tw_evict()).
 * The hashdance takes microseconds; the rest is room for a vCPU the host
 * stops, and bounds how long the worker retries a socket that has gone
 * without a kill the engine saw.
 */
#define TCPSTATE_TW_SETTLE_NS (10 * NSEC_PER_MSEC)

static void tcpstate_twbudget_work_fn(struct work_struct *work);
/*
 * Delayed, for the retry only (tcpstate_twbudget_retry_soon()): a kick
 * queues it with no delay, and is a no-op while a retry's jiffy runs.
 */
static DECLARE_DELAYED_WORK(tcpstate_twbudget_work, tcpstate_twbudget_work_fn);
/* Unload has begun: the work is not queued again, and returns at once. */
static bool tcpstate_twbudget_stopped;

/*
 * While sockets the worker cannot kill (a namespace waiting for its
 * cleanup) are all that keep a budget over, every socket entering
 * TIME_WAIT in its scope kicks the worker, and each run would look at
 * them all again: a kick then waits until this long after the run that
 * found nothing else to do (tcpstate_twbudget_calm_until, in jiffies).
 */
#define TCPSTATE_TW_CALM_JIFFIES	(HZ / 10)
static unsigned long tcpstate_twbudget_calm_until;

/* --- the FIFO: a budget's under l->tw.lock ------------------------------- */

static void tcpstate_tw_fifo_init(struct tcpstate_tw_fifo *fifo)
{
	INIT_LIST_HEAD(&fifo->chunks);
	fifo->head = 0;
	fifo->tail = 0;
	fifo->queued = 0;
}

static bool tcpstate_tw_push(struct tcpstate_tw_fifo *fifo, u64 cookie, gfp_t gfp)
{
	struct tcpstate_tw_chunk *last;

	last = list_empty(&fifo->chunks) ? NULL :
	       list_last_entry(&fifo->chunks, struct tcpstate_tw_chunk, node);
	if (!last || fifo->tail == TCPSTATE_TW_CHUNK_COOKIES) {
		last = kmalloc(PAGE_SIZE, gfp);
		if (!last)
			return false;
		if (list_empty(&fifo->chunks))
			fifo->head = 0;
		list_add_tail(&last->node, &fifo->chunks);
		fifo->tail = 0;
	}
	last->cookie[fifo->tail++] = cookie;
	fifo->queued++;
	return true;
}

/* The cookie pos places behind the head; pos < fifo->queued. */
static u64 tcpstate_tw_peek_at(struct tcpstate_tw_fifo *fifo, unsigned int pos)
{
	struct tcpstate_tw_chunk *chunk;
	size_t offset = fifo->head + pos;

	list_for_each_entry(chunk, &fifo->chunks, node) {
		if (offset < TCPSTATE_TW_CHUNK_COOKIES)
			return chunk->cookie[offset];
		offset -= TCPSTATE_TW_CHUNK_COOKIES;
	}
	WARN_ON_ONCE(1);
	return 0;
}

/* The oldest cookie; the FIFO is not empty. */
static u64 tcpstate_tw_peek(struct tcpstate_tw_fifo *fifo)
{
	return tcpstate_tw_peek_at(fifo, 0);
}

static void tcpstate_tw_drop_head(struct tcpstate_tw_fifo *fifo)
{
	struct tcpstate_tw_chunk *first;

	first = list_first_entry(&fifo->chunks, struct tcpstate_tw_chunk, node);
	fifo->head++;
	fifo->queued--;
	if (fifo->head == TCPSTATE_TW_CHUNK_COOKIES || !fifo->queued) {
		bool was_last = list_is_last(&first->node, &fifo->chunks);

		list_del(&first->node);
		kfree(first);
		fifo->head = 0;
		if (was_last)
			fifo->tail = 0;
	}
}

static void tcpstate_tw_free_all(struct tcpstate_tw_fifo *fifo)
{
	struct tcpstate_tw_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, &fifo->chunks, node)
		kfree(chunk);
	tcpstate_tw_fifo_init(fifo);
}

/* Moves every cookie of from into to, which must be empty; from is left empty. */
static void tcpstate_tw_fifo_move(struct tcpstate_tw_fifo *to, struct tcpstate_tw_fifo *from)
{
	list_replace_init(&from->chunks, &to->chunks);
	to->head = from->head;
	to->tail = from->tail;
	to->queued = from->queued;
	from->head = 0;
	from->tail = 0;
	from->queued = 0;
}

/*
 * fifo, built outside the lock, becomes l's FIFO, followed by the cookies
 * l's FIFO took meanwhile (the engine appends while a seed is sorted or a
 * compaction filters). Returns the cookies it had no memory for.
 */
static unsigned int tcpstate_tw_fifo_install(struct tcpstate_limit *l,
					     struct tcpstate_tw_fifo *fifo)
{
	unsigned int lost = 0;

	spin_lock_irq(&l->tw.lock);
	while (l->tw.fifo.queued) {
		if (!tcpstate_tw_push(fifo, tcpstate_tw_peek(&l->tw.fifo), GFP_ATOMIC))
			lost++;
		tcpstate_tw_drop_head(&l->tw.fifo);
	}
	/* Emptied, its last chunk freed: the new list takes its place. */
	tcpstate_tw_fifo_move(&l->tw.fifo, fifo);
	spin_unlock_irq(&l->tw.lock);
	return lost;
}

/*
 * Whether l's FIFO holds over twice as many cookies as its scope has
 * TIME_WAIT sockets, and a chunk more: then most of it is stale and
 * stuck behind a head that lives on.
 */
static bool tcpstate_tw_fifo_bloated(struct tcpstate_limit *l)
{
	lockdep_assert_held(&l->tw.lock);
	return l->tw.fifo.queued > 2 * (unsigned int)max(atomic_read(&l->count), 0) +
				   TCPSTATE_TW_CHUNK_COOKIES;
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
	bool queued, bloated;
	u32 budget;
	int trim;

	if (delta < 0)
		return;		/* the cookie goes stale in place */
	spin_lock_irqsave(&l->tw.lock, flags);
	for (trim = 0; trim < TCPSTATE_TW_TRIM_PER_PUSH && l->tw.fifo.queued; trim++) {
		if (tcpstate_tw_live(tcpstate_tw_peek(&l->tw.fifo)))
			break;
		tcpstate_tw_drop_head(&l->tw.fifo);
	}
	queued = tcpstate_tw_push(&l->tw.fifo, ts->cookie, GFP_ATOMIC);
	bloated = tcpstate_tw_fifo_bloated(l);
	spin_unlock_irqrestore(&l->tw.lock, flags);
	if (!queued)
		tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_UNQUEUED);

	budget = READ_ONCE(l->tw.budget);
	if (bloated || (budget && atomic_read(&l->count) > (int)budget))
		tcpstate_twbudget_kick();
}

void tcpstate_twbudget_kick(void)
{
	/* Signed and bounded: any old value of calm_until means no wait. */
	long calm = (long)(READ_ONCE(tcpstate_twbudget_calm_until) - jiffies);

	if (!READ_ONCE(tcpstate_twbudget_stopped))
		schedule_delayed_work(&tcpstate_twbudget_work,
				      calm > 0 && calm <= TCPSTATE_TW_CALM_JIFFIES ? calm : 0);
}

/*
 * The head is still in its hashdance, which takes microseconds: look
 * again a jiffy later, not at once. Queued at once, the worker would run
 * back to back for up to TCPSTATE_TW_SETTLE_NS, a namespace and a hash
 * lookup each time.
 */
static void tcpstate_twbudget_retry_soon(void)
{
	if (!READ_ONCE(tcpstate_twbudget_stopped))
		schedule_delayed_work(&tcpstate_twbudget_work, 1);
}

/* --- the worker ---------------------------------------------------------- */

/*
 * Kills the TIME_WAIT socket of cookie: 1 if it did; 0 if there is none
 * to kill (its cookie is stale); -ENOENT if its entry is still counted
 * but the socket cannot be killed from here (see below); -ESRCH if it is
 * going but the engine has not seen its kill (another path's kill in
 * flight, or the hooks going: see below); -EAGAIN if the socket is still
 * on its way into TIME_WAIT, to be tried again.
 *
 * -ENOENT: its namespace is dying (a timewait sock holds no reference on
 * it: it stays in the hash, and in our counts, until cleanup_net() gets
 * to tcp_twsk_purge(), which can be seconds); it is bound to a device
 * the lookup does not try (-E2BIG); or it was not found long after it
 * entered TIME_WAIT (a kill the engine missed, which the sweep repairs,
 * or a connect() reusing its tuple, whose kill is on its way). It still
 * counts until then, and killing a younger socket in its place would not
 * lower the count it holds up: the worker leaves it where it is and
 * does not count it (tcpstate_twbudget_enforce()).
 *
 * The engine sees TIME_WAIT at the entry of the hashdance
 * (TCPSTATE_TW_HASH_SYMBOL), before the timewait sock takes its full
 * sock's place in the established hash. Until it has, the lookup finds
 * the full sock, which has the same cookie and is not in TIME_WAIT; on
 * 6.1, inet_twsk_hashdance() hashes the timewait sock before it gives it
 * a reference count, and the lookup, which gives up on a socket whose
 * count is 0, finds nothing. Both last as long as the hashdance: a
 * socket not found in TIME_WAIT once its entry is older than
 * TCPSTATE_TW_SETTLE_NS is taken for gone (a kill the engine missed, or
 * a connect() reusing its tuple, which unhashes it before the kill).
 */
static int tcpstate_tw_evict(u64 cookie, struct tcpstate_netns_cache *cache)
{
	struct tcpstate_tuple target;
	struct net *net;
	struct sock *sk;
	bool unseen;

	if (!tcpstate_tuple_of(cookie, &target) || target.state != TCPSTATE_TIME_WAIT)
		return 0;	/* gone: stale */
	/* A namespace on its way out purges its sockets itself. */
	net = tcpstate_netns_cache_get(cache, target.netns_ino);
	if (!net)
		goto unkillable;
	sk = tcpstate_lookup_cookie(net, &target, cookie);
	/* More devices than the lookup tries: a retry would miss it again. */
	if (IS_ERR(sk))
		goto unkillable;
	if (sk && sk->sk_state != TCP_TIME_WAIT) {
		sock_gen_put(sk);
		sk = NULL;
	}
	if (!sk) {
		if ((s64)(ktime_get_ns() - target.entered_ns) < (s64)TCPSTATE_TW_SETTLE_NS)
			return -EAGAIN;
		goto unkillable;
	}
	/* Hands the lookup's reference on, as inet_twsk_purge() does. */
	local_bh_disable();
	inet_twsk_deschedule_put(inet_twsk(sk));
	local_bh_enable();
	/*
	 * Its kill went through the engine and took the entry away, unless
	 * another path (a SYN or a connect() reusing its tuple, its
	 * namespace's purge) won the timer and is killing it right now:
	 * inet_twsk_deschedule_put() waits only for the timer's own
	 * handler. Either way it is going. Losing the timer never means it
	 * was not armed yet: tcp_time_wait() arms it before the hashdance
	 * on 6.1, and on 6.12 the hashdance arms it under the bucket lock
	 * that inet_twsk_deschedule_put() takes first.
	 */
	rcu_read_lock();
	unseen = tcpstate_tw_live(cookie);
	rcu_read_unlock();
	if (!unseen)
		return 1;
	tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_EVICT_FAILED);
	return -ESRCH;

unkillable:
	tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_EVICT_FAILED);
	return -ENOENT;
}

/*
 * The worker is done with cookie: off the head, unless the engine's trim
 * took it first (a cookie whose socket has gone is stale to the trim).
 */
static void tcpstate_tw_drop_if_head(struct tcpstate_limit *l, u64 cookie)
{
	spin_lock_irq(&l->tw.lock);
	if (l->tw.fifo.queued && tcpstate_tw_peek(&l->tw.fifo) == cookie)
		tcpstate_tw_drop_head(&l->tw.fifo);
	spin_unlock_irq(&l->tw.lock);
}

/*
 * Kills the oldest of l's scope until its count is back at the budget.
 * Cookies the worker cannot kill stay where they are, at the head or
 * behind it (unkillable ones, -ENOENT, and any cookie behind them: only
 * the head can leave the FIFO), and the unkillable ones are not counted
 * against the budget: with a dying namespace's sockets still counted, a
 * global budget would otherwise kill as many live sockets of other
 * namespaces in their place. A cookie left behind the head goes stale
 * when its socket ends and is trimmed or compacted like any other.
 */
static void tcpstate_twbudget_enforce(struct tcpstate_limit *l)
{
	u32 budget = READ_ONCE(l->tw.budget);
	struct tcpstate_netns_cache cache = {};
	unsigned int attempts, pos = 0, unkillable = 0;
	u64 cookie, start;
	int evicted;

	if (!budget)
		return;
	spin_lock_irq(&l->tw.lock);
	attempts = l->tw.fifo.queued;
	spin_unlock_irq(&l->tw.lock);
	while (attempts-- && atomic_read(&l->count) - (int)unkillable > (int)budget) {
		spin_lock_irq(&l->tw.lock);
		/*
		 * The engine's trim takes stale heads meanwhile: pos may
		 * then skip a cookie, which the next run looks at.
		 */
		if (pos >= l->tw.fifo.queued) {
			spin_unlock_irq(&l->tw.lock);
			break;
		}
		cookie = tcpstate_tw_peek_at(&l->tw.fifo, pos);
		spin_unlock_irq(&l->tw.lock);

		start = ktime_get_ns();
		evicted = tcpstate_tw_evict(cookie, &cache);
		if (evicted == -EAGAIN) {
			/*
			 * Still the oldest, and killable in a moment: a
			 * younger one must not go in its place.
			 */
			tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_EVICT_RETRIED);
			tcpstate_twbudget_retry_soon();
			break;
		}
		if (evicted == -ENOENT) {
			unkillable++;
			pos++;
		} else if (pos) {
			pos++;		/* dead or killed: stale in place */
		} else {
			tcpstate_tw_drop_if_head(l, cookie);
		}
		if (evicted > 0) {
			u64 spent = ktime_get_ns() - start;

			atomic64_inc(&l->tw.evictions);
			tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_EVICTED);
			tcpstate_limits_stat_add(TCPSTATE_LSTAT_TW_EVICT_NS, spent);
			/* Unload waits for this run (tcpstate_twbudget_stop()). */
			if (READ_ONCE(tcpstate_twbudget_stopped))
				break;
		} else if (evicted == -ESRCH) {
			/*
			 * Unseen: another path may be killing it this very
			 * moment (a SYN reusing its tuple), or the hooks are
			 * going. Either way, killing on would not lower the
			 * count: stop, and look again once that kill is in.
			 */
			tcpstate_twbudget_kick();
			break;
		}
		cond_resched();
	}
	if (unkillable && atomic_read(&l->count) > (int)budget &&
	    atomic_read(&l->count) - (int)unkillable <= (int)budget)
		WRITE_ONCE(tcpstate_twbudget_calm_until, jiffies + TCPSTATE_TW_CALM_JIFFIES);
	tcpstate_netns_cache_put(&cache);
}

/*
 * If l's FIFO is bloated, drops every stale cookie of it, wherever it
 * is, keeping the order of the rest. The FIFO is tested and taken out in
 * one hold of the lock, filtered outside it (the table lookups need no
 * lock of ours, the kept cookies' chunks are allocated with GFP_KERNEL,
 * and it yields between cookies) and installed again ahead of the
 * cookies that arrived meanwhile. Worker, mutex held, so no eviction and
 * no other compaction runs at once.
 */
static void tcpstate_tw_compact_if_bloated(struct tcpstate_limit *l)
{
	struct tcpstate_tw_fifo old, kept;
	unsigned int lost = 0;
	bool bloated, live;
	u64 cookie;

	tcpstate_tw_fifo_init(&old);
	tcpstate_tw_fifo_init(&kept);
	spin_lock_irq(&l->tw.lock);
	bloated = tcpstate_tw_fifo_bloated(l);
	if (bloated)
		tcpstate_tw_fifo_move(&old, &l->tw.fifo);
	spin_unlock_irq(&l->tw.lock);
	if (!bloated)
		return;
	while (old.queued) {
		cookie = tcpstate_tw_peek(&old);
		tcpstate_tw_drop_head(&old);
		rcu_read_lock();
		live = tcpstate_tw_live(cookie);
		rcu_read_unlock();
		if (live && !tcpstate_tw_push(&kept, cookie, GFP_KERNEL))
			lost++;
		cond_resched();
	}
	lost += tcpstate_tw_fifo_install(l, &kept);
	tcpstate_limits_stat_add(TCPSTATE_LSTAT_TW_UNQUEUED, lost);
}

static void tcpstate_twbudget_work_one(struct tcpstate_limit *l)
{
	tcpstate_tw_compact_if_bloated(l);
	if (!READ_ONCE(tcpstate_twbudget_stopped))
		tcpstate_twbudget_enforce(l);
}

static void tcpstate_twbudget_work_fn(struct work_struct *work)
{
	if (READ_ONCE(tcpstate_twbudget_stopped))
		return;
	mutex_lock(&tcpstate_limits_mutex);
	tcpstate_limits_walk_type(TCPSTATE_LIMIT_TW_BUDGET, tcpstate_twbudget_work_one);
	mutex_unlock(&tcpstate_limits_mutex);
}

/* --- lifetime ------------------------------------------------------------ */

/*
 * A new budget starts with its scope's TIME_WAIT sockets in its FIFO,
 * oldest first. limits.c publishes the object, then walks the table (the
 * walk protocol of limits.c): the walk's sockets go into a seed, sorted
 * by when they entered TIME_WAIT, while sockets entering TIME_WAIT
 * meanwhile go into the FIFO itself. At the end the seed goes first and
 * those after it. Its size is taken by a walk before: room for a few
 * arrivals between the two; beyond that, a socket is counted but not
 * queued (stats tw_unqueued), and its end comes with the timer.
 */
struct tcpstate_tw_seed {
	struct tcpstate_tw_seed_entry {
		u64 entered_ns;
		u64 cookie;
	} *entries;
	size_t nr, size;
};

int tcpstate_twbudget_create(struct tcpstate_limit *l)
{
	spin_lock_init(&l->tw.lock);
	tcpstate_tw_fifo_init(&l->tw.fifo);
	return 0;
}

struct tcpstate_tw_census {
	struct tcpstate_limit *budget;
	size_t nr;
};

static void tcpstate_tw_census_one(struct tcpstate_sock *ts, void *arg)
{
	struct tcpstate_tw_census *census = arg;

	if (READ_ONCE(ts->state) == TCPSTATE_TIME_WAIT &&
	    tcpstate_scope_match(&census->budget->scope, ts))
		census->nr++;
}

/* Before the object is published: process context, the mutex held. */
int tcpstate_twbudget_seed_begin(struct tcpstate_limit *l)
{
	struct tcpstate_tw_census census = { .budget = l };
	struct tcpstate_tw_seed *seed;

	tcpstate_table_for_each(tcpstate_tw_census_one, &census);
	seed = kzalloc(sizeof(*seed), GFP_KERNEL);
	if (!seed)
		return -ENOMEM;
	seed->size = census.nr + census.nr / 8 + 64;
	/* The add fails with ENOMEM: its writer hears of it, the log need not. */
	seed->entries = kvmalloc_array(seed->size, sizeof(*seed->entries),
				       GFP_KERNEL | __GFP_NOWARN);
	if (!seed->entries) {
		kfree(seed);
		return -ENOMEM;
	}
	l->tw.seed = seed;
	return 0;
}

/* From the walk, under ts's entry lock. */
void tcpstate_twbudget_seed_add(struct tcpstate_limit *l, const struct tcpstate_sock *ts)
{
	struct tcpstate_tw_seed *seed = l->tw.seed;

	if (seed->nr == seed->size) {
		tcpstate_limits_stat_inc(TCPSTATE_LSTAT_TW_UNQUEUED);
		return;
	}
	seed->entries[seed->nr].entered_ns = ts->entered_ns;
	seed->entries[seed->nr].cookie = ts->cookie;
	seed->nr++;
}

static int tcpstate_tw_seed_cmp(const void *a, const void *b)
{
	const struct tcpstate_tw_seed_entry *x = a, *y = b;

	return x->entered_ns < y->entered_ns ? -1 : x->entered_ns > y->entered_ns;
}

static void tcpstate_tw_seed_free(struct tcpstate_limit *l)
{
	if (!l->tw.seed)
		return;
	kvfree(l->tw.seed->entries);
	kfree(l->tw.seed);
	l->tw.seed = NULL;
}

/* After the walk: the seed, then what arrived meanwhile, become the FIFO. */
void tcpstate_twbudget_seed_end(struct tcpstate_limit *l)
{
	struct tcpstate_tw_seed *seed = l->tw.seed;
	struct tcpstate_tw_fifo fifo;
	unsigned int lost = 0;
	size_t i;

	sort(seed->entries, seed->nr, sizeof(*seed->entries), tcpstate_tw_seed_cmp, NULL);
	tcpstate_tw_fifo_init(&fifo);
	for (i = 0; i < seed->nr; i++)
		if (!tcpstate_tw_push(&fifo, seed->entries[i].cookie, GFP_KERNEL))
			lost++;
	lost += tcpstate_tw_fifo_install(l, &fifo);
	tcpstate_limits_stat_add(TCPSTATE_LSTAT_TW_UNQUEUED, lost);
	tcpstate_tw_seed_free(l);
}

/* From the kobject release: no reader is left. */
void tcpstate_twbudget_destroy(struct tcpstate_limit *l)
{
	tcpstate_tw_free_all(&l->tw.fifo);
	/* A seed lives only inside tcpstate_limit_add(), which ends it. */
	tcpstate_tw_seed_free(l);
}

/*
 * Unload, before the engine's hooks go: no kill from here on, so that
 * none goes unseen (see the top of this file).
 */
void tcpstate_twbudget_stop(void)
{
	WRITE_ONCE(tcpstate_twbudget_stopped, true);
	cancel_delayed_work_sync(&tcpstate_twbudget_work);
}

/* After every budget is gone: nothing can queue the work again. */
void tcpstate_twbudget_uninit(void)
{
	cancel_delayed_work_sync(&tcpstate_twbudget_work);
}
