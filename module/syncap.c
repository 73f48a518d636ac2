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
 *                 with one the cap applies to the hash's pick) already
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
 * Claims: the counts the hook compares include a SYN only once its
 * request sock is queued, later in the same softirq on the same CPU. A
 * SYN let through claims its place until then (an atomic counter per cap,
 * hashed by listener and by prefix) and the hook adds the claims to the
 * counts, so SYNs to one listener on N CPUs at once cannot take it past
 * its cap. The claim ends when the request sock is queued (the return of
 * inet_csk_reqsk_queue_hash_add(), after the queue length and the prefix
 * count took it in) or, for a SYN TCP did not queue (a syncookie, its
 * own backlog full), at the next SYN this CPU judges or when the CPU goes
 * offline. Until then such a stale claim, at most one per CPU, makes its
 * cap one stricter; two listeners or prefixes sharing a slot make it
 * stricter for the moment the other's SYN is in flight. Both err on the
 * side of the cap.
 *
 * Prefix counts: each cap keeps an rhashtable of its source prefixes,
 * changed under the cap's lock by the engine (request sock queued or
 * gone) and looked up locklessly here. Entries go when their count falls
 * to zero, and a cap holds at most TCPSTATE_SYN_PREFIXES_MAX of them, so a
 * flood from random sources costs bounded memory; SYN_RECV sockets of
 * prefixes beyond that are not counted (stats syn_prefix_untracked).
 */
#include <linux/cpuhotplug.h>
#include <linux/hash.h>
#include <linux/inetdevice.h>
#include <linux/log2.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/limits.h>

#define TCPSTATE_SYN_PREFIXES_MAX	65536
#define TCPSTATE_SYNCAP_HASH_BITS	8

/* A key needs a port, netns optional: a SYN meets at most two caps. */
#define TCPSTATE_SYN_CAPS_PER_SYN	2

/*
 * What the SYN this CPU let through last still claims, cap by cap. Only
 * its own CPU writes an entry: the hook and the request sock's kretprobe,
 * both with BHs off on that CPU, so never at once; they run under RCU (or
 * with preemption off), which a cap's removal waits out after taking
 * its claims back with cmpxchg() (tcpstate_syncap_destroy()). Once the
 * CPU is dead, the control CPU takes its claims back too.
 */
struct tcpstate_syn_claim {
	struct tcpstate_limit *cap;	/* NULL: none; taken with xchg() */
	atomic_t *listener_slot;	/* or NULL */
	atomic_t *prefix_slot;		/* or NULL */
};

struct tcpstate_syn_claims {
	struct tcpstate_syn_claim of_cap[TCPSTATE_SYN_CAPS_PER_SYN];
};

static DEFINE_PER_CPU(struct tcpstate_syn_claims, tcpstate_syn_claims);

/* Caps by port, for the hook: RCU readers, writers hold tcpstate_limits_mutex. */
static struct hlist_head tcpstate_syncap_hash[1 << TCPSTATE_SYNCAP_HASH_BITS];
static int tcpstate_syncaps_nr;

static unsigned int syn_prefix_len4 = 24;
module_param(syn_prefix_len4, uint, 0444);
MODULE_PARM_DESC(syn_prefix_len4, "prefix_len4 of new syn_caps (8..32, default 24)");
static unsigned int syn_prefix_len6 = 64;
module_param(syn_prefix_len6, uint, 0444);
MODULE_PARM_DESC(syn_prefix_len6, "prefix_len6 of new syn_caps (32..128, default 64)");

/* Word by word: the hook and every request sock compare a key or two. */
static int tcpstate_prefix_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct tcpstate_prefix_key *key = arg->key;
	const struct tcpstate_syn_prefix *prefix = obj;

	return !ipv6_addr_equal(&prefix->key.addr, &key->addr) ||
	       prefix->key.family != key->family || prefix->key.len != key->len;
}

static const struct rhashtable_params tcpstate_prefix_params = {
	.key_len = sizeof(struct tcpstate_prefix_key),
	.key_offset = offsetof(struct tcpstate_syn_prefix, key),
	.head_offset = offsetof(struct tcpstate_syn_prefix, node),
	.obj_cmpfn = tcpstate_prefix_cmp,
	.automatic_shrinking = true,
};

/* A SYN as the hook sees it. */
struct tcpstate_syn {
	struct in6_addr saddr, daddr;	/* IPv4 in s6_addr32[0] */
	u16 sport, dport;		/* host order */
	int dif, sdif;
	u8 family;
};

static struct hlist_head *tcpstate_syncap_bucket(u16 port)
{
	return &tcpstate_syncap_hash[hash_32(port, TCPSTATE_SYNCAP_HASH_BITS)];
}

static void tcpstate_prefix_key_make(struct tcpstate_prefix_key *key, const struct in6_addr *addr,
				     u8 family, const struct tcpstate_limit *l)
{
	memset(key, 0, sizeof(*key));
	key->family = family;
	if (family == AF_INET) {
		key->len = READ_ONCE(l->syn.prefix_len4);
		key->addr.s6_addr32[0] = addr->s6_addr32[0] & inet_make_mask(key->len);
	} else {
		key->len = READ_ONCE(l->syn.prefix_len6);
		ipv6_addr_prefix(&key->addr, addr, key->len);
	}
}

/* --- the hook ------------------------------------------------------------ */

static struct sock *tcpstate_syncap_listener(struct net *net, const struct tcpstate_syn *syn)
{
	struct inet_hashinfo *hashinfo = net->ipv4.tcp_death_row.hashinfo;

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
 * leaves one under max. The increment is a full barrier: count is read
 * after it, and a claim is dropped only after the count took its SYN in
 * (tcpstate_syn_unclaim()), so a SYN is counted once or twice, never zero
 * times. Whatever finds count must also come after the increment.
 */
static bool tcpstate_syn_claim_fits(atomic_t *slot, int claimed, const atomic_t *count, u32 max)
{
	if ((u32)atomic_read(count) + claimed > max) {
		atomic_dec(slot);
		return false;
	}
	return true;
}

static void tcpstate_syn_unclaim(struct tcpstate_syn_claim *claim)
{
	/* RCU or preemption off: a removal waits before freeing the cap. */
	if (!xchg(&claim->cap, NULL))
		return;		/* none, or the cap's removal took it */
	smp_mb__before_atomic();	/* the counts took the SYN in first */
	if (claim->listener_slot)
		atomic_dec(claim->listener_slot);
	if (claim->prefix_slot)
		atomic_dec(claim->prefix_slot);
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
		if (READ_ONCE(claims[i].cap))
			tcpstate_syn_unclaim(&claims[i]);
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

/* prefix: NULL for one without sockets yet, refused for claims in flight. */
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
 * else the drop is counted. *listener is looked up on first need. RCU.
 */
static bool tcpstate_syncap_admits(struct tcpstate_limit *l, struct net *net,
				   const struct tcpstate_syn *syn, struct sock **listener,
				   struct tcpstate_syn_claim *claim)
{
	static const atomic_t no_sockets = ATOMIC_INIT(0);
	u32 listener_max = READ_ONCE(l->syn.listener_max);
	u32 prefix_max = READ_ONCE(l->syn.prefix_max);
	struct tcpstate_syn_prefixes *prefixes;
	struct tcpstate_syn_prefix *prefix;
	struct tcpstate_prefix_key key;
	const atomic_t *count;
	atomic_t *slot;
	int claimed;

	claim->listener_slot = NULL;
	claim->prefix_slot = NULL;
	if (listener_max && !*listener)
		*listener = tcpstate_syncap_listener(net, syn);
	/* No listener: TCP answers with a RST, there is no queue to cap. */
	if (listener_max && *listener) {
		slot = &l->syn.listener_claims[hash_ptr(*listener,
							ilog2(TCPSTATE_SYN_CLAIM_SLOTS))];
		if (!tcpstate_syn_claim_fits(slot, atomic_inc_return(slot),
					     &inet_csk(*listener)->icsk_accept_queue.qlen,
					     listener_max)) {
			tcpstate_syncap_listener_drop(l);
			return false;
		}
		claim->listener_slot = slot;
	}
	if (prefix_max) {
		prefixes = rcu_dereference(l->syn.prefixes);
		tcpstate_prefix_key_make(&key, &syn->saddr, syn->family, l);
		/* A fold, not the table's jhash again: a slot is only a spread. */
		slot = &l->syn.prefix_claims[hash_32((__force u32)(key.addr.s6_addr32[0] ^
								   key.addr.s6_addr32[1] ^
								   key.addr.s6_addr32[2] ^
								   key.addr.s6_addr32[3]),
						     ilog2(TCPSTATE_SYN_CLAIM_SLOTS))];
		/*
		 * The claim first, then the lookup: a prefix looked up before
		 * the claim could miss the object that SYNs which dropped their
		 * claims meanwhile were counted in.
		 */
		claimed = atomic_inc_return(slot);
		prefix = rhashtable_lookup(&prefixes->table, &key, tcpstate_prefix_params);
		count = prefix ? &prefix->count : &no_sockets;
		if (!tcpstate_syn_claim_fits(slot, claimed, count, prefix_max)) {
			if (claim->listener_slot)
				atomic_dec(claim->listener_slot);
			tcpstate_syncap_prefix_drop(l, prefix);
			return false;
		}
		claim->prefix_slot = slot;
	}
	return true;
}

static unsigned int tcpstate_syncap_judge(struct net *net, const struct tcpstate_syn *syn)
{
	struct tcpstate_syn_claim *claims;
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
		if (!tcpstate_syncap_admits(l, net, syn, &listener, &claims[nr])) {
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

static bool tcpstate_is_syn(const struct tcphdr *th)
{
	return th && th->syn && !th->ack && !th->rst;
}

/*
 * Every segment the namespace takes in passes the hooks below. They return
 * before building anything unless a cap exists and the segment is a SYN:
 * the SYN's locals live in the judging functions, out of line, so that
 * the common case does not zero them on its stack (Debian builds with
 * CONFIG_INIT_STACK_ALL_ZERO).
 */
static noinline unsigned int tcpstate_syncap_judge_ipv4(struct net *net, const struct tcphdr *th,
							const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct tcpstate_syn syn = { .family = AF_INET };

	syn.saddr.s6_addr32[0] = iph->saddr;
	syn.daddr.s6_addr32[0] = iph->daddr;
	syn.sport = ntohs(th->source);
	syn.dport = ntohs(th->dest);
	syn.dif = inet_iif(skb);
	syn.sdif = inet_sdif(skb);
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
							const struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct tcpstate_syn syn = { .family = AF_INET6 };

	syn.saddr = ip6h->saddr;
	syn.daddr = ip6h->daddr;
	syn.sport = ntohs(th->source);
	syn.dport = ntohs(th->dest);
	syn.dif = inet6_iif(skb);
	syn.sdif = inet6_sdif(skb);
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

/* Unregistering the hooks waits for every packet inside them. */
void tcpstate_syncap_uninit(void)
{
	if (tcpstate_syncap_registered)
		unregister_pernet_subsys(&tcpstate_syncap_net_ops);
	tcpstate_syncap_registered = false;
	if (tcpstate_syncap_cpuhp_state > 0)
		cpuhp_remove_state_nocalls(tcpstate_syncap_cpuhp_state);
	tcpstate_syncap_cpuhp_state = 0;
}

/* --- prefix counts ------------------------------------------------------- */

static struct tcpstate_syn_prefixes *tcpstate_prefixes_alloc(void)
{
	struct tcpstate_syn_prefixes *prefixes = kzalloc(sizeof(*prefixes), GFP_KERNEL);

	if (!prefixes)
		return NULL;
	if (rhashtable_init(&prefixes->table, &tcpstate_prefix_params)) {
		kfree(prefixes);
		return NULL;
	}
	return prefixes;
}

static void tcpstate_prefix_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* Process context, no reader left. */
static void tcpstate_prefixes_free(struct tcpstate_syn_prefixes *prefixes)
{
	if (!prefixes)
		return;
	rhashtable_free_and_destroy(&prefixes->table, tcpstate_prefix_free, NULL);
	kfree(prefixes);
}

/* Moves ts's prefix count in prefixes by delta. Caller holds l->syn.lock. */
static void tcpstate_prefixes_add(struct tcpstate_limit *l, struct tcpstate_syn_prefixes *prefixes,
				  const struct tcpstate_sock *ts, int delta)
{
	struct tcpstate_syn_prefix *prefix;
	struct tcpstate_prefix_key key;
	struct in6_addr raddr;
	u8 family;
	int count, high;

	lockdep_assert_held(&l->syn.lock);
	tcpstate_sock_remote(ts, &raddr, &family);
	tcpstate_prefix_key_make(&key, &raddr, family, l);
	prefix = rhashtable_lookup(&prefixes->table, &key, tcpstate_prefix_params);
	if (delta < 0) {
		if (prefix && atomic_dec_return(&prefix->count) <= 0) {
			rhashtable_remove_fast(&prefixes->table, &prefix->node,
					       tcpstate_prefix_params);
			atomic_dec(&prefixes->nr);
			kfree_rcu(prefix, rcu);
		}
		return;
	}
	if (!prefix) {
		if (atomic_read(&prefixes->nr) >= TCPSTATE_SYN_PREFIXES_MAX)
			goto untracked;
		prefix = kzalloc(sizeof(*prefix), GFP_ATOMIC);
		if (!prefix)
			goto untracked;
		prefix->key = key;
		if (rhashtable_insert_fast(&prefixes->table, &prefix->node,
					   tcpstate_prefix_params)) {
			kfree(prefix);
			goto untracked;
		}
		atomic_inc(&prefixes->nr);
	}
	count = atomic_inc_return(&prefix->count);
	high = atomic_read(&prefix->high);
	if (count > high)
		atomic_set(&prefix->high, count);	/* under the cap's lock */
	return;

untracked:
	tcpstate_limits_stat_inc(TCPSTATE_LSTAT_PREFIX_UNTRACKED);
}

/*
 * The engine moved ts into or out of SYN_RECV within l's scope; it holds
 * ts's entry lock (the creation walk holds the mutex, l unpublished).
 *
 * While a recount walks the socket table, the prefixes it builds follow
 * the walk's marks (limits.c, "walks"). BHs off, as the engine: on 6.1
 * the rhashtable must not run with interrupts off.
 */
void tcpstate_syncap_account(struct tcpstate_limit *l, struct tcpstate_sock *ts, int delta)
{
	struct tcpstate_syn_prefixes *prefixes, *recounting;

	/*
	 * Without a prefix cap nothing reads the prefixes: keep none, and
	 * with none kept there is nothing to take ts out of. Decided without
	 * the lock, which every request sock would otherwise take on a port
	 * with a listener cap alone. A recount that marked ts published its
	 * table before, and ordered that by ts's entry lock, which we hold:
	 * seeing none, it has not counted ts. Seeing its end, we see the
	 * table it left. Had ts been counted there, its own +1 would still
	 * be in nr.
	 */
	if (!rcu_access_pointer(l->syn.recounting)) {
		smp_rmb();	/* pairs with smp_wmb() in tcpstate_syncap_recount() */
		prefixes = rcu_dereference(l->syn.prefixes);
		if (delta > 0 ? !READ_ONCE(l->syn.prefix_max) : !atomic_read(&prefixes->nr))
			return;
	}
	spin_lock_bh(&l->syn.lock);
	prefixes = rcu_dereference_protected(l->syn.prefixes, lockdep_is_held(&l->syn.lock));
	recounting = rcu_dereference_protected(l->syn.recounting, lockdep_is_held(&l->syn.lock));
	if (recounting && tcpstate_limits_walk_follows(ts, delta))
		tcpstate_prefixes_add(l, recounting, ts, delta);
	if (delta > 0 ? READ_ONCE(l->syn.prefix_max) : atomic_read(&prefixes->nr))
		tcpstate_prefixes_add(l, prefixes, ts, delta);
	spin_unlock_bh(&l->syn.lock);
}

/* The walk of a recount, under ts's entry lock. */
static void tcpstate_syncap_recount_one(struct tcpstate_sock *ts, void *arg)
{
	struct tcpstate_syn_prefixes *recounting;
	struct tcpstate_limit *l = arg;

	if (ts->state != TCPSTATE_SYN_RECV || !tcpstate_scope_match(&l->scope, ts))
		return;
	spin_lock(&l->syn.lock);
	recounting = rcu_dereference_protected(l->syn.recounting, lockdep_is_held(&l->syn.lock));
	tcpstate_prefixes_add(l, recounting, ts, 1);
	spin_unlock(&l->syn.lock);
}

/*
 * Counts the prefixes afresh from the socket table: after the prefix
 * length changed, or a prefix cap was set where none was. The hook goes
 * on judging by the old counts until the new ones replace them. Caller
 * holds tcpstate_limits_mutex, so one recount runs at a time.
 */
int tcpstate_syncap_recount(struct tcpstate_limit *l)
{
	struct tcpstate_syn_prefixes *fresh, *old;

	lockdep_assert_held(&tcpstate_limits_mutex);
	fresh = tcpstate_prefixes_alloc();
	if (!fresh)
		return -ENOMEM;
	spin_lock_bh(&l->syn.lock);
	rcu_assign_pointer(l->syn.recounting, fresh);
	spin_unlock_bh(&l->syn.lock);
	tcpstate_limits_walk_table(tcpstate_syncap_recount_one, l);
	spin_lock_bh(&l->syn.lock);
	old = rcu_replace_pointer(l->syn.prefixes, fresh, lockdep_is_held(&l->syn.lock));
	smp_wmb();	/* the new table before the end: tcpstate_syncap_account() */
	RCU_INIT_POINTER(l->syn.recounting, NULL);
	spin_unlock_bh(&l->syn.lock);
	tcpstate_limits_walk_end();
	synchronize_rcu();
	tcpstate_prefixes_free(old);
	return 0;
}

/* --- lifetime ------------------------------------------------------------ */

int tcpstate_syncap_create(struct tcpstate_limit *l)
{
	struct tcpstate_syn_prefixes *prefixes;

	l->syn.prefix_len4 = syn_prefix_len4;
	l->syn.prefix_len6 = syn_prefix_len6;
	spin_lock_init(&l->syn.lock);
	prefixes = tcpstate_prefixes_alloc();
	if (!prefixes)
		return -ENOMEM;
	RCU_INIT_POINTER(l->syn.prefixes, prefixes);
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
 * back. A CPU may also be dropping one right now, between its xchg() and
 * the decrements of l's slots, and then the cmpxchg() here finds nothing:
 * so wait in any case, for every CPU to leave the section (with
 * preemption off) where it drops claims.
 */
void tcpstate_syncap_destroy(struct tcpstate_limit *l)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct tcpstate_syn_claim *claims = per_cpu_ptr(&tcpstate_syn_claims, cpu)->of_cap;

		for (i = 0; i < TCPSTATE_SYN_CAPS_PER_SYN; i++)
			cmpxchg(&claims[i].cap, l, NULL);
	}
	synchronize_rcu();
	tcpstate_prefixes_free(rcu_dereference_protected(l->syn.prefixes, 1));
	RCU_INIT_POINTER(l->syn.prefixes, NULL);
}

/* debugfs limits: one syn_prefix line per prefix that has SYN_RECV sockets. */
void tcpstate_syncap_show(struct seq_file *s, struct tcpstate_limit *l)
{
	struct tcpstate_syn_prefixes *prefixes;
	struct tcpstate_syn_prefix *prefix;
	struct rhashtable_iter iter;
	char key[TCPSTATE_LIMIT_KEY_MAX + 64];

	lockdep_assert_held(&tcpstate_limits_mutex);
	prefixes = rcu_dereference_protected(l->syn.prefixes,
					     lockdep_is_held(&tcpstate_limits_mutex));
	rhashtable_walk_enter(&prefixes->table, &iter);
	rhashtable_walk_start(&iter);
	while ((prefix = rhashtable_walk_next(&iter))) {
		if (IS_ERR(prefix))
			continue;
		if (prefix->key.family == AF_INET)
			snprintf(key, sizeof(key), "%s,prefix:%pI4/%u", l->key,
				 &prefix->key.addr.s6_addr32[0], prefix->key.len);
		else
			snprintf(key, sizeof(key), "%s,prefix:%pI6c/%u", l->key,
				 &prefix->key.addr, prefix->key.len);
		tcpstate_limit_show_row(s, "syn_prefix", key, TCPSTATE_SYN_RECV,
					atomic_read(&prefix->count), atomic_read(&prefix->high),
					READ_ONCE(l->syn.prefix_max),
					atomic64_read(&prefix->drops), 0, 0);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}
