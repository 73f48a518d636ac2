// SPDX-License-Identifier: GPL-2.0
/*
 * The socket table (see include/tcpstate/table.h): an rhashtable of
 * struct tcpstate_sock keyed by socket cookie, bounded by max_sockets.
 *
 * Inserts and removals come from probe handlers in any context, so they
 * never sleep: entries come from a kmem_cache with GFP_ATOMIC (failures
 * are counted by the caller) and are freed after an RCU grace period,
 * because lookups and debugfs walks hold only rcu_read_lock().
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/hash.h>
#include <linux/cache.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>

static struct kmem_cache *tcpstate_sock_cache;
spinlock_t tcpstate_sock_locks[1 << TCPSTATE_SOCK_LOCK_BITS];
static atomic_t tcpstate_table_entries = ATOMIC_INIT(0);
static unsigned int tcpstate_table_max = TCPSTATE_MAX_SOCKETS_DEFAULT;

struct rhashtable tcpstate_table;

/*
 * Every event looks its cookie up: compare it as the u64 it is, not
 * through rhashtable's default out-of-line memcmp().
 */
static int tcpstate_table_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct tcpstate_sock *ts = obj;

	return ts->cookie != *(const u64 *)arg->key;
}

/*
 * Cookies come from the kernel's counter, not from the network, so a
 * multiplicative hash spreads them as well as jhash, and it inlines.
 */
static u32 tcpstate_table_hash(const void *data, u32 len, u32 seed)
{
	return hash_64(*(const u64 *)data ^ seed, 32);
}

static const struct rhashtable_params tcpstate_table_params = {
	.key_len = sizeof(u64),
	.hashfn = tcpstate_table_hash,
	.key_offset = offsetof(struct tcpstate_sock, cookie),
	.head_offset = offsetof(struct tcpstate_sock, node),
	.obj_cmpfn = tcpstate_table_cmp,
	.automatic_shrinking = true,
};

int tcpstate_table_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(tcpstate_sock_locks); i++)
		spin_lock_init(&tcpstate_sock_locks[i]);
	tcpstate_sock_cache = KMEM_CACHE(tcpstate_sock, 0);
	if (!tcpstate_sock_cache)
		return -ENOMEM;
	ret = rhashtable_init(&tcpstate_table, &tcpstate_table_params);
	if (ret)
		kmem_cache_destroy(tcpstate_sock_cache);
	return ret;
}

static void tcpstate_sock_free(void *ptr, void *arg)
{
	kmem_cache_free(tcpstate_sock_cache, ptr);
}

/*
 * Called after every hook is gone and an RCU grace period has passed, so
 * nothing else can reach an entry: free them directly.
 */
void tcpstate_table_uninit(void)
{
	rhashtable_free_and_destroy(&tcpstate_table, tcpstate_sock_free, NULL);
	rcu_barrier();	/* call_rcu frees still queued from tcpstate_table_remove() */
	kmem_cache_destroy(tcpstate_sock_cache);
	atomic_set(&tcpstate_table_entries, 0);
}

/* Caller holds rcu_read_lock() (probe handlers run with preemption off). */
struct tcpstate_sock *tcpstate_table_lookup(u64 cookie)
{
	return rhashtable_lookup(&tcpstate_table, &cookie, tcpstate_table_params);
}

/*
 * Returns the entry for cookie, new or (if another CPU won the race)
 * existing; NULL if the table is full (*table_full set) or memory ran out.
 */
struct tcpstate_sock *tcpstate_table_insert(u64 cookie, bool *table_full)
{
	struct tcpstate_sock *ts, *old;

	*table_full = false;
	if (atomic_inc_return(&tcpstate_table_entries) > READ_ONCE(tcpstate_table_max)) {
		atomic_dec(&tcpstate_table_entries);
		*table_full = true;
		return NULL;
	}
	ts = kmem_cache_zalloc(tcpstate_sock_cache, GFP_ATOMIC | __GFP_NOWARN);
	if (!ts)
		goto out_uncount;
	ts->cookie = cookie;
	old = rhashtable_lookup_get_insert_fast(&tcpstate_table, &ts->node,
						tcpstate_table_params);
	if (!old)
		return ts;
	kmem_cache_free(tcpstate_sock_cache, ts);
	atomic_dec(&tcpstate_table_entries);
	return IS_ERR(old) ? NULL : old;

out_uncount:
	atomic_dec(&tcpstate_table_entries);
	return NULL;
}

static void tcpstate_sock_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(tcpstate_sock_cache,
			container_of(head, struct tcpstate_sock, rcu));
}

/* Caller holds tcpstate_sock_lock(ts->cookie). */
void tcpstate_table_remove(struct tcpstate_sock *ts)
{
	if (WARN_ON_ONCE(rhashtable_remove_fast(&tcpstate_table, &ts->node,
						tcpstate_table_params)))
		return;
	atomic_dec(&tcpstate_table_entries);
	call_rcu(&ts->rcu, tcpstate_sock_free_rcu);
}

unsigned int tcpstate_table_count(void)
{
	return atomic_read(&tcpstate_table_entries);
}

/* Entries plus bucket array: what the table costs, in bytes. */
size_t tcpstate_table_memory(void)
{
	const struct bucket_table *tbl;
	size_t buckets;

	rcu_read_lock();
	tbl = rcu_dereference(tcpstate_table.tbl);
	buckets = tbl->size;
	rcu_read_unlock();
	return (size_t)tcpstate_table_count() * kmem_cache_size(tcpstate_sock_cache) +
	       buckets * sizeof(struct rhash_lock_head *);
}

void tcpstate_table_set_max(unsigned int max)
{
	WRITE_ONCE(tcpstate_table_max, max);
}

unsigned int tcpstate_table_get_max(void)
{
	return READ_ONCE(tcpstate_table_max);
}

void tcpstate_table_for_each(void (*fn)(struct tcpstate_sock *ts, void *arg),
			     void *arg)
{
	struct rhashtable_iter iter;
	struct tcpstate_sock *ts;

	rhashtable_walk_enter(&tcpstate_table, &iter);
	rhashtable_walk_start(&iter);
	while ((ts = rhashtable_walk_next(&iter))) {
		if (IS_ERR(ts))
			continue;	/* -EAGAIN: a resize; entries may repeat */
		fn(ts, arg);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}
