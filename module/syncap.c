// SPDX-License-Identifier: GPL-2.0
/*
 * SYN_RECV caps: netfilter hooks that drop a SYN to a capped listener.
 *
 * One pair of hooks (IPv4, IPv6) per network namespace, at LOCAL_IN just
 * after the filter table (NF_IP_PRI_FILTER + 10), so what the firewall
 * drops never counts against a cap. For a segment with SYN set and ACK
 * and RST clear to a port that has a cap:
 *
 *   listener_max  the listener the kernel will pick (same lookup, same
 *                 reuseport hash; a reuseport BPF program is not run, so
 *                 with one the cap applies to the hash's pick), or the
 *                 one TPROXY or bpf_sk_assign() already chose, already
 *                 holds that many request socks
 *                 (inet_csk_reqsk_queue_len()): NF_DROP
 *   prefix_max    the source's prefix already has that many SYN_RECV
 *                 sockets toward the port, as the module counts them
 *                 from the engine's gauge moves: NF_DROP
 *
 * Everything else passes untouched. The hook takes no lock: the caps and
 * the prefix counts are read under the RCU read lock that nf_hook() holds
 * around every hook; it allocates nothing and costs one hash lookup per
 * cap on the port.
 *
 * Claims: the queue length the hook compares includes a SYN only once
 * its request sock is queued, later in the same softirq on the same CPU.
 * A SYN let through claims its place in the listener until then (atomic
 * counters hashed by listener, one table for all caps) and the hook adds
 * the claims to the queue length, so SYNs to one listener on N CPUs at
 * once cannot take it past its cap, even when they are for different
 * capped ports (TPROXY or a BPF sk_lookup program sending several ports
 * to one listener). Its place in its prefix it takes in the prefix's own
 * count, which its request sock then takes over (tcpstate_prefix_adopt()),
 * so that the engine finds the slot without a lookup or a lock; while
 * the hook judges, a counter per cap hashed by prefix (16 of them) shows
 * it to SYNs of the same prefix on other CPUs, which may not see its slot
 * yet. The claims end when the request sock is queued (the return of
 * inet_csk_reqsk_queue_hash_add(), after the queue length and the prefix
 * count took it in) or, for a SYN TCP did not queue (a syncookie, its own
 * backlog full), at the next SYN this CPU judges or when the CPU goes
 * offline. Until then such a stale claim, at most one per CPU, makes one
 * stricter the caps of every listener hashed to its slot (on any port or
 * in any netns: 1,024 slots make that rare) and its prefix's cap; two
 * listeners sharing a slot, or two prefixes sharing a counter, make each
 * other stricter for the moment one's SYN is in flight. All of it errs on
 * the side of the caps.
 *
 * Prefix counts: a cap with a prefix cap keeps a fixed table of
 * TCPSTATE_SYN_PREFIX_BUCKETS buckets of four slots, allocated when
 * prefix_max is set and freed when it is cleared, so that a request sock
 * costs no allocation and no RCU free, and a flood from random sources
 * costs the same bounded memory as any other. A prefix hashes (jhash with
 * a random seed: the sender picks its source) to two buckets and lives in
 * one slot of either, taken from the emptier bucket by its first SYN let
 * through and free again when its last place goes; a prefix that finds
 * both buckets full is not counted (stats syn_prefix_untracked). Slots
 * change without a lock: a free one is keyed by whoever wins a cmpxchg()
 * of its count from 0, and a place in a counting one is taken with a
 * cmpxchg() that finds it above 0 (tcpstate_prefix_key(),
 * tcpstate_prefix_get()). The hook adds up every slot whose address
 * matches: a slot that counts is never re-keyed, so the prefix's own
 * slots are always found, and a slot read while it is re-keyed can only
 * add to the sum, never take from it.
 */
#include <linux/cpuhotplug.h>
#include <linux/hash.h>
#include <linux/inetdevice.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <tcpstate/compat.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/limits.h>

/* 32,768 buckets of 4 slots: 131,072 prefixes, 4 MiB per prefix cap. */
#define TCPSTATE_SYN_PREFIX_BUCKET_BITS	15
#define TCPSTATE_SYN_PREFIX_BUCKETS	BIT(TCPSTATE_SYN_PREFIX_BUCKET_BITS)

#define TCPSTATE_SYNCAP_HASH_BITS	8

/* A key needs a port, netns optional: a SYN meets at most two caps. */
#define TCPSTATE_SYN_CAPS_PER_SYN	2

/*
 * What the SYN this CPU let through last still claims, cap by cap. Its
 * own CPU makes and ends the claims: the hook (which turns BHs off
 * itself, see tcpstate_syncap_judge()) and the request sock's kprobes,
 * both with BHs off on that CPU, so never at once; they run
 * under RCU (or with preemption off). Other CPUs only take claims back,
 * with cmpxchg(): a cap's removal (tcpstate_syncap_destroy()) and a
 * recount that replaces the prefix counts (tcpstate_syncap_unclaim_table()),
 * which then wait out those sections before they free what the claims
 * name. Once the CPU is dead, the control CPU takes its claims back too.
 *
 * The listener claim is a place in tcpstate_syn_listener_claims. The
 * prefix claim is a place in the prefix's own slot, which the request
 * sock's entry takes over (tcpstate_prefix_adopt()) when TCP queues it:
 * the engine then has no slot to look for. A SYN that found no slot for
 * its prefix holds its cap's prefix counter (prefix_claims) instead.
 */
struct tcpstate_syn_claim {
	struct tcpstate_limit *cap;	/* NULL: none; taken with xchg() */
	atomic_t *listener_slot;	/* tcpstate_syn_listener_claims, or NULL */
	atomic_t *prefix_counter;	/* cap's prefix_claims, or NULL */
	/* The table prefix_slot is in; NULL: none; taken with xchg() */
	struct tcpstate_syn_prefixes *prefixes;
	struct tcpstate_syn_prefix *prefix_slot;
};

struct tcpstate_syn_claims {
	struct tcpstate_syn_claim of_cap[TCPSTATE_SYN_CAPS_PER_SYN];
	/* The SYN's source: only its request sock adopts the prefix claims. */
	struct in6_addr raddr;		/* IPv4 in s6_addr32[0] */
	u16 rport;			/* host order */
	u8 family;
};

static DEFINE_PER_CPU(struct tcpstate_syn_claims, tcpstate_syn_claims);

/*
 * Listener claims, hashed by listener. One table for every cap: a
 * listener may take the SYNs of several capped ports, and each cap must
 * count the others' SYNs in flight to it. A SYN that meets two caps
 * claims its listener once. Never freed: a claim may outlive its cap.
 * 4 KiB, so that a stale claim seldom shares a slot with another
 * listener (a SYN touches one slot's cache line).
 */
#define TCPSTATE_SYN_LISTENER_CLAIM_BITS	10
static atomic_t tcpstate_syn_listener_claims[1 << TCPSTATE_SYN_LISTENER_CLAIM_BITS];

/* Caps by port, for the hook: RCU readers, writers hold tcpstate_limits_mutex. */
static struct hlist_head tcpstate_syncap_hash[1 << TCPSTATE_SYNCAP_HASH_BITS];
static int tcpstate_syncaps_nr;

static unsigned int syn_prefix_len4 = 24;
module_param(syn_prefix_len4, uint, 0444);
MODULE_PARM_DESC(syn_prefix_len4, "prefix_len4 of new syn_caps (8..32, default 24)");
static unsigned int syn_prefix_len6 = 64;
module_param(syn_prefix_len6, uint, 0444);
MODULE_PARM_DESC(syn_prefix_len6, "prefix_len6 of new syn_caps (32..128, default 64)");

/* A SYN as the hook sees it. */
struct tcpstate_syn {
	struct in6_addr saddr, daddr;	/* IPv4 in s6_addr32[0] */
	u16 sport, dport;		/* host order */
	int dif, sdif;
	u8 family;
	/*
	 * Its listener, chosen before LOCAL_IN (skb->sk), or NULL. No
	 * reference of the hook's own: the skb holds one (TPROXY, and
	 * bpf_sk_assign() for a refcounted sock), or the listener is freed
	 * only after an RCU grace period (SOCK_RCU_FREE), and nf_hook()
	 * runs the hook under rcu_read_lock() with the skb alive.
	 */
	struct sock *assigned;
};

static struct hlist_head *tcpstate_syncap_bucket(u16 port)
{
	return &tcpstate_syncap_hash[hash_32(port, TCPSTATE_SYNCAP_HASH_BITS)];
}

/* addr (IPv4 in s6_addr32[0]) masked to the lengths of the prefixes kept. */
static void tcpstate_prefix_make(struct in6_addr *prefix, const struct in6_addr *addr, u8 family,
				 u8 len4, u8 len6)
{
	if (family == AF_INET)
		ipv6_addr_set_v4mapped(addr->s6_addr32[0] & inet_make_mask(len4), prefix);
	else
		ipv6_addr_prefix(prefix, addr, len6);
}

/*
 * The two buckets a prefix may live in; never the same one twice. An
 * IPv4 prefix is one word: every SYN hashes its prefix, so it pays for
 * one word only.
 */
static void tcpstate_prefix_buckets(const struct tcpstate_syn_prefixes *prefixes,
				    const struct in6_addr *prefix,
				    struct tcpstate_syn_prefix_bucket *bucket[2])
{
	u32 hash = ipv6_addr_v4mapped(prefix) ?
		   jhash_1word((__force u32)prefix->s6_addr32[3], prefixes->seed) :
		   jhash2((const u32 *)prefix->s6_addr32, 4, prefixes->seed);
	u32 first = hash & (TCPSTATE_SYN_PREFIX_BUCKETS - 1);
	u32 second = (hash >> TCPSTATE_SYN_PREFIX_BUCKET_BITS) & (TCPSTATE_SYN_PREFIX_BUCKETS - 1);

	if (second == first)
		second ^= 1;
	bucket[0] = &prefixes->buckets[first];
	bucket[1] = &prefixes->buckets[second];
}

/*
 * Sums prefix's counts in its two buckets, lock-free: every slot that
 * matches, so that a slot torn by its re-keying adds (the cap errs
 * strict) while a slot that counts the prefix, never re-keyed while it
 * counts, is always in the sum. A prefix may count in two slots: SYNs of
 * a new prefix on two CPUs at once key one each. *held: a slot that
 * counts it, or NULL; *free: a free slot of the emptier bucket (two
 * choices keep the buckets even: with 60,000 prefixes in 131,072 slots a
 * full pair is rare), or NULL if both are full.
 */
static int tcpstate_prefix_scan(struct tcpstate_syn_prefix_bucket *bucket[2],
				const struct in6_addr *prefix, struct tcpstate_syn_prefix **held,
				struct tcpstate_syn_prefix **free)
{
	struct tcpstate_syn_prefix *first_free[2] = { NULL, NULL };
	int nr_free[2] = { 0, 0 };
	int b, i, count, sum = 0;

	*held = NULL;
	for (b = 0; b < 2; b++) {
		for (i = 0; i < TCPSTATE_SYN_PREFIX_BUCKET_SLOTS; i++) {
			struct tcpstate_syn_prefix *slot = &bucket[b]->slot[i];

			/* Acquire: a count its keying set comes with its address. */
			count = atomic_read_acquire(&slot->count);
			if (!count) {
				if (!nr_free[b]++)
					first_free[b] = slot;
				continue;
			}
			/* Re-keyed meanwhile: torn reads only add. */
			if (count < 0 || !data_race(ipv6_addr_equal(&slot->addr, prefix)))
				continue;
			sum += count;
			*held = slot;
		}
	}
	*free = nr_free[1] > nr_free[0] ? first_free[1] : first_free[0];
	return sum;
}

static int tcpstate_prefix_count(const struct tcpstate_syn_prefixes *prefixes,
				 const struct in6_addr *prefix,
				 struct tcpstate_syn_prefix_bucket *bucket[2],
				 struct tcpstate_syn_prefix **held,
				 struct tcpstate_syn_prefix **free)
{
	tcpstate_prefix_buckets(prefixes, prefix, bucket);
	return tcpstate_prefix_scan(bucket, prefix, held, free);
}

/*
 * A slot's count: 0 free, whatever addr still says; -1 while it is
 * re-keyed; above 0, the request socks of its prefix that name it in
 * their refs plus the SYNs let through that claim a place in it. Anyone
 * may re-key a free slot, the hook, the engine or a recount: the
 * cmpxchg() from 0 decides who. Nobody else writes addr, so a slot
 * holding a place keeps it.
 */
#define TCPSTATE_SYN_PREFIX_KEYING	(-1)

/* Never below 0: see tcpstate_prefix_of() for the one put that may miss. */
static void tcpstate_prefix_put(struct tcpstate_syn_prefixes *prefixes,
				struct tcpstate_syn_prefix *slot)
{
	if (atomic_dec_if_positive(&slot->count) == 0)
		atomic_dec(&prefixes->nr);
}

static void tcpstate_prefix_raise_high(struct tcpstate_syn_prefix *slot, int count)
{
	int high = atomic_read(&slot->high);

	while (count > high && !atomic_try_cmpxchg(&slot->high, &high, count))
		;
}

/* A place in slot, if it still counts prefix. */
static bool tcpstate_prefix_get(struct tcpstate_syn_prefixes *prefixes,
				struct tcpstate_syn_prefix *slot, const struct in6_addr *prefix)
{
	int count = atomic_read(&slot->count);

	do {
		if (count <= 0)
			return false;
	} while (!atomic_try_cmpxchg(&slot->count, &count, count + 1));
	/* Held now, so not re-keyed: but it may have been, before. */
	if (!ipv6_addr_equal(&slot->addr, prefix)) {
		tcpstate_prefix_put(prefixes, slot);
		return false;
	}
	tcpstate_prefix_raise_high(slot, count + 1);
	return true;
}

/* Keys free slot to prefix with one place in it, unless taken meanwhile. */
static bool tcpstate_prefix_key(struct tcpstate_syn_prefixes *prefixes,
				struct tcpstate_syn_prefix *slot, const struct in6_addr *prefix)
{
	if (atomic_cmpxchg(&slot->count, 0, TCPSTATE_SYN_PREFIX_KEYING) != 0)
		return false;
	WRITE_ONCE(slot->addr.s6_addr32[0], prefix->s6_addr32[0]);
	WRITE_ONCE(slot->addr.s6_addr32[1], prefix->s6_addr32[1]);
	WRITE_ONCE(slot->addr.s6_addr32[2], prefix->s6_addr32[2]);
	WRITE_ONCE(slot->addr.s6_addr32[3], prefix->s6_addr32[3]);
	atomic_set(&slot->high, 1);
	atomic64_set(&slot->drops, 0);
	atomic_inc(&prefixes->nr);
	/* Release: whoever sees the count sees the address. */
	atomic_set_release(&slot->count, 1);
	return true;
}

/*
 * A place for prefix: in held, the slot the scan found counting it, or
 * else by keying free, the one it found free; if either changed
 * meanwhile, scanned again. NULL: both buckets full (or, rarer, changing
 * under the scan again and again): the prefix goes uncounted.
 */
#define TCPSTATE_SYN_PREFIX_TRIES	4

static struct tcpstate_syn_prefix *
tcpstate_prefix_take(struct tcpstate_syn_prefixes *prefixes, const struct in6_addr *prefix,
		     struct tcpstate_syn_prefix_bucket *bucket[2],
		     struct tcpstate_syn_prefix *held, struct tcpstate_syn_prefix *free)
{
	int tries;

	for (tries = 0; tries < TCPSTATE_SYN_PREFIX_TRIES; tries++) {
		if (held ? tcpstate_prefix_get(prefixes, held, prefix) :
			   free && tcpstate_prefix_key(prefixes, free, prefix))
			return held ?: free;
		if (!held && !free)
			return NULL;
		tcpstate_prefix_scan(bucket, prefix, &held, &free);
	}
	return NULL;
}

/* --- the hook ------------------------------------------------------------ */

/* The listener TCP will queue syn's request sock on, or NULL for none. */
static struct sock *tcpstate_syncap_listener(struct net *net, const struct tcpstate_syn *syn)
{
	struct inet_hashinfo *hashinfo = net->ipv4.tcp_death_row.hashinfo;

	if (syn->assigned)
		return syn->assigned;
	/* No skb: reuseport then picks by hash, as it does without a BPF program. */
	if (syn->family == AF_INET)
		return __inet_lookup_listener(net, hashinfo, NULL, 0,
					      syn->saddr.s6_addr32[0], htons(syn->sport),
					      syn->daddr.s6_addr32[0], syn->dport,
					      syn->dif, syn->sdif);
#if IS_ENABLED(CONFIG_IPV6)
	return inet6_lookup_listener(net, hashinfo, NULL, 0, &syn->saddr, htons(syn->sport),
				     &syn->daddr, syn->dport, syn->dif, syn->sdif);
#else
	return NULL;
#endif
}

/*
 * A SYN claims a place in slot (claimed: atomic_inc_return() of it), then
 * keeps it if count, with the places other SYNs in flight claimed there,
 * leaves one under max. The increment is a full barrier and count must be
 * read after it: a claim is dropped only after the count took its SYN in
 * (the queue, at tcpstate_syn_unclaim(); the prefix's slot, in the hook),
 * so a SYN is counted once or twice, never zero times.
 */
static bool tcpstate_syn_claim_fits(atomic_t *slot, int claimed, int count, u32 max)
{
	/*
	 * Signed: were a slot ever to go below zero, a cap should let one
	 * SYN too many through, not drop every SYN until the next load.
	 */
	if ((s64)count + claimed > max) {
		atomic_dec(slot);
		return false;
	}
	return true;
}

static void tcpstate_syn_unclaim(struct tcpstate_syn_claim *claim)
{
	struct tcpstate_syn_prefixes *prefixes;

	/*
	 * RCU or preemption off: a removal waits before freeing the cap, a
	 * removal or a recount before freeing the prefix table. Each xchg()
	 * finds NULL if there is none or the other side took it.
	 */
	if (xchg(&claim->cap, NULL)) {
		smp_mb__before_atomic();	/* the counts took the SYN in first */
		if (claim->listener_slot)
			atomic_dec(claim->listener_slot);
		if (claim->prefix_counter)
			atomic_dec(claim->prefix_counter);
	}
	/* Not adopted: TCP did not queue the SYN, or the engine did not count it. */
	prefixes = xchg(&claim->prefixes, NULL);
	if (prefixes)
		tcpstate_prefix_put(prefixes, claim->prefix_slot);
}

/*
 * The SYN this CPU let through last is queued, or TCP did not queue it:
 * either way its claims end. From the request sock's hashing (its
 * kretprobe) and from the hook, before it judges the next SYN.
 */
void tcpstate_syncap_release_claims(void)
{
	struct tcpstate_syn_claim *claims = this_cpu_ptr(&tcpstate_syn_claims)->of_cap;
	int i;

	for (i = 0; i < TCPSTATE_SYN_CAPS_PER_SYN; i++)
		/* Acquire: destroy() may have taken it; our rewrites come after. */
		if (smp_load_acquire(&claims[i].cap) || READ_ONCE(claims[i].prefixes))
			tcpstate_syn_unclaim(&claims[i]);
}

/*
 * A request sock entering SYN_RECV in prefixes' scope takes over the
 * place its SYN claimed there, if this CPU let that SYN through a moment
 * ago: TCP queues the request sock in the same softirq, right after
 * LOCAL_IN. The slot, or NULL for none (another SYN, or the claim was
 * taken back). The engine holds ts's entry lock, with BHs off.
 */
static struct tcpstate_syn_prefix *tcpstate_prefix_adopt(struct tcpstate_syn_prefixes *prefixes,
							 const struct tcpstate_sock *ts)
{
	struct tcpstate_syn_claims *claims = this_cpu_ptr(&tcpstate_syn_claims);
	struct tcpstate_syn_prefix *slot;
	struct in6_addr raddr;
	u8 family;
	int i;

	for (i = 0; i < TCPSTATE_SYN_CAPS_PER_SYN; i++) {
		struct tcpstate_syn_claim *claim = &claims->of_cap[i];

		if (READ_ONCE(claim->prefixes) != prefixes)
			continue;
		/* An IPv4 peer of an IPv6 listener: as the hook saw it. */
		tcpstate_sock_remote(ts, &raddr, &family);
		if (ts->dport != claims->rport || family != claims->family ||
		    !ipv6_addr_equal(&raddr, &claims->raddr))
			return NULL;
		slot = claim->prefix_slot;
		return cmpxchg(&claim->prefixes, prefixes, NULL) == prefixes ? slot : NULL;
	}
	return NULL;
}

/*
 * A CPU taken offline would hold its claims until it came back: with a
 * cap of one, its port would take no SYN meanwhile. Give them back, from
 * the control CPU once the CPU is dead. The xchg() in tcpstate_syn_unclaim()
 * decides between this and a cap's removal, which waits out this RCU
 * section before it frees the cap.
 */
static int tcpstate_syncap_cpu_dead(unsigned int cpu)
{
	struct tcpstate_syn_claim *claims = per_cpu_ptr(&tcpstate_syn_claims, cpu)->of_cap;
	int i;

	rcu_read_lock();
	for (i = 0; i < TCPSTATE_SYN_CAPS_PER_SYN; i++)
		tcpstate_syn_unclaim(&claims[i]);
	rcu_read_unlock();
	return 0;
}

static void tcpstate_syncap_listener_drop(struct tcpstate_limit *l)
{
	atomic64_inc(&l->syn.listener_drops);
	tcpstate_limits_stat_inc(TCPSTATE_LSTAT_SYN_DROPPED_LISTENER);
}

/*
 * prefix: NULL for one without sockets yet, refused for claims in flight.
 * Its slot may be freed and taken by another prefix meanwhile: then that
 * one's drops get this drop. The cap's own prefix_drops is exact.
 */
static void tcpstate_syncap_prefix_drop(struct tcpstate_limit *l,
					struct tcpstate_syn_prefix *prefix)
{
	if (prefix)
		atomic64_inc(&prefix->drops);
	atomic64_inc(&l->syn.prefix_drops);
	tcpstate_limits_stat_inc(TCPSTATE_LSTAT_SYN_DROPPED_PREFIX);
}

/*
 * Whether cap l lets syn through; if so, the places it took are in claim,
 * else the drop is counted. *listener is looked up on first need.
 * *listener_load is -1 until a cap claims the listener, then that cap's
 * queue length plus claims, syn's own once: a later cap compares the same
 * figure rather than claim again (which would count syn twice) or read
 * the two again (unordered, they could miss a SYN between them). RCU.
 */
static bool tcpstate_syncap_admits(struct tcpstate_limit *l, struct net *net,
				   const struct tcpstate_syn *syn, struct sock **listener,
				   int *listener_load, struct tcpstate_syn_claim *claim)
{
	u32 listener_max = READ_ONCE(l->syn.listener_max);
	u32 prefix_max = READ_ONCE(l->syn.prefix_max);
	struct tcpstate_syn_prefix *held = NULL, *free, *taken;
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct tcpstate_syn_claims *mine;
	struct tcpstate_syn_prefixes *prefixes;
	struct in6_addr prefix;
	int claimed, queued, count = 0;
	atomic_t *slot;

	/* destroy() may read it (its cmpxchg() then fails). */
	WRITE_ONCE(claim->listener_slot, NULL);
	claim->prefix_counter = NULL;
	if (listener_max && !*listener)
		*listener = tcpstate_syncap_listener(net, syn);
	/* No listener: TCP answers with a RST, there is no queue to cap. */
	if (listener_max && *listener && *listener_load >= 0) {
		if ((u32)*listener_load > listener_max) {
			tcpstate_syncap_listener_drop(l);
			return false;
		}
	} else if (listener_max && *listener) {
		slot = &tcpstate_syn_listener_claims[hash_ptr(*listener,
							      TCPSTATE_SYN_LISTENER_CLAIM_BITS)];
		claimed = atomic_inc_return(slot);
		queued = atomic_read(&inet_csk(*listener)->icsk_accept_queue.qlen);
		if (!tcpstate_syn_claim_fits(slot, claimed, queued, listener_max)) {
			tcpstate_syncap_listener_drop(l);
			return false;
		}
		WRITE_ONCE(claim->listener_slot, slot);
		*listener_load = queued + claimed;
	}
	/* TCP refuses an IPv6 SYN from a v4-mapped source itself. */
	if (prefix_max && !(syn->family == AF_INET6 && ipv6_addr_v4mapped(&syn->saddr))) {
		/* None yet: the first prefix cap's recount has not ended. */
		prefixes = rcu_dereference(l->syn.prefixes);
		tcpstate_prefix_make(&prefix, &syn->saddr, syn->family,
				     prefixes ? prefixes->len4 : READ_ONCE(l->syn.prefix_len4),
				     prefixes ? prefixes->len6 : READ_ONCE(l->syn.prefix_len6));
		/* A fold, not the table's jhash: a claim slot is only a spread. */
		slot = &l->syn.prefix_claims[hash_32((__force u32)(prefix.s6_addr32[0] ^
								   prefix.s6_addr32[1] ^
								   prefix.s6_addr32[2] ^
								   prefix.s6_addr32[3]),
						     ilog2(TCPSTATE_SYN_CLAIM_SLOTS))];
		/*
		 * The claim first, then the count: a count read before the
		 * claim could miss SYNs that dropped their claims meanwhile.
		 */
		claimed = atomic_inc_return(slot);
		if (prefixes)
			count = tcpstate_prefix_count(prefixes, &prefix, bucket, &held, &free);
		if (!tcpstate_syn_claim_fits(slot, claimed, count, prefix_max)) {
			/* A drop: judge() undoes the earlier caps' claims. */
			if (claim->listener_slot)
				atomic_dec(claim->listener_slot);
			tcpstate_syncap_prefix_drop(l, held);
			return false;
		}
		/*
		 * Let through: the claim becomes a place in the prefix's
		 * slot, which the request sock takes over. Taken before the
		 * counter goes, so a SYN is counted once or twice, never zero
		 * times. No slot (none yet, or both buckets full): the SYN
		 * keeps the counter until its claims end.
		 */
		taken = prefixes ?
			tcpstate_prefix_take(prefixes, &prefix, bucket, held, free) : NULL;
		if (!taken) {
			claim->prefix_counter = slot;
			return true;
		}
		mine = this_cpu_ptr(&tcpstate_syn_claims);
		mine->raddr = syn->saddr;
		mine->rport = syn->sport;
		mine->family = syn->family;
		WRITE_ONCE(claim->prefix_slot, taken);
		/* From here a recount or a removal may take it back. */
		WRITE_ONCE(claim->prefixes, prefixes);
		smp_mb__before_atomic();	/* the slot took the SYN in first */
		atomic_dec(slot);
	}
	return true;
}

static unsigned int __tcpstate_syncap_judge(struct net *net, const struct tcpstate_syn *syn)
{
	struct tcpstate_syn_claim *claims;
	int listener_load = -1;
	struct tcpstate_limit *l;
	struct sock *listener = NULL;
	unsigned int verdict = NF_ACCEPT;
	bool seen = false;
	int nr = 0, i;

	/* The SYN judged before on this CPU was not queued: its claims end. */
	tcpstate_syncap_release_claims();
	claims = this_cpu_ptr(&tcpstate_syn_claims)->of_cap;
	/* nf_hook() runs every hook under rcu_read_lock(): no second one. */
	hlist_for_each_entry_rcu(l, tcpstate_syncap_bucket(syn->dport), port_node) {
		if (l->scope.port != syn->dport ||
		    ((l->scope.selectors & TCPSTATE_SCOPE_NETNS) &&
		     l->scope.netns_ino != net->ns.inum))
			continue;
		if (!seen)
			tcpstate_limits_stat_inc(TCPSTATE_LSTAT_SYN_SEEN);
		seen = true;
		if (WARN_ON_ONCE(nr == TCPSTATE_SYN_CAPS_PER_SYN))
			break;
		if (!tcpstate_syncap_admits(l, net, syn, &listener, &listener_load,
					    &claims[nr])) {
			verdict = NF_DROP;
			break;
		}
		/* Its slots are set before a remote removal can see the cap. */
		smp_store_release(&claims[nr++].cap, l);
	}
	if (verdict == NF_DROP)
		for (i = 0; i < nr; i++)
			tcpstate_syn_unclaim(&claims[i]);
	return verdict;
}

/*
 * This CPU's claims must not change under the judge's feet: BHs off. A
 * hook runs in the receive softirq, but nf_reinject() (an NFQUEUE
 * verdict, in the process context of the program that gave it) runs the
 * hooks after the queueing one with BHs on: there, a SYN's softirq on
 * this CPU could judge in the middle of ours and its claims overwrite or
 * release ours, and a claim lost that way would keep its slot one place
 * fuller for good. In softirq context this costs a preempt count.
 */
static unsigned int tcpstate_syncap_judge(struct net *net, const struct tcpstate_syn *syn)
{
	unsigned int verdict;

	local_bh_disable();
	verdict = __tcpstate_syncap_judge(net, syn);
	local_bh_enable();
	return verdict;
}

static bool tcpstate_is_syn(const struct tcphdr *th)
{
	return th && th->syn && !th->ack && !th->rst;
}

/*
 * The listener that TPROXY or bpf_sk_assign() chose for the SYN in skb,
 * or NULL. They leave it in skb->sk, and TCP queues the request sock on
 * it instead of looking a listener up (skb_steal_sock() in
 * __inet_lookup_skb()), even when it listens on another port than the
 * SYN's: the request sock still carries the SYN's port, so the caps are
 * still the SYN's port's. Since v6.6, TCP takes a reuseport listener
 * bpf_sk_assign() chose as its group and picks the member by hash
 * (inet_steal_sock()); so does this (a reuseport BPF program it does not
 * run, as for the lookup).
 *
 * Anything else skb->sk may hold for a SYN (early demux's or TPROXY's
 * sock of the same tuple) is judged by the lookup: for a timewait sock
 * TCP looks the listener up itself (TCP_TW_SYN), as the hook does; an
 * established or request sock takes the SYN without queueing a request
 * sock, and then the cap may drop a SYN that would have added nothing,
 * a retransmission whose request sock resends its SYN-ACK on its own.
 */
static struct sock *tcpstate_syn_assigned_listener(struct net *net, struct sk_buff *skb,
						   const struct tcpstate_syn *syn)
{
	struct sock *sk = skb->sk, *member = NULL;

	if (!sk || !sk_fullsock(sk) || sk->sk_protocol != IPPROTO_TCP ||
	    READ_ONCE(sk->sk_state) != TCP_LISTEN)
		return NULL;
#if TCPSTATE_HAVE_ASSIGNED_REUSEPORT
	if (!skb_sk_is_prefetched(skb))
		return sk;
	/* No skb: by hash, as for the hook's own lookup. */
	if (syn->family == AF_INET)
		member = inet_lookup_reuseport(net, sk, NULL, 0, syn->saddr.s6_addr32[0],
					       htons(syn->sport), syn->daddr.s6_addr32[0],
					       syn->dport, inet_ehashfn);
#if IS_ENABLED(CONFIG_IPV6)
	else
		member = inet6_lookup_reuseport(net, sk, NULL, 0, &syn->saddr, htons(syn->sport),
						&syn->daddr, syn->dport, inet6_ehashfn);
#endif
#endif /* TCPSTATE_HAVE_ASSIGNED_REUSEPORT */
	return IS_ERR_OR_NULL(member) ? sk : member;
}

/*
 * Every segment the namespace takes in passes the hooks below. They return
 * before building anything unless a cap exists and the segment is a SYN:
 * the SYN's locals live in the judging functions, out of line, so that
 * the common case does not zero them on its stack (Debian builds with
 * CONFIG_INIT_STACK_ALL_ZERO).
 */
static noinline unsigned int tcpstate_syncap_judge_ipv4(struct net *net, const struct tcphdr *th,
							struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct tcpstate_syn syn = { .family = AF_INET };

	syn.saddr.s6_addr32[0] = iph->saddr;
	syn.daddr.s6_addr32[0] = iph->daddr;
	syn.sport = ntohs(th->source);
	syn.dport = ntohs(th->dest);
	syn.dif = inet_iif(skb);
	syn.sdif = inet_sdif(skb);
	syn.assigned = tcpstate_syn_assigned_listener(net, skb, &syn);
	return tcpstate_syncap_judge(net, &syn);
}

static unsigned int tcpstate_syncap_ipv4(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	const struct iphdr *iph;
	const struct tcphdr *th;
	struct tcphdr th_buf;

	if (!READ_ONCE(tcpstate_syncaps_nr))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return NF_ACCEPT;
	th = skb_header_pointer(skb, skb_network_offset(skb) + ip_hdrlen(skb),
				sizeof(th_buf), &th_buf);
	if (!tcpstate_is_syn(th))
		return NF_ACCEPT;
	return tcpstate_syncap_judge_ipv4(state->net, th, skb);
}

#if IS_ENABLED(CONFIG_IPV6)
static noinline unsigned int tcpstate_syncap_judge_ipv6(struct net *net, const struct tcphdr *th,
							struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct tcpstate_syn syn = { .family = AF_INET6 };

	syn.saddr = ip6h->saddr;
	syn.daddr = ip6h->daddr;
	syn.sport = ntohs(th->source);
	syn.dport = ntohs(th->dest);
	syn.dif = inet6_iif(skb);
	syn.sdif = inet6_sdif(skb);
	syn.assigned = tcpstate_syn_assigned_listener(net, skb, &syn);
	return tcpstate_syncap_judge(net, &syn);
}

static unsigned int tcpstate_syncap_ipv6(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	const struct tcphdr *th;
	struct tcphdr th_buf;
	unsigned short fragoff = 0;
	int thoff = 0;

	if (!READ_ONCE(tcpstate_syncaps_nr))
		return NF_ACCEPT;
	if (ipv6_find_hdr(skb, &thoff, IPPROTO_TCP, &fragoff, NULL) != IPPROTO_TCP || fragoff)
		return NF_ACCEPT;
	th = skb_header_pointer(skb, thoff, sizeof(th_buf), &th_buf);
	if (!tcpstate_is_syn(th))
		return NF_ACCEPT;
	return tcpstate_syncap_judge_ipv6(state->net, th, skb);
}
#endif /* CONFIG_IPV6 */

static const struct nf_hook_ops tcpstate_syncap_ops[] = {
	{
		.hook		= tcpstate_syncap_ipv4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP_PRI_FILTER + 10,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook		= tcpstate_syncap_ipv6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_FILTER + 10,
	},
#endif
};

struct tcpstate_syncap_net {
	bool registered;
};

static unsigned int tcpstate_syncap_net_id __read_mostly;

/* A namespace must not fail to come up because of us: it goes uncapped. */
static int __net_init tcpstate_syncap_net_init(struct net *net)
{
	struct tcpstate_syncap_net *sn = net_generic(net, tcpstate_syncap_net_id);
	int ret;

	ret = nf_register_net_hooks(net, tcpstate_syncap_ops, ARRAY_SIZE(tcpstate_syncap_ops));
	if (ret)
		pr_warn_ratelimited("netns %u: no SYN caps, hooks not registered: %d\n",
				    net->ns.inum, ret);
	sn->registered = !ret;
	return 0;
}

static void __net_exit tcpstate_syncap_net_exit(struct net *net)
{
	struct tcpstate_syncap_net *sn = net_generic(net, tcpstate_syncap_net_id);

	if (sn->registered)
		nf_unregister_net_hooks(net, tcpstate_syncap_ops,
					ARRAY_SIZE(tcpstate_syncap_ops));
	sn->registered = false;
}

static struct pernet_operations tcpstate_syncap_net_ops = {
	.init = tcpstate_syncap_net_init,
	.exit = tcpstate_syncap_net_exit,
	.id = &tcpstate_syncap_net_id,
	.size = sizeof(struct tcpstate_syncap_net),
};

static bool tcpstate_syncap_registered;
static int tcpstate_syncap_cpuhp_state;

int tcpstate_syncap_init(void)
{
	int ret;

	if (syn_prefix_len4 < 8 || syn_prefix_len4 > 32 ||
	    syn_prefix_len6 < 32 || syn_prefix_len6 > 128) {
		pr_err("syn_prefix_len4 must be 8..32 and syn_prefix_len6 32..128\n");
		return -ERANGE;
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "net/tcpstate:syncap",
					NULL, tcpstate_syncap_cpu_dead);
	if (ret < 0) {
		pr_err("cannot register the SYN caps' CPU hotplug callback: %d\n", ret);
		return ret;
	}
	tcpstate_syncap_cpuhp_state = ret;
	ret = register_pernet_subsys(&tcpstate_syncap_net_ops);
	if (ret) {
		pr_err("cannot register the SYN cap hooks: %d\n", ret);
		cpuhp_remove_state_nocalls(tcpstate_syncap_cpuhp_state);
		tcpstate_syncap_cpuhp_state = 0;
	}
	tcpstate_syncap_registered = !ret;
	return ret;
}

/*
 * Unregistering the hooks frees their entries after a grace period but
 * does not wait for a packet inside them: synchronize_net() does, so that
 * nothing freed after this returns is still read by a hook.
 */
void tcpstate_syncap_uninit(void)
{
	if (tcpstate_syncap_registered) {
		unregister_pernet_subsys(&tcpstate_syncap_net_ops);
		synchronize_net();
	}
	tcpstate_syncap_registered = false;
	if (tcpstate_syncap_cpuhp_state > 0)
		cpuhp_remove_state_nocalls(tcpstate_syncap_cpuhp_state);
	tcpstate_syncap_cpuhp_state = 0;
}

/* --- prefix counts ------------------------------------------------------- */

/*
 * Names a prefix table for the entries it counts (struct
 * tcpstate_prefix_ref). Unique until it wraps after 2^32 tables; a ref
 * lives only while its entry stays in SYN_RECV, a minute at most.
 */
static u32 tcpstate_prefixes_gen_next(void)
{
	static atomic_t gens = ATOMIC_INIT(0);
	u32 gen;

	do
		gen = atomic_inc_return(&gens);
	while (!gen);
	return gen;
}

/* Empty prefix counts for l's current lengths; process context. */
static struct tcpstate_syn_prefixes *tcpstate_prefixes_alloc(const struct tcpstate_limit *l)
{
	struct tcpstate_syn_prefixes *prefixes = kzalloc(sizeof(*prefixes), GFP_KERNEL);

	BUILD_BUG_ON(sizeof(struct tcpstate_syn_prefix_bucket) != 128);
	if (!prefixes)
		return NULL;
	/* 4 MiB: a store that cannot have it fails with ENOMEM, unlogged. */
	prefixes->buckets = kvcalloc(TCPSTATE_SYN_PREFIX_BUCKETS, sizeof(*prefixes->buckets),
				     GFP_KERNEL | __GFP_NOWARN);
	if (!prefixes->buckets) {
		kfree(prefixes);
		return NULL;
	}
	prefixes->seed = get_random_u32();
	prefixes->gen = tcpstate_prefixes_gen_next();
	prefixes->len4 = READ_ONCE(l->syn.prefix_len4);
	prefixes->len6 = READ_ONCE(l->syn.prefix_len6);
	return prefixes;
}

/* Process context, no reader left. */
static void tcpstate_prefixes_free(struct tcpstate_syn_prefixes *prefixes)
{
	if (!prefixes)
		return;
	kvfree(prefixes->buckets);
	kfree(prefixes);
}

/*
 * In a ref's slot, beside the slot's index + 1: its socket was counted
 * in a slot of the table the recount that counted it replaces, which it
 * must leave too (tcpstate_prefix_of()). Only a recount's +1 sets it
 * (tcpstate_recounting_add()): the engine's lock-free +1 never names a
 * table being built.
 */
#define TCPSTATE_PREFIX_REF_IN_REPLACED	BIT(31)

static struct tcpstate_syn_prefix *
tcpstate_prefix_slot(struct tcpstate_syn_prefixes *prefixes, u32 index)
{
	return &prefixes->buckets[index / TCPSTATE_SYN_PREFIX_BUCKET_SLOTS]
		.slot[index % TCPSTATE_SYN_PREFIX_BUCKET_SLOTS];
}

static u32 tcpstate_prefix_index(const struct tcpstate_syn_prefixes *prefixes,
				 const struct tcpstate_syn_prefix *slot)
{
	return slot - &prefixes->buckets[0].slot[0];
}

/*
 * The slot of prefixes that counts ts, or NULL if none does. ts says
 * which, so that a socket the table could not count takes nothing from
 * another socket of its prefix that found a slot since. The one table
 * ts's ref may not name while it counts ts is the one a recount is
 * replacing (ts's +1 names the newer table, and says whether the older
 * one counted it): that one finds a slot by ts's prefix. If the slot went
 * free and was re-keyed between that scan and the caller's decrement,
 * the decrement lands on another prefix: one socket too few for it, one
 * too many for ts's, until the recount ends and the table goes.
 */
static struct tcpstate_syn_prefix *tcpstate_prefix_of(struct tcpstate_limit *l,
						      struct tcpstate_syn_prefixes *prefixes,
						      struct tcpstate_sock *ts)
{
	struct tcpstate_prefix_ref *ref = tcpstate_syncap_ref(l, ts);
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct tcpstate_syn_prefix *held, *free;
	struct in6_addr raddr, prefix;
	u32 index = ref->slot & ~TCPSTATE_PREFIX_REF_IN_REPLACED;
	u8 family;

	if (ref->gen == prefixes->gen) {
		ref->gen = 0;
		return index ? tcpstate_prefix_slot(prefixes, index - 1) : NULL;
	}
	if (!(ref->slot & TCPSTATE_PREFIX_REF_IN_REPLACED) ||
	    !rcu_access_pointer(l->syn.recounting) ||
	    prefixes != rcu_access_pointer(l->syn.prefixes))
		return NULL;
	tcpstate_sock_remote(ts, &raddr, &family);
	tcpstate_prefix_make(&prefix, &raddr, family, prefixes->len4, prefixes->len6);
	tcpstate_prefix_count(prefixes, &prefix, bucket, &held, &free);
	return held;
}

/*
 * Moves ts's prefix count in prefixes by delta; a +1 makes ts's ref name
 * the slot: the one its SYN's claim holds a place in if this CPU let the
 * SYN through (the request sock takes the place over), else a place
 * taken now. Caller holds ts's entry lock; slots change without a lock
 * (see tcpstate_prefix_key()). Without a recount, the engine calls this
 * directly (tcpstate_syncap_account() in limits.h decides, inline), so a
 * +1 here knows nothing of a recount: into a table a recount builds, it
 * goes through tcpstate_recounting_add().
 */
void tcpstate_prefixes_add(struct tcpstate_limit *l, struct tcpstate_syn_prefixes *prefixes,
			   struct tcpstate_sock *ts, int delta)
{
	struct tcpstate_prefix_ref *ref = tcpstate_syncap_ref(l, ts);
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct tcpstate_syn_prefix *slot, *held, *free;
	struct in6_addr raddr, prefix;
	u8 family;

	if (delta < 0) {
		slot = tcpstate_prefix_of(l, prefixes, ts);
		if (slot)
			tcpstate_prefix_put(prefixes, slot);
		return;
	}
	ref->gen = prefixes->gen;
	ref->slot = 0;
	slot = tcpstate_prefix_adopt(prefixes, ts);
	if (!slot) {
		tcpstate_sock_remote(ts, &raddr, &family);
		tcpstate_prefix_make(&prefix, &raddr, family, prefixes->len4, prefixes->len6);
		tcpstate_prefix_count(prefixes, &prefix, bucket, &held, &free);
		slot = tcpstate_prefix_take(prefixes, &prefix, bucket, held, free);
	}
	if (!slot) {
		tcpstate_limits_stat_inc(TCPSTATE_LSTAT_PREFIX_UNTRACKED);
		return;
	}
	ref->slot = tcpstate_prefix_index(prefixes, slot) + 1;
}

/*
 * As tcpstate_prefixes_add() on recounting, the table a recount of l's
 * prefixes builds to replace replaced (NULL: none). A +1 overwrites ts's
 * ref, the one record of whether replaced counts ts: read it first, and
 * keep the answer in the new ref (TCPSTATE_PREFIX_REF_IN_REPLACED). Caller
 * holds what tcpstate_prefixes_add() asks, and l's lock, which keeps both
 * tables' pointers still.
 */
static void tcpstate_recounting_add(struct tcpstate_limit *l,
				    struct tcpstate_syn_prefixes *recounting,
				    const struct tcpstate_syn_prefixes *replaced,
				    struct tcpstate_sock *ts, int delta)
{
	struct tcpstate_prefix_ref *ref = tcpstate_syncap_ref(l, ts);
	bool in_replaced = false;

	lockdep_assert_held(&l->syn.lock);
	/* Counted there: ts's ref names replaced, and a slot of it. */
	if (delta > 0 && replaced && ref->gen == replaced->gen)
		in_replaced = ref->slot & ~TCPSTATE_PREFIX_REF_IN_REPLACED;
	tcpstate_prefixes_add(l, recounting, ts, delta);
	if (in_replaced)
		ref->slot |= TCPSTATE_PREFIX_REF_IN_REPLACED;
}

/*
 * As tcpstate_prefixes_add() on l's prefixes, while a recount of l's prefixes walks the
 * socket table: the prefixes it builds follow the walk's marks (limits.c,
 * "walks"), and the cap's lock keeps the two tables' pointers still
 * meanwhile. The engine holds ts's entry lock (the creation walk holds
 * the mutex, l unpublished), taken with BHs off, so the cap's lock needs
 * no _bh here; process context (the recount) takes it with _bh.
 */
void __tcpstate_syncap_account(struct tcpstate_limit *l, struct tcpstate_sock *ts, int delta)
{
	struct tcpstate_syn_prefixes *prefixes, *recounting;

	spin_lock(&l->syn.lock);
	prefixes = rcu_dereference_protected(l->syn.prefixes, lockdep_is_held(&l->syn.lock));
	recounting = rcu_dereference_protected(l->syn.recounting, lockdep_is_held(&l->syn.lock));
	if (prefixes && (delta > 0 ? READ_ONCE(l->syn.prefix_max) : atomic_read(&prefixes->nr)))
		tcpstate_prefixes_add(l, prefixes, ts, delta);
	/* Last: ts's ref names the table that will stay. */
	if (recounting && tcpstate_limits_walk_follows(ts, delta))
		tcpstate_recounting_add(l, recounting, prefixes, ts, delta);
	spin_unlock(&l->syn.lock);
}

/* The walk of a recount, under ts's entry lock. */
static void tcpstate_syncap_recount_one(struct tcpstate_sock *ts, void *arg)
{
	struct tcpstate_syn_prefixes *prefixes, *recounting;
	struct tcpstate_limit *l = arg;

	if (ts->state != TCPSTATE_SYN_RECV || !tcpstate_scope_match(&l->scope, ts))
		return;
	spin_lock(&l->syn.lock);
	prefixes = rcu_dereference_protected(l->syn.prefixes, lockdep_is_held(&l->syn.lock));
	recounting = rcu_dereference_protected(l->syn.recounting, lockdep_is_held(&l->syn.lock));
	tcpstate_recounting_add(l, recounting, prefixes, ts, 1);
	spin_unlock(&l->syn.lock);
}

/*
 * Takes back every claim that holds a place in prefixes (NULL: none), a
 * table no hook reads any more: its counts go with it. A CPU may be giving its claim
 * back right now, between its xchg() and the put: so wait for every CPU
 * to leave the section (with preemption off) where it does that.
 */
static void tcpstate_syncap_unclaim_table(struct tcpstate_syn_prefixes *prefixes)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct tcpstate_syn_claim *claims = per_cpu_ptr(&tcpstate_syn_claims, cpu)->of_cap;

		for (i = 0; i < TCPSTATE_SYN_CAPS_PER_SYN; i++)
			cmpxchg(&claims[i].prefixes, prefixes, NULL);
	}
	synchronize_rcu();
}

/*
 * Counts the prefixes afresh from the socket table: after the prefix
 * length changed, or a prefix cap was set where none was; with prefix_max
 * cleared, drops them instead. The hook goes on judging by the old counts
 * until the new ones replace them. Caller holds tcpstate_limits_mutex, so
 * one recount runs at a time.
 */
int tcpstate_syncap_recount(struct tcpstate_limit *l)
{
	struct tcpstate_syn_prefixes *fresh = NULL, *old;

	lockdep_assert_held(&tcpstate_limits_mutex);
	if (READ_ONCE(l->syn.prefix_max)) {
		fresh = tcpstate_prefixes_alloc(l);
		if (!fresh)
			return -ENOMEM;
		spin_lock_bh(&l->syn.lock);
		rcu_assign_pointer(l->syn.recounting, fresh);
		spin_unlock_bh(&l->syn.lock);
		/*
		 * The engine counts without the lock while it sees no
		 * recount: one that inserted a request sock and then saw
		 * none may do so as the walk starts, and the walk could miss
		 * the entry. Its section (preemption or BHs off) ends before
		 * the grace period does; every later one sees the recount.
		 */
		synchronize_rcu();
		tcpstate_limits_walk_table(tcpstate_syncap_recount_one, l);
	}
	spin_lock_bh(&l->syn.lock);
	old = rcu_replace_pointer(l->syn.prefixes, fresh, lockdep_is_held(&l->syn.lock));
	smp_wmb();	/* the new table before the end: tcpstate_syncap_account() */
	RCU_INIT_POINTER(l->syn.recounting, NULL);
	spin_unlock_bh(&l->syn.lock);
	if (fresh)
		tcpstate_limits_walk_end();
	/* No hook reads old after this: no new claim can name it. */
	synchronize_rcu();
	if (old)
		tcpstate_syncap_unclaim_table(old);
	tcpstate_prefixes_free(old);
	return 0;
}

/* --- lifetime ------------------------------------------------------------ */

/* No prefix counts yet: the first prefix_max store makes them. */
int tcpstate_syncap_create(struct tcpstate_limit *l)
{
	l->syn.prefix_len4 = syn_prefix_len4;
	l->syn.prefix_len6 = syn_prefix_len6;
	spin_lock_init(&l->syn.lock);
	return 0;
}

void tcpstate_syncap_publish(struct tcpstate_limit *l)
{
	lockdep_assert_held(&tcpstate_limits_mutex);
	hlist_add_head_rcu(&l->port_node, tcpstate_syncap_bucket(l->scope.port));
	WRITE_ONCE(tcpstate_syncaps_nr, tcpstate_syncaps_nr + 1);
}

void tcpstate_syncap_unpublish(struct tcpstate_limit *l)
{
	lockdep_assert_held(&tcpstate_limits_mutex);
	hlist_del_init_rcu(&l->port_node);
	WRITE_ONCE(tcpstate_syncaps_nr, tcpstate_syncaps_nr - 1);
}

/*
 * From the kobject release: after a grace period, in process context. No
 * hook can claim a place in l any more, but a CPU may hold one: take it
 * back, and give its listener place back to the table all caps share (a
 * prefix counter goes with l, a place in a prefix's slot with l's table).
 * The slot is read before the cmpxchg(): a CPU rewrites its claim only
 * after taking the cap out of it, so a cmpxchg() that finds l there finds
 * the slot read with it. A CPU may also be dropping one right now,
 * between its xchg() and the decrements of its slots, and then the
 * cmpxchg() here finds nothing: so wait in any case, for every CPU to
 * leave the section (with preemption off) where it drops claims.
 */
void tcpstate_syncap_destroy(struct tcpstate_limit *l)
{
	struct tcpstate_syn_prefixes *prefixes = rcu_dereference_protected(l->syn.prefixes, 1);
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct tcpstate_syn_claim *claims = per_cpu_ptr(&tcpstate_syn_claims, cpu)->of_cap;

		for (i = 0; i < TCPSTATE_SYN_CAPS_PER_SYN; i++) {
			atomic_t *listener_slot = READ_ONCE(claims[i].listener_slot);

			/* Fully ordered: the read above comes first. */
			if (cmpxchg(&claims[i].cap, l, NULL) == l && listener_slot)
				atomic_dec(listener_slot);
		}
	}
	tcpstate_syncap_unclaim_table(prefixes);	/* waits for the CPUs, table or not */
	tcpstate_prefixes_free(prefixes);
	RCU_INIT_POINTER(l->syn.prefixes, NULL);
}

/*
 * The places in slot that SYNs claim and no request sock took over. A
 * SYN in flight holds one for a moment; one TCP did not queue (a
 * syncookie, say) until its CPU judges the next SYN. Not sockets: the
 * debugfs count leaves them out.
 */
static int tcpstate_prefix_claimed(const struct tcpstate_syn_prefixes *prefixes,
				   const struct tcpstate_syn_prefix *slot)
{
	int cpu, i, claimed = 0;

	for_each_possible_cpu(cpu) {
		struct tcpstate_syn_claim *claims = per_cpu_ptr(&tcpstate_syn_claims, cpu)->of_cap;

		for (i = 0; i < TCPSTATE_SYN_CAPS_PER_SYN; i++)
			if (READ_ONCE(claims[i].prefixes) == prefixes &&
			    READ_ONCE(claims[i].prefix_slot) == slot)
				claimed++;
	}
	return claimed;
}

/*
 * What the debugfs line of prefix shows, from every slot that counts it
 * (two CPUs keying a new prefix at once give it two): false if a slot
 * before first counts it too, and so showed it already.
 */
static bool tcpstate_prefix_total(struct tcpstate_syn_prefixes *prefixes,
				  const struct tcpstate_syn_prefix *first, int *count, int *high,
				  u64 *drops)
{
	struct tcpstate_syn_prefix_bucket *bucket[2];
	int b, i, n;

	*count = *high = 0;
	*drops = 0;
	tcpstate_prefix_buckets(prefixes, &first->addr, bucket);
	for (b = 0; b < 2; b++) {
		for (i = 0; i < TCPSTATE_SYN_PREFIX_BUCKET_SLOTS; i++) {
			struct tcpstate_syn_prefix *slot = &bucket[b]->slot[i];

			n = atomic_read(&slot->count);
			if (n <= 0 || !ipv6_addr_equal(&slot->addr, &first->addr))
				continue;
			if (slot < first)
				return false;
			*count += n - tcpstate_prefix_claimed(prefixes, slot);
			*high = max(*high, atomic_read(&slot->high));
			*drops += atomic64_read(&slot->drops);
		}
	}
	return *count > 0;
}

/* debugfs limits: one syn_prefix line per prefix that has SYN_RECV sockets. */
void tcpstate_syncap_show(struct seq_file *s, struct tcpstate_limit *l)
{
	struct tcpstate_syn_prefixes *prefixes;
	char key[TCPSTATE_LIMIT_KEY_MAX + 64];
	int b, i, count, high;
	u64 drops;

	lockdep_assert_held(&tcpstate_limits_mutex);
	/* Replaced only by a recount, which holds the mutex too. */
	prefixes = rcu_dereference_protected(l->syn.prefixes,
					     lockdep_is_held(&tcpstate_limits_mutex));
	if (!prefixes)
		return;
	for (b = 0; b < TCPSTATE_SYN_PREFIX_BUCKETS; b++) {
		for (i = 0; i < TCPSTATE_SYN_PREFIX_BUCKET_SLOTS; i++) {
			struct tcpstate_syn_prefix *slot = &prefixes->buckets[b].slot[i];

			/* A slot that counts keeps its address. */
			if (atomic_read(&slot->count) <= 0 ||
			    !tcpstate_prefix_total(prefixes, slot, &count, &high, &drops))
				continue;
			if (ipv6_addr_v4mapped(&slot->addr))
				snprintf(key, sizeof(key), "%s,prefix:%pI4/%u", l->key,
					 &slot->addr.s6_addr32[3], prefixes->len4);
			else
				snprintf(key, sizeof(key), "%s,prefix:%pI6c/%u", l->key,
					 &slot->addr, prefixes->len6);
			tcpstate_limit_show_row(s, "syn_prefix", key, TCPSTATE_SYN_RECV, count,
						high, READ_ONCE(l->syn.prefix_max), drops, 0, 0);
		}
		if (!(b % 1024))
			cond_resched();
	}
}
