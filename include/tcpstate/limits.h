/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Limits: objects an operator creates at run time under
 * /sys/kernel/tcpstate/limits/ (Documentation/ABI/testing/
 * sysfs-kernel-tcpstate), each counting the sockets of one scope in one
 * state and acting on that count:
 *
 *   syn_cap    SYN_RECV   SYNs dropped in netfilter (module/syncap.c)
 *   tw_budget  TIME_WAIT  oldest TIME_WAIT killed (module/twbudget.c)
 *   alert      any        a log line, a counter, sysfs_notify() (limits.c)
 *
 * module/limits.c owns the registry: parsing keys, creating and removing
 * objects, keeping their counts from the engine's gauge moves, and the
 * debugfs limits file. module/limits_sysfs.c owns the sysfs side.
 *
 * Lifetime: objects are found by the engine and the netfilter hook under
 * RCU, and by everything else under tcpstate_limits_mutex. Removal marks
 * the object dead and unlinks it from the RCU lists under the mutex,
 * waits a grace period, removes its directory without the mutex (a store
 * in that directory may be waiting for the mutex to re-count), then takes
 * it off its type list; an add of the same key waits for that.
 */
#ifndef _TCPSTATE_LIMITS_H
#define _TCPSTATE_LIMITS_H

#include <linux/atomic.h>
#include <linux/in6.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <tcpstate/table.h>

struct kernfs_node;

enum tcpstate_limit_type {
	TCPSTATE_LIMIT_SYN_CAP,
	TCPSTATE_LIMIT_TW_BUDGET,
	TCPSTATE_LIMIT_ALERT,
	TCPSTATE_LIMIT_NR_TYPES
};

/* Selectors of a scope; none at all is the global scope. */
#define TCPSTATE_SCOPE_STATE	BIT(0)	/* alerts: the state is part of the key */
#define TCPSTATE_SCOPE_NETNS	BIT(1)
#define TCPSTATE_SCOPE_PORT	BIT(2)
#define TCPSTATE_SCOPE_REMOTE	BIT(3)

/* Longest key: state, netns, and a bracketed IPv6 remote with its port. */
#define TCPSTATE_LIMIT_KEY_MAX	96

/* A parsed key: what a limit object covers. */
struct tcpstate_scope {
	struct in6_addr raddr;	/* REMOTE: IPv4 in s6_addr32[0], rest zero */
	u32 netns_ino;		/* NETNS */
	u16 port;		/* PORT: local port, host order */
	u16 rport;		/* REMOTE: host order */
	u8 selectors;		/* TCPSTATE_SCOPE_* */
	u8 family;		/* REMOTE: AF_INET or AF_INET6 */
	u8 state;		/* STATE */
};

/*
 * One source prefix of a syn_cap: its SYN_RECV sockets, the SYNs let
 * through that claim a place for theirs, and drops. A slot of a fixed
 * table (syncap.c, "prefix counts"): free while count is 0, whatever
 * addr still says, and re-keyed only then, by whoever wins a cmpxchg().
 */
struct tcpstate_syn_prefix {
	struct in6_addr addr;	/* masked; IPv4 as ::ffff:a.b.c.d */
	atomic_t count;		/* -1 while re-keyed */
	atomic_t high;
	atomic64_t drops;
};

/* A prefix hashes to two buckets of this many slots, 128 bytes each. */
#define TCPSTATE_SYN_PREFIX_BUCKET_SLOTS	4

struct tcpstate_syn_prefix_bucket {
	struct tcpstate_syn_prefix slot[TCPSTATE_SYN_PREFIX_BUCKET_SLOTS];
};

/* The prefix counts of one syn_cap, for the lengths they were made with. */
struct tcpstate_syn_prefixes {
	struct tcpstate_syn_prefix_bucket *buckets;
	u32 seed;		/* of the hash, random: sources are chosen by the sender */
	u32 gen;		/* never 0, unique: what an entry's prefix_ref names */
	u8 len4, len6;
	atomic_t nr;		/* slots whose count is not 0 */
};

/* Cookies of a scope's TIME_WAIT sockets, oldest first (twbudget.c). */
struct tcpstate_tw_fifo {
	struct list_head chunks;
	unsigned int head, tail;	/* in first and last chunk */
	unsigned int queued;
};

struct tcpstate_tw_seed;

/* Slots a syn_cap hashes its prefix claims into. */
#define TCPSTATE_SYN_CLAIM_SLOTS 16

struct tcpstate_limit {
	struct hlist_node state_node;	/* engine's index: RCU, mutex to write */
	struct list_head type_node;	/* tcpstate_limits_by_type[type], mutex */
	struct list_head removal_node;	/* a remover's batch, once unlinked */
	struct hlist_node port_node;	/* syn_caps: tcpstate_syncap_hash, RCU */
	struct kobject kobj;
	struct tcpstate_scope scope;
	char key[TCPSTATE_LIMIT_KEY_MAX];
	u8 type;			/* enum tcpstate_limit_type */
	u8 state;			/* the state counted */
	bool dead;			/* unlinked: stores give up */
	bool populating;		/* its first counts are being walked */
	atomic_t count;			/* sockets of the scope in state */
	atomic_t high;			/* high-water mark of count */
	union {
		struct {
			u32 listener_max;	/* 0: none */
			u32 prefix_max;		/* 0: none */
			u8 prefix_len4, prefix_len6;
			atomic64_t listener_drops;
			atomic64_t prefix_drops;
			spinlock_t lock;	/* the two tables' pointers */
			/* NULL without a prefix cap (prefix_max 0) */
			struct tcpstate_syn_prefixes __rcu *prefixes;
			/*
			 * While tcpstate_syncap_recount() walks the socket
			 * table: the prefixes it is counting afresh. Both
			 * pointers change under lock.
			 */
			struct tcpstate_syn_prefixes __rcu *recounting;
			/*
			 * SYNs being judged, hashed by prefix, until each
			 * holds a place in its prefix's slot: SYNs of one
			 * new prefix judged at once on two CPUs see each
			 * other here (syncap.c, which keeps the listener
			 * claims of all caps in one table).
			 */
			atomic_t prefix_claims[TCPSTATE_SYN_CLAIM_SLOTS];
		} syn;
		struct {
			u32 budget;		/* 0: none */
			atomic64_t evictions;
			spinlock_t lock;	/* the FIFO */
			struct tcpstate_tw_fifo fifo;
			/* while the object is created: see twbudget.c */
			struct tcpstate_tw_seed *seed;
		} tw;
		struct {
			u32 threshold;		/* 0: off */
			u32 hysteresis;
			spinlock_t lock;	/* armed's changes */
			atomic_t armed;		/* written under lock */
			atomic64_t fired;
			struct kernfs_node *fired_kn, *armed_kn;
		} alert;
	};
};

extern struct mutex tcpstate_limits_mutex;
/* Objects that exist: the engine's accounting is skipped while 0. */
extern int tcpstate_limits_nr;

/* Counters of what limits did, shown in debugfs stats. */
enum tcpstate_limit_stat {
	TCPSTATE_LSTAT_SYN_SEEN,		/* SYNs to a capped port */
	TCPSTATE_LSTAT_SYN_DROPPED_LISTENER,
	TCPSTATE_LSTAT_SYN_DROPPED_PREFIX,
	TCPSTATE_LSTAT_PREFIX_UNTRACKED,	/* both buckets of its prefix full */
	TCPSTATE_LSTAT_TW_EVICTED,
	TCPSTATE_LSTAT_TW_EVICT_FAILED,		/* gone, or still there after the kill */
	TCPSTATE_LSTAT_TW_EVICT_RETRIED,	/* still entering TIME_WAIT: tried again */
	TCPSTATE_LSTAT_TW_UNQUEUED,		/* no memory for the FIFO: not evictable */
	TCPSTATE_LSTAT_TW_EVICT_NS,		/* time the worker spent evicting */
	TCPSTATE_LSTAT_ALERTS_FIRED,
	TCPSTATE_LSTAT_NR
};

struct tcpstate_limits_pcpu {
	u64 stat[TCPSTATE_LSTAT_NR];
};

/* Allocated before the hooks are registered, freed after they are gone (limits.c). */
extern struct tcpstate_limits_pcpu __percpu *tcpstate_limits_pcpu;

/* Inline: the SYN hook counts every SYN to a capped port. */
static inline void tcpstate_limits_stat_inc(enum tcpstate_limit_stat stat)
{
	this_cpu_inc(tcpstate_limits_pcpu->stat[stat]);
}

void tcpstate_limits_stat_add(enum tcpstate_limit_stat stat, u64 delta);
u64 tcpstate_limits_stat_read(enum tcpstate_limit_stat stat);
const char *tcpstate_limits_stat_name(enum tcpstate_limit_stat stat);

/* scope.c */
bool tcpstate_scope_fits(enum tcpstate_limit_type type, const struct tcpstate_scope *scope);
bool tcpstate_scope_match_remote(const struct tcpstate_scope *scope,
				 const struct tcpstate_sock *ts);

/*
 * Whether ts is in scope. Inline: while limits exist, the engine asks it
 * of the limits on a moving socket's chains at every gauge move.
 */
static inline bool tcpstate_scope_match(const struct tcpstate_scope *scope,
					const struct tcpstate_sock *ts)
{
	if ((scope->selectors & TCPSTATE_SCOPE_NETNS) && scope->netns_ino != ts->netns_ino)
		return false;
	if ((scope->selectors & TCPSTATE_SCOPE_PORT) && scope->port != ts->sport)
		return false;
	return !(scope->selectors & TCPSTATE_SCOPE_REMOTE) ||
	       tcpstate_scope_match_remote(scope, ts);
}

/* limits.c */
int tcpstate_limits_stats_init(void);
void tcpstate_limits_stats_uninit(void);
int tcpstate_limits_init(struct kobject *parent);
void tcpstate_limits_debugfs_init(struct dentry *dir);
void tcpstate_limits_uninit(void);
int tcpstate_limit_parse_key(const char *buf, struct tcpstate_scope *scope,
			     char *canonical, size_t size);
int tcpstate_limit_add(enum tcpstate_limit_type type, const char *buf);
int tcpstate_limit_remove(enum tcpstate_limit_type type, const char *buf);
void __tcpstate_limits_account(struct tcpstate_sock *ts, int state, int delta);
bool tcpstate_limits_walk_follows(struct tcpstate_sock *ts, int delta);
void tcpstate_limits_walk_table(void (*fn)(struct tcpstate_sock *ts, void *arg), void *arg);
void tcpstate_limits_walk_end(void);
void tcpstate_sock_remote(const struct tcpstate_sock *ts, struct in6_addr *addr, u8 *family);
void tcpstate_alert_check(struct tcpstate_limit *l);
void tcpstate_limit_release(struct kobject *kobj);
void tcpstate_limits_walk_type(enum tcpstate_limit_type type,
			       void (*fn)(struct tcpstate_limit *l));
struct seq_file;
void tcpstate_limit_show_row(struct seq_file *s, const char *type, const char *key,
			     int state, int count, int high, u32 limit, u64 drops,
			     u64 evictions, u64 fired);

/*
 * The engine moved ts into (+1) or out of (-1) state. Called with the
 * entry's lock held and BHs off, wherever a gauge moves.
 */
static inline void tcpstate_limits_account(struct tcpstate_sock *ts,
					   int state, int delta)
{
	if (READ_ONCE(tcpstate_limits_nr))
		__tcpstate_limits_account(ts, state, delta);
}

/* limits_sysfs.c */
int tcpstate_limits_sysfs_init(struct kobject *parent);
void tcpstate_limits_sysfs_remove_controls(void);
void tcpstate_limits_sysfs_uninit(void);
void tcpstate_limit_kobject_release(struct tcpstate_limit *l);
int tcpstate_limit_kobject_add(struct tcpstate_limit *l);
extern const struct kobj_type tcpstate_limit_ktypes[TCPSTATE_LIMIT_NR_TYPES];

/* syncap.c */
int tcpstate_syncap_init(void);
void tcpstate_syncap_uninit(void);
int tcpstate_syncap_create(struct tcpstate_limit *l);
void tcpstate_syncap_publish(struct tcpstate_limit *l);
void tcpstate_syncap_unpublish(struct tcpstate_limit *l);
void tcpstate_syncap_destroy(struct tcpstate_limit *l);
void tcpstate_prefixes_add(struct tcpstate_limit *l, struct tcpstate_syn_prefixes *prefixes,
			   struct tcpstate_sock *ts, int delta);
void __tcpstate_syncap_account(struct tcpstate_limit *l, struct tcpstate_sock *ts, int delta);
int tcpstate_syncap_recount(struct tcpstate_limit *l);
void tcpstate_syncap_release_claims(void);
void tcpstate_syncap_show(struct seq_file *s, struct tcpstate_limit *l);

/* Where ts records its place in l's prefix counts. */
static inline struct tcpstate_prefix_ref *tcpstate_syncap_ref(const struct tcpstate_limit *l,
							      struct tcpstate_sock *ts)
{
	return &ts->prefix_ref[!!(l->scope.selectors & TCPSTATE_SCOPE_NETNS)];
}

/*
 * The engine moved ts into (+1) or out of (-1) SYN_RECV within l's scope,
 * under ts's entry lock: l's prefix counts follow. Without a prefix cap
 * nothing reads them, and with none counted there is nothing to take ts
 * out of: that is decided here, inline. Without a recount the counts
 * move without the cap's lock, which every request sock would otherwise
 * take.
 *
 * A recount that marked ts published its table before, and ordered that
 * by ts's entry lock, which we hold: seeing none, it has not counted ts.
 * Seeing its end, we see the table it left. Had ts been counted there,
 * its own +1 would still be in nr.
 */
static inline void tcpstate_syncap_account(struct tcpstate_limit *l, struct tcpstate_sock *ts,
					   int delta)
{
	struct tcpstate_syn_prefixes *prefixes;

	/* Uncounted until a table counts it: no ref left from a stay before. */
	if (delta > 0)
		tcpstate_syncap_ref(l, ts)->gen = 0;
	if (rcu_access_pointer(l->syn.recounting)) {
		__tcpstate_syncap_account(l, ts, delta);
		return;
	}
	smp_rmb();	/* pairs with smp_wmb() in tcpstate_syncap_recount() */
	prefixes = rcu_dereference(l->syn.prefixes);
	if (prefixes &&
	    (delta > 0 ? READ_ONCE(l->syn.prefix_max) : atomic_read(&prefixes->nr)))
		tcpstate_prefixes_add(l, prefixes, ts, delta);
}

/* twbudget.c */
void tcpstate_twbudget_stop(void);
void tcpstate_twbudget_uninit(void);
int tcpstate_twbudget_create(struct tcpstate_limit *l);
void tcpstate_twbudget_destroy(struct tcpstate_limit *l);
void tcpstate_twbudget_account(struct tcpstate_limit *l, const struct tcpstate_sock *ts,
			       int delta);
int tcpstate_twbudget_seed_begin(struct tcpstate_limit *l);
void tcpstate_twbudget_seed_add(struct tcpstate_limit *l, const struct tcpstate_sock *ts);
void tcpstate_twbudget_seed_end(struct tcpstate_limit *l);
void tcpstate_twbudget_kick(void);

#endif /* _TCPSTATE_LIMITS_H */
