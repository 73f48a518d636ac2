// SPDX-License-Identifier: GPL-2.0
/*
 * The limits registry: keys, objects, their counts, alerts, and debugfs
 * limits. What a syn_cap or tw_budget does with its count lives in
 * syncap.c and twbudget.c; the sysfs side in limits_sysfs.c.
 *
 * Counting. An object counts the sockets of its scope in its state. The
 * engine calls tcpstate_limits_account() wherever a gauge moves, under
 * the socket's entry lock, so an object's count moves with the gauges and
 * is exact for every socket the table tracks. An object created while
 * sockets exist starts from a walk of the socket table; a socket that
 * changes state during that walk may be counted one off (the walk and
 * the engine do not share a lock), which the README states.
 *
 * Lifetime. An object lives until a write to remove takes it, or the
 * module goes; one whose scope names a namespace also ends with that
 * namespace (tcpstate_limits_net_exit()).
 */
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/inet.h>
#include <linux/kernfs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/limits.h>
#include <tcpstate/lookup.h>

/* Serializes configuration and the TIME_WAIT worker; see limits.h. */
DEFINE_MUTEX(tcpstate_limits_mutex);
int tcpstate_limits_nr;

/*
 * The engine's index: a gauge move visits only the limits of its state
 * whose scope can take the socket, however many others exist. A limit
 * hangs by the port its scope names (the local port, else the remote
 * one); global and netns scopes, which name none, on one chain. The
 * engine walks the chains under RCU; they change only under
 * tcpstate_limits_mutex (add, unlink), and an unlinked limit is freed
 * after a grace period (tcpstate_limits_finish_removals()).
 */
#define TCPSTATE_LIMITS_PORT_BITS	6

struct tcpstate_limits_of_state {
	/*
	 * Limits linked on the chains below; 0 lets a move skip them.
	 * Written under tcpstate_limits_mutex as a limit is linked or
	 * unlinked; the engine reads it without, under ts's entry lock,
	 * which orders it before a new limit's populating walk.
	 */
	int nr;
	struct hlist_head unported;
	struct hlist_head by_port[1 << TCPSTATE_LIMITS_PORT_BITS];
	struct hlist_head by_rport[1 << TCPSTATE_LIMITS_PORT_BITS];
};

static struct tcpstate_limits_of_state tcpstate_limits_by_state[TCPSTATE_NR_STATES];

/* The type lists are for configuration, under the mutex. */
static struct list_head tcpstate_limits_by_type[TCPSTATE_LIMIT_NR_TYPES];

static const char *const tcpstate_limit_type_names[TCPSTATE_LIMIT_NR_TYPES] = {
	[TCPSTATE_LIMIT_SYN_CAP]	= "syn_cap",
	[TCPSTATE_LIMIT_TW_BUDGET]	= "tw_budget",
	[TCPSTATE_LIMIT_ALERT]		= "alert",
};

/* --- health counters ----------------------------------------------------- */

struct tcpstate_limits_pcpu __percpu *tcpstate_limits_pcpu;

static const char *const tcpstate_limits_stat_names[TCPSTATE_LSTAT_NR] = {
	[TCPSTATE_LSTAT_SYN_SEEN]		= "syn_seen",
	[TCPSTATE_LSTAT_SYN_DROPPED_LISTENER]	= "syn_dropped_listener",
	[TCPSTATE_LSTAT_SYN_DROPPED_PREFIX]	= "syn_dropped_prefix",
	[TCPSTATE_LSTAT_PREFIX_UNTRACKED]	= "syn_prefix_untracked",
	[TCPSTATE_LSTAT_TW_EVICTED]		= "tw_evicted",
	[TCPSTATE_LSTAT_TW_EVICT_FAILED]	= "tw_evict_failed",
	[TCPSTATE_LSTAT_TW_EVICT_RETRIED]	= "tw_evict_retried",
	[TCPSTATE_LSTAT_TW_UNQUEUED]		= "tw_unqueued",
	[TCPSTATE_LSTAT_TW_EVICT_NS]		= "tw_evict_ns",
	[TCPSTATE_LSTAT_ALERTS_FIRED]		= "alerts_fired",
};

void tcpstate_limits_stat_add(enum tcpstate_limit_stat stat, u64 delta)
{
	this_cpu_add(tcpstate_limits_pcpu->stat[stat], delta);
}

u64 tcpstate_limits_stat_read(enum tcpstate_limit_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(tcpstate_limits_pcpu, cpu)->stat[stat]);
	return sum;
}

const char *tcpstate_limits_stat_name(enum tcpstate_limit_stat stat)
{
	return tcpstate_limits_stat_names[stat];
}

/* --- alerts -------------------------------------------------------------- */

static void tcpstate_alert_fire(struct tcpstate_limit *l, int count)
{
	atomic64_inc(&l->alert.fired);
	tcpstate_limits_stat_inc(TCPSTATE_LSTAT_ALERTS_FIRED);
	pr_warn_ratelimited("alert %s: %d sockets in %s, threshold %u\n", l->key, count,
			    tcpstate_state_name(l->state), READ_ONCE(l->alert.threshold));
	/* kernfs_notify() may be called from any context; sysfs_notify() may not. */
	if (l->alert.fired_kn)
		kernfs_notify(l->alert.fired_kn);
	if (l->alert.armed_kn)
		kernfs_notify(l->alert.armed_kn);
}

/*
 * Fires on the move that makes count reach the threshold; re-arms once it
 * has fallen to threshold - hysteresis. Counts move on many CPUs at once,
 * each under its own socket's lock: the decision is taken under the
 * alert's lock from the count as it is then, not from the value one move
 * left, so that the last decision always matches the last count. Judged
 * on its own move's value, a CPU could disarm after another had re-armed
 * on a lower count, leaving the alert disarmed below its threshold.
 */
void tcpstate_alert_check(struct tcpstate_limit *l)
{
	u32 threshold = READ_ONCE(l->alert.threshold);
	u32 hysteresis = READ_ONCE(l->alert.hysteresis);
	u32 rearm = threshold > hysteresis ? threshold - hysteresis : 0;
	bool fire = false, rearmed = false;
	unsigned long flags;
	int count;

	if (!threshold)
		return;
	spin_lock_irqsave(&l->alert.lock, flags);
	count = atomic_read(&l->count);
	if (count >= (int)threshold && atomic_read(&l->alert.armed)) {
		atomic_set(&l->alert.armed, 0);
		fire = true;
	} else if (count <= (int)rearm && !atomic_read(&l->alert.armed)) {
		atomic_set(&l->alert.armed, 1);
		rearmed = true;
	}
	spin_unlock_irqrestore(&l->alert.lock, flags);
	if (fire)
		tcpstate_alert_fire(l, count);
	else if (rearmed && l->alert.armed_kn)
		kernfs_notify(l->alert.armed_kn);
}

/* --- accounting ---------------------------------------------------------- */

static void tcpstate_limit_count(struct tcpstate_limit *l, int delta)
{
	int c = atomic_add_return(delta, &l->count);
	int high = atomic_read(&l->high);

	while (c > high) {
		int seen = atomic_cmpxchg(&l->high, high, c);

		if (seen == high)
			break;
		high = seen;
	}
}

static struct hlist_head *tcpstate_limits_chain(struct hlist_head *buckets, u16 port)
{
	return &buckets[hash_32(port, TCPSTATE_LIMITS_PORT_BITS)];
}

/* Where l hangs in the index: the chain of the port its scope names. */
static struct hlist_head *tcpstate_limit_chain(const struct tcpstate_limit *l)
{
	struct tcpstate_limits_of_state *of_state = &tcpstate_limits_by_state[l->state];

	if (l->scope.selectors & TCPSTATE_SCOPE_PORT)
		return tcpstate_limits_chain(of_state->by_port, l->scope.port);
	if (l->scope.selectors & TCPSTATE_SCOPE_REMOTE)
		return tcpstate_limits_chain(of_state->by_rport, l->scope.rport);
	return &of_state->unported;
}

/* l was linked (+1) to or unlinked (-1) from its chain; under the mutex. */
static void tcpstate_limits_of_state_inc(const struct tcpstate_limit *l, int delta)
{
	struct tcpstate_limits_of_state *of_state = &tcpstate_limits_by_state[l->state];

	lockdep_assert_held(&tcpstate_limits_mutex);
	WRITE_ONCE(of_state->nr, of_state->nr + delta);
}

/*
 * Inline, as is tcpstate_scope_match(): while a limit exists the engine
 * runs this on every gauge move, three chains each, and on a SYN flood
 * against a capped port that is two moves per SYN. Out of line, the calls
 * cost more than the work (bench/syn-rate's cost share).
 */
static __always_inline void tcpstate_limits_account_chain(struct hlist_head *chain,
							  struct tcpstate_sock *ts, int delta)
{
	struct tcpstate_limit *l;

	hlist_for_each_entry_rcu(l, chain, state_node) {
		if (!tcpstate_scope_match(&l->scope, ts))
			continue;
		if (unlikely(READ_ONCE(l->populating)) && !tcpstate_limits_walk_follows(ts, delta))
			continue;
		tcpstate_limit_count(l, delta);
		switch (l->type) {
		case TCPSTATE_LIMIT_SYN_CAP:
			tcpstate_syncap_account(l, ts, delta);
			break;
		case TCPSTATE_LIMIT_TW_BUDGET:
			tcpstate_twbudget_account(l, ts, delta);
			break;
		case TCPSTATE_LIMIT_ALERT:
			tcpstate_alert_check(l);
			break;
		}
	}
}

void __tcpstate_limits_account(struct tcpstate_sock *ts, int state, int delta)
{
	struct tcpstate_limits_of_state *of_state;

	if (state <= 0 || state >= TCPSTATE_NR_STATES)
		return;
	of_state = &tcpstate_limits_by_state[state];
	/* Limits of other states only: the common case on a busy host. */
	if (!READ_ONCE(of_state->nr))
		return;
	tcpstate_limits_account_chain(&of_state->unported, ts, delta);
	tcpstate_limits_account_chain(tcpstate_limits_chain(of_state->by_port, ts->sport),
				      ts, delta);
	tcpstate_limits_account_chain(tcpstate_limits_chain(of_state->by_rport, ts->dport),
				      ts, delta);
}

/*
 * --- walks ----------------------------------------------------------------
 *
 * A new object's first count, and a syn_cap's prefix counts after their
 * length changed, come from a walk of the socket table while the engine
 * goes on moving sockets. One walk runs at a time (tcpstate_limits_mutex).
 * It marks each entry it has seen (TCPSTATE_SOCK_WALKED, under the
 * entry's lock) and counts it. Meanwhile the engine, for what the walk is
 * building, follows only marked entries, and marks and counts an entry
 * that enters the counted state before the walk got to it, so that the
 * walk passes it by: each socket is counted once, and no move is lost.
 * A resize that makes the walk see an entry twice is harmless too.
 */

/* Whether the engine's move of ts counts in what a walk is building. */
bool tcpstate_limits_walk_follows(struct tcpstate_sock *ts, int delta)
{
	if (ts->flags & TCPSTATE_SOCK_WALKED)
		return true;
	if (delta < 0)
		return false;	/* the walk has not counted it: nothing to undo */
	ts->flags |= TCPSTATE_SOCK_WALKED;
	return true;
}

struct tcpstate_limits_walk {
	void (*fn)(struct tcpstate_sock *ts, void *arg);
	void *arg;
};

static void tcpstate_limits_walk_one(struct tcpstate_sock *ts, void *arg)
{
	struct tcpstate_limits_walk *walk = arg;
	spinlock_t *lock = tcpstate_sock_lock(ts->cookie);

	spin_lock_bh(lock);
	/* Still in the table (under its lock, found means in), and not seen. */
	if (tcpstate_table_lookup(ts->cookie) == ts && !(ts->flags & TCPSTATE_SOCK_WALKED)) {
		ts->flags |= TCPSTATE_SOCK_WALKED;
		walk->fn(ts, walk->arg);
	}
	spin_unlock_bh(lock);
}

/* Calls fn, under the entry's lock, once for each entry. */
void tcpstate_limits_walk_table(void (*fn)(struct tcpstate_sock *ts, void *arg), void *arg)
{
	struct tcpstate_limits_walk walk = { .fn = fn, .arg = arg };

	lockdep_assert_held(&tcpstate_limits_mutex);
	tcpstate_table_for_each(tcpstate_limits_walk_one, &walk);
}

static void tcpstate_limits_unmark_one(struct tcpstate_sock *ts, void *arg)
{
	spinlock_t *lock = tcpstate_sock_lock(ts->cookie);

	spin_lock_bh(lock);
	ts->flags &= ~TCPSTATE_SOCK_WALKED;
	spin_unlock_bh(lock);
}

/*
 * After the engine has stopped following marks (what the walk built is
 * in place, under the lock the engine reads it with): marks off, for the
 * next walk. An engine section that still saw the walk in progress on an
 * entry ends before this takes that entry's lock.
 */
void tcpstate_limits_walk_end(void)
{
	lockdep_assert_held(&tcpstate_limits_mutex);
	tcpstate_table_for_each(tcpstate_limits_unmark_one, NULL);
}

/* A new object's first count: sockets already in its state and scope. */
static void tcpstate_limit_populate_one(struct tcpstate_sock *ts, void *arg)
{
	struct tcpstate_limit *l = arg;

	if (ts->state != l->state || !tcpstate_scope_match(&l->scope, ts))
		return;
	tcpstate_limit_count(l, 1);
	if (l->type == TCPSTATE_LIMIT_TW_BUDGET)
		tcpstate_twbudget_seed_add(l, ts);
	/* A syn_cap has no prefix_max yet: no prefixes to count. */
}

/* --- objects ------------------------------------------------------------- */

/*
 * The object of that type and scope, or NULL. A removed object stays on
 * its type list, dead, until its directory is gone, so that an add of the
 * same key waits for the name instead of colliding with it in sysfs.
 */
static struct tcpstate_limit *tcpstate_limit_find(enum tcpstate_limit_type type,
						  const struct tcpstate_scope *scope)
{
	struct tcpstate_limit *l;

	lockdep_assert_held(&tcpstate_limits_mutex);
	list_for_each_entry(l, &tcpstate_limits_by_type[type], type_node)
		if (!memcmp(&l->scope, scope, sizeof(*scope)))
			return l;
	return NULL;
}

/* Removals whose directory is gone: what an add of a dying key waits for. */
static atomic_t tcpstate_limits_removed = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(tcpstate_limits_removed_wq);

/*
 * Drops the mutex until a removal in flight has finished: one whose
 * object the caller saw dead, still on its type list, under the mutex.
 */
static void tcpstate_limits_wait_removal(void)
{
	int removed = atomic_read(&tcpstate_limits_removed);

	lockdep_assert_held(&tcpstate_limits_mutex);
	mutex_unlock(&tcpstate_limits_mutex);
	wait_event(tcpstate_limits_removed_wq,
		   atomic_read(&tcpstate_limits_removed) != removed);
	mutex_lock(&tcpstate_limits_mutex);
}

/* kobject release: the last reference is gone, and so is every reader. */
void tcpstate_limit_release(struct kobject *kobj)
{
	struct tcpstate_limit *l = container_of(kobj, struct tcpstate_limit, kobj);

	tcpstate_limit_kobject_release(l);
	if (l->type == TCPSTATE_LIMIT_SYN_CAP)
		tcpstate_syncap_destroy(l);
	else if (l->type == TCPSTATE_LIMIT_TW_BUDGET)
		tcpstate_twbudget_destroy(l);
	kfree(l);
}

int tcpstate_limit_add(enum tcpstate_limit_type type, const char *buf)
{
	struct tcpstate_limit *l, *dup;
	struct tcpstate_scope scope;
	char key[TCPSTATE_LIMIT_KEY_MAX];
	int ret;

	ret = tcpstate_limit_parse_key(buf, &scope, key, sizeof(key));
	if (ret)
		return ret;
	if (!tcpstate_scope_fits(type, &scope))
		return -EINVAL;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->type = type;
	l->scope = scope;
	strscpy(l->key, key, sizeof(l->key));
	INIT_HLIST_NODE(&l->state_node);
	INIT_LIST_HEAD(&l->type_node);
	switch (type) {
	case TCPSTATE_LIMIT_SYN_CAP:
		l->state = TCPSTATE_SYN_RECV;
		ret = tcpstate_syncap_create(l);
		break;
	case TCPSTATE_LIMIT_TW_BUDGET:
		l->state = TCPSTATE_TIME_WAIT;
		ret = tcpstate_twbudget_create(l);
		break;
	default:
		l->state = scope.state;
		l->alert.hysteresis = 1;
		spin_lock_init(&l->alert.lock);
		atomic_set(&l->alert.armed, 1);
		break;
	}
	if (ret) {
		kfree(l);
		return ret;
	}
	kobject_init(&l->kobj, &tcpstate_limit_ktypes[type]);

	mutex_lock(&tcpstate_limits_mutex);
	while ((dup = tcpstate_limit_find(type, &scope)) && dup->dead)
		tcpstate_limits_wait_removal();
	if (dup) {
		ret = -EEXIST;
		goto out_put;
	}
	/*
	 * Checked under the mutex, which the namespace's exit takes: alive
	 * here, its exit comes after this add and removes the object.
	 */
	if ((scope.selectors & TCPSTATE_SCOPE_NETNS) &&
	    !tcpstate_netns_alive(scope.netns_ino)) {
		ret = -ENOENT;
		goto out_put;
	}
	/* Before the directory: a failed add must leave no name behind. */
	if (type == TCPSTATE_LIMIT_TW_BUDGET) {
		ret = tcpstate_twbudget_seed_begin(l);
		if (ret)
			goto out_put;
	}
	ret = tcpstate_limit_kobject_add(l);
	if (ret)
		goto out_put;
	/*
	 * Published first, then counted: the engine follows the walk's
	 * marks until the count is complete. Nothing reads the count to
	 * act on it before its limit is set, after this returns.
	 */
	l->populating = true;
	hlist_add_head_rcu(&l->state_node, tcpstate_limit_chain(l));
	tcpstate_limits_of_state_inc(l, 1);
	list_add_tail(&l->type_node, &tcpstate_limits_by_type[type]);
	if (type == TCPSTATE_LIMIT_SYN_CAP)
		tcpstate_syncap_publish(l);
	WRITE_ONCE(tcpstate_limits_nr, tcpstate_limits_nr + 1);
	tcpstate_limits_walk_table(tcpstate_limit_populate_one, l);
	if (type == TCPSTATE_LIMIT_TW_BUDGET)
		tcpstate_twbudget_seed_end(l);
	WRITE_ONCE(l->populating, false);
	tcpstate_limits_walk_end();
	/*
	 * Its directory came first: a threshold or budget written during
	 * the walk was judged against a partial count. Judge it again.
	 */
	if (type == TCPSTATE_LIMIT_TW_BUDGET) {
		u32 budget = READ_ONCE(l->tw.budget);

		if (budget && atomic_read(&l->count) > (int)budget)
			tcpstate_twbudget_kick();
	} else if (type != TCPSTATE_LIMIT_SYN_CAP) {
		tcpstate_alert_check(l);
	}
	mutex_unlock(&tcpstate_limits_mutex);
	return 0;

out_put:
	mutex_unlock(&tcpstate_limits_mutex);
	kobject_put(&l->kobj);	/* releases: destroy and free */
	return ret;
}

/*
 * Takes l out of every reader's sight and onto the caller's batch of
 * removals; it stays on its type list, dead, until
 * tcpstate_limits_finish_removals() is done with the batch.
 */
static void tcpstate_limit_unlink(struct tcpstate_limit *l, struct list_head *batch)
{
	lockdep_assert_held(&tcpstate_limits_mutex);
	list_add_tail(&l->removal_node, batch);
	WRITE_ONCE(l->dead, true);
	hlist_del_init_rcu(&l->state_node);
	tcpstate_limits_of_state_inc(l, -1);
	if (l->type == TCPSTATE_LIMIT_SYN_CAP)
		tcpstate_syncap_unpublish(l);
	WRITE_ONCE(tcpstate_limits_nr, tcpstate_limits_nr - 1);
}

/*
 * After tcpstate_limit_unlink(): waits out the engine's and the hooks'
 * readers once for the whole batch, then removes each directory and drops
 * each object (a syn_cap's release still waits a grace period of its own,
 * for the CPUs' claims: tcpstate_syncap_destroy()). Without the mutex:
 * kobject_del() waits for stores in the directory, and some of those take
 * the mutex.
 */
static void tcpstate_limits_finish_removals(struct list_head *batch)
{
	struct tcpstate_limit *l, *next;

	if (list_empty(batch))
		return;
	synchronize_rcu();	/* no engine or netfilter reader still holds one */
	list_for_each_entry_safe(l, next, batch, removal_node) {
		list_del(&l->removal_node);
		kobject_del(&l->kobj);
		mutex_lock(&tcpstate_limits_mutex);
		list_del(&l->type_node);
		mutex_unlock(&tcpstate_limits_mutex);
		atomic_inc(&tcpstate_limits_removed);
		wake_up_all(&tcpstate_limits_removed_wq);
		kobject_put(&l->kobj);
	}
}

typedef bool (*tcpstate_limit_match_fn)(const struct tcpstate_limit *l, u32 arg);

/*
 * Unlinks onto @batch every live object @match takes, of every type.
 * Returns whether one it takes is dead already: another remover has it
 * and has not finished.
 */
static bool tcpstate_limits_unlink_matching(tcpstate_limit_match_fn match, u32 arg,
					    struct list_head *batch)
{
	struct tcpstate_limit *l;
	bool dying = false;
	int type;

	lockdep_assert_held(&tcpstate_limits_mutex);
	for (type = 0; type < TCPSTATE_LIMIT_NR_TYPES; type++)
		list_for_each_entry(l, &tcpstate_limits_by_type[type], type_node) {
			if (!match(l, arg))
				continue;
			if (l->dead)
				dying = true;
			else
				tcpstate_limit_unlink(l, batch);
		}
	return dying;
}

int tcpstate_limit_remove(enum tcpstate_limit_type type, const char *buf)
{
	struct tcpstate_scope scope;
	struct tcpstate_limit *l;
	char key[TCPSTATE_LIMIT_KEY_MAX];
	LIST_HEAD(batch);
	int ret;

	ret = tcpstate_limit_parse_key(buf, &scope, key, sizeof(key));
	if (ret)
		return ret;
	mutex_lock(&tcpstate_limits_mutex);
	l = tcpstate_limit_find(type, &scope);
	if (l && l->dead)
		l = NULL;	/* another remove has it */
	if (l)
		tcpstate_limit_unlink(l, &batch);
	mutex_unlock(&tcpstate_limits_mutex);
	if (!l)
		return -ENOENT;
	tcpstate_limits_finish_removals(&batch);
	return 0;
}

/*
 * A namespace's inode number goes back to the kernel's pool as the
 * namespace is freed, and the next namespace made is likely to get it: a
 * netns:N object left behind would act on a namespace nobody configured
 * it for. So the namespace's objects go with it, as its own nftables
 * rules and routes do, the way a write to remove them would go.
 */
static bool tcpstate_limit_of_netns(const struct tcpstate_limit *l, u32 ino)
{
	return (l->scope.selectors & TCPSTATE_SCOPE_NETNS) && l->scope.netns_ino == ino;
}

/*
 * Runs with pernet_ops_rwsem held: for read in cleanup_net() (and in
 * setup_net()'s unwind, for a namespace no add could name), for write in
 * unregister_pernet_subsys(). Taking tcpstate_limits_mutex here is safe
 * because no holder of the mutex waits for that rwsem: none creates a
 * namespace, registers or unregisters pernet operations, or waits for a
 * namespace's exit, and the unload unregisters only after it has let go
 * of the mutex. The waits here (a grace period, the stores that
 * kobject_del() drains) are made without the mutex, and no holder of it
 * waits for a removal: tcpstate_limits_wait_removal() lets go first. A
 * dead object of this namespace belongs to a remove in flight, which
 * finishes it.
 */
static void __net_exit tcpstate_limits_net_exit(struct net *net)
{
	struct tcpstate_limit *l;
	LIST_HEAD(batch);

	mutex_lock(&tcpstate_limits_mutex);
	tcpstate_limits_unlink_matching(tcpstate_limit_of_netns, net->ns.inum, &batch);
	mutex_unlock(&tcpstate_limits_mutex);
	list_for_each_entry(l, &batch, removal_node)
		pr_info("netns %u is gone: %s %s removed with it\n", net->ns.inum,
			tcpstate_limit_type_names[l->type], l->key);
	tcpstate_limits_finish_removals(&batch);
}

static struct pernet_operations tcpstate_limits_net_ops = {
	.exit = tcpstate_limits_net_exit,
};

/* --- debugfs limits ------------------------------------------------------ */

void tcpstate_limit_show_row(struct seq_file *s, const char *type, const char *key,
			     int state, int count, int high, u32 limit, u64 drops,
			     u64 evictions, u64 fired)
{
	seq_printf(s, "%s %s %s %d %d %u %llu %llu %llu\n", type, key,
		   tcpstate_state_name(state), max(count, 0), high, limit, drops,
		   evictions, fired);
}

static int limits_show(struct seq_file *s, void *unused)
{
	struct tcpstate_limit *l;
	int type;

	seq_puts(s, "TYPE KEY STATE COUNT HIGH LIMIT DROPS EVICTIONS FIRED\n");
	mutex_lock(&tcpstate_limits_mutex);
	for (type = 0; type < TCPSTATE_LIMIT_NR_TYPES; type++) {
		list_for_each_entry(l, &tcpstate_limits_by_type[type], type_node) {
			int count = atomic_read(&l->count), high = atomic_read(&l->high);

			if (l->dead)
				continue;

			switch (type) {
			case TCPSTATE_LIMIT_SYN_CAP:
				tcpstate_limit_show_row(s, tcpstate_limit_type_names[type], l->key,
							l->state, count, high,
							READ_ONCE(l->syn.listener_max),
							atomic64_read(&l->syn.listener_drops) +
							atomic64_read(&l->syn.prefix_drops), 0, 0);
				tcpstate_syncap_show(s, l);
				break;
			case TCPSTATE_LIMIT_TW_BUDGET:
				tcpstate_limit_show_row(s, tcpstate_limit_type_names[type], l->key,
							l->state, count, high,
							READ_ONCE(l->tw.budget), 0,
							atomic64_read(&l->tw.evictions), 0);
				break;
			default:
				tcpstate_limit_show_row(s, tcpstate_limit_type_names[type], l->key,
							l->state, count, high,
							READ_ONCE(l->alert.threshold), 0, 0,
							atomic64_read(&l->alert.fired));
				break;
			}
		}
	}
	mutex_unlock(&tcpstate_limits_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(limits);

/* The caller removes it with @dir (tcpstate_debugfs_publish()). */
void tcpstate_limits_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("limits", 0400, dir, NULL, &limits_fops);
}

/* Runs a fn over every object of a type, under the mutex: the TW worker. */
void tcpstate_limits_walk_type(enum tcpstate_limit_type type,
			       void (*fn)(struct tcpstate_limit *l))
{
	struct tcpstate_limit *l;

	lockdep_assert_held(&tcpstate_limits_mutex);
	list_for_each_entry(l, &tcpstate_limits_by_type[type], type_node)
		if (!l->dead)
			fn(l);
}

/* --- init ---------------------------------------------------------------- */

static bool tcpstate_limit_any(const struct tcpstate_limit *l, u32 unused)
{
	return true;
}

/*
 * Unload: no add or remove is running (their control files are gone),
 * but a dying namespace's exit may be removing its objects (ours stays
 * registered until after this). Those are dead already: this removes
 * the rest, then waits for them.
 */
static void tcpstate_limits_remove_all(void)
{
	LIST_HEAD(batch);
	bool dying;

	mutex_lock(&tcpstate_limits_mutex);
	for (;;) {
		dying = tcpstate_limits_unlink_matching(tcpstate_limit_any, 0, &batch);
		if (!list_empty(&batch)) {
			mutex_unlock(&tcpstate_limits_mutex);
			tcpstate_limits_finish_removals(&batch);
			mutex_lock(&tcpstate_limits_mutex);
		} else if (dying) {
			tcpstate_limits_wait_removal();
		} else {
			break;
		}
	}
	mutex_unlock(&tcpstate_limits_mutex);
}

static unsigned int tw_budget;
module_param(tw_budget, uint, 0444);
MODULE_PARM_DESC(tw_budget, "global TIME_WAIT budget created at load (0: none)");

/*
 * The tw_budget= budget. Found again by its key, not as the list's first:
 * the control files are live, and a writer may have added budgets already.
 */
static int tcpstate_limits_add_global_budget(u32 budget)
{
	struct tcpstate_scope scope;
	struct tcpstate_limit *l;
	char key[TCPSTATE_LIMIT_KEY_MAX];
	int ret;

	ret = tcpstate_limit_add(TCPSTATE_LIMIT_TW_BUDGET, "global");
	if (ret)
		return ret;
	ret = tcpstate_limit_parse_key("global", &scope, key, sizeof(key));
	if (ret)
		return ret;
	mutex_lock(&tcpstate_limits_mutex);
	l = tcpstate_limit_find(TCPSTATE_LIMIT_TW_BUDGET, &scope);
	if (l && !l->dead)
		WRITE_ONCE(l->tw.budget, budget);
	else
		ret = -ENOENT;	/* a writer removed it at once */
	mutex_unlock(&tcpstate_limits_mutex);
	return ret;
}

/*
 * The health counters outlive the limits: debugfs stats reads them from
 * before tcpstate_limits_init() until after tcpstate_limits_uninit().
 */
int tcpstate_limits_stats_init(void)
{
	tcpstate_limits_pcpu = alloc_percpu(struct tcpstate_limits_pcpu);
	return tcpstate_limits_pcpu ? 0 : -ENOMEM;
}

void tcpstate_limits_stats_uninit(void)
{
	free_percpu(tcpstate_limits_pcpu);
	tcpstate_limits_pcpu = NULL;
}

int tcpstate_limits_init(struct kobject *parent)
{
	int i, ret;

	/* The sysfs budget file takes no more either: counts are ints. */
	if (tw_budget > INT_MAX) {
		pr_err("tw_budget must be 0..%d\n", INT_MAX);
		return -ERANGE;
	}
	for (i = 0; i < TCPSTATE_LIMIT_NR_TYPES; i++)
		INIT_LIST_HEAD(&tcpstate_limits_by_type[i]);
	ret = tcpstate_syncap_init();
	if (ret)
		return ret;
	/* Before the control files: no netns:N object may miss its exit. */
	ret = register_pernet_subsys(&tcpstate_limits_net_ops);
	if (ret) {
		pr_err("cannot register the limits' namespace exit: %d\n", ret);
		goto out_syncap;
	}
	ret = tcpstate_limits_sysfs_init(parent);
	if (ret)
		goto out_net_ops;

	if (tw_budget) {
		ret = tcpstate_limits_add_global_budget(tw_budget);
		if (ret) {
			pr_err("cannot create the global TIME_WAIT budget: %d\n", ret);
			/*
			 * The control files were live: a writer may have
			 * added objects (a "global" budget too, hence the
			 * failure), and they must not outlive the module.
			 */
			tcpstate_limits_uninit();
			return ret;
		}
	}
	return 0;

out_net_ops:
	unregister_pernet_subsys(&tcpstate_limits_net_ops);
out_syncap:
	tcpstate_syncap_uninit();
	return ret;
}

/* After the hooks are gone: nothing counts any more. */
void tcpstate_limits_uninit(void)
{
	/* The netfilter hooks first: they read the caps. */
	tcpstate_syncap_uninit();
	tcpstate_limits_sysfs_remove_controls();
	tcpstate_limits_remove_all();
	/* After the objects: its exit runs for every namespace as it goes. */
	unregister_pernet_subsys(&tcpstate_limits_net_ops);
	tcpstate_twbudget_uninit();
	tcpstate_limits_sysfs_uninit();
}
