/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket table: one entry per live TCP socket tcpstate follows, keyed
 * by the socket cookie (what `ss -e` prints as sk:<hex>). Owned by
 * module/table.c; only the engine changes entries.
 */
#ifndef _TCPSTATE_TABLE_H
#define _TCPSTATE_TABLE_H

#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/in6.h>
#include <linux/rcupdate.h>

/* How many transitions an entry remembers, newest overwriting oldest. */
#define TCPSTATE_SOCK_HISTORY 8

/*
 * Which slot of which prefix table (syncap.c) counts an entry: gen names
 * the table (0: none), slot is the slot's index + 1 (0: the table could
 * not count it, both its buckets were full), its top bit whether the
 * table a recount replaces counts the entry too
 * (TCPSTATE_PREFIX_REF_IN_REPLACED).
 */
struct tcpstate_prefix_ref {
	u32 gen;
	u32 slot;
};

/*
 * One tracked socket: 136 bytes, laid out largest first so nothing pads.
 * The issue budgets 160 bytes per socket including the hash table's
 * buckets; rhashtable keeps 0.375 to 0.75 entries per 8-byte bucket, so
 * the buckets add 11 to 22 bytes (measured figure: bench/results/).
 *
 * node, cookie and rcu belong to the table. Every other field is written
 * under tcpstate_sock_lock(cookie), a hashed lock rather than one per
 * entry, which would cost 4 bytes each (and far more under lockdep).
 * Lookups that lead to a change, inserts and removals all happen under
 * that lock too, so an entry found under it is in the table.
 */
struct tcpstate_sock {
	struct rhash_head node;
	u64 cookie;			/* key; never 0 */
	u64 created_ns;			/* CLOCK_MONOTONIC when first seen */
	u64 entered_ns;			/* CLOCK_MONOTONIC when state was entered */
	struct in6_addr saddr, daddr;	/* IPv4 in s6_addr32[0], rest zero */
	union {
		/*
		 * While in the table, under the entry's lock: where a
		 * SYN_RECV entry is counted in the prefix counts of the
		 * syn_caps on its port (syncap.c), [0] the cap without a
		 * netns, [1] the one with. Once out of the table, nothing
		 * reads them and the RCU free takes the space.
		 */
		struct tcpstate_prefix_ref prefix_ref[2];
		struct rcu_head rcu;
	};
	u32 history_ms[TCPSTATE_SOCK_HISTORY];	/* ms after created_ns */
	/*
	 * Hash of the kernel object now owning the cookie: tells a request
	 * sock from its child, a full sock from its timewait. Never printed.
	 */
	u32 owner_tag;
	u32 netns_ino;
	u16 sport, dport;		/* host order */
	u8 kind;			/* enum tcpstate_sock_kind */
	u8 state;			/* enum tcpstate_state, as ss would show it */
	u8 flags;			/* TCPSTATE_SOCK_* */
	u8 nr_history;			/* transitions recorded; after 255, 248..255 */
	u8 history_state[TCPSTATE_SOCK_HISTORY];	/* from << 4 | to */
};

/* The socket existed before tcpstate was loaded: its times start at load. */
#define TCPSTATE_SOCK_ADOPTED	BIT(0)
/* AF_INET6; otherwise AF_INET. */
#define TCPSTATE_SOCK_INET6	BIT(1)
/* Seen by the limits' walk in progress (tcpstate_limits_walk_table()). */
#define TCPSTATE_SOCK_WALKED	BIT(2)

/* Default and hard bound of max_sockets, in entries (136 MiB and 8.5 GiB). */
#define TCPSTATE_MAX_SOCKETS_DEFAULT	(1024U * 1024)
#define TCPSTATE_MAX_SOCKETS_LIMIT	(64U * 1024 * 1024)

/* Hashed entry locks: enough that two busy CPUs rarely share one. */
#define TCPSTATE_SOCK_LOCK_BITS	8

extern spinlock_t tcpstate_sock_locks[1 << TCPSTATE_SOCK_LOCK_BITS];

/* The lock that serializes the entry of cookie: every event takes one. */
static inline spinlock_t *tcpstate_sock_lock(u64 cookie)
{
	return &tcpstate_sock_locks[hash_64(cookie, TCPSTATE_SOCK_LOCK_BITS)];
}

int tcpstate_table_init(void);
void tcpstate_table_uninit(void);

struct tcpstate_sock *tcpstate_table_lookup(u64 cookie);
struct tcpstate_sock *tcpstate_table_insert(u64 cookie, bool *table_full);
void tcpstate_table_remove(struct tcpstate_sock *ts);
unsigned int tcpstate_table_count(void);
size_t tcpstate_table_memory(void);

void tcpstate_table_set_max(unsigned int max);
unsigned int tcpstate_table_get_max(void);

/* Calls fn for every entry under RCU; fn must not sleep. */
void tcpstate_table_for_each(void (*fn)(struct tcpstate_sock *ts, void *arg),
			     void *arg);

extern struct rhashtable tcpstate_table;

#endif /* _TCPSTATE_TABLE_H */
