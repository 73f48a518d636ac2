// SPDX-License-Identifier: GPL-2.0
/*
 * From a table entry back to its kernel socket, for the TIME_WAIT worker
 * and the sweep, which run in process context, and for the engine, which
 * asks whether a child closing in SYN_RECV ever held its cookie, in probe
 * context: the lookups are RCU walks that sleep nowhere.
 */
#include <linux/err.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/lookup.h>

bool tcpstate_tuple_of(u64 cookie, struct tcpstate_tuple *t)
{
	spinlock_t *lock = tcpstate_sock_lock(cookie);
	struct tcpstate_sock *ts;
	bool found = false;

	rcu_read_lock();
	spin_lock_bh(lock);
	ts = tcpstate_table_lookup(cookie);
	if (ts) {
		t->local = ts->saddr;
		t->remote = ts->daddr;
		t->entered_ns = ts->entered_ns;
		t->netns_ino = ts->netns_ino;
		t->lport = ts->sport;
		t->rport = ts->dport;
		t->state = ts->state;
		t->inet6 = ts->flags & TCPSTATE_SOCK_INET6;
		found = true;
	}
	spin_unlock_bh(lock);
	rcu_read_unlock();
	return found;
}

/* With a reference (sock_gen_put()); dif 0 finds unbound sockets only. */
static struct sock *tcpstate_lookup_established(struct net *net,
						const struct tcpstate_tuple *t, int dif)
{
	struct inet_hashinfo *hashinfo = net->ipv4.tcp_death_row.hashinfo;
	struct sock *sk;

	rcu_read_lock();
	/* A dual-stack socket talking IPv4 is hashed and found as IPv4. */
	if (!t->inet6)
		sk = __inet_lookup_established(net, hashinfo, t->remote.s6_addr32[0],
					       htons(t->rport), t->local.s6_addr32[0],
					       t->lport, dif, 0);
	else if (ipv6_addr_v4mapped(&t->remote))
		sk = __inet_lookup_established(net, hashinfo, t->remote.s6_addr32[3],
					       htons(t->rport), t->local.s6_addr32[3],
					       t->lport, dif, 0);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = __inet6_lookup_established(net, hashinfo, &t->remote, htons(t->rport),
						&t->local, t->lport, dif, 0);
#else
	else
		sk = NULL;
#endif
	rcu_read_unlock();
	return sk;
}

static struct sock *tcpstate_lookup_match(struct net *net, const struct tcpstate_tuple *t,
					  u64 cookie, int dif)
{
	struct sock *sk = tcpstate_lookup_established(net, t, dif);

	if (sk && atomic64_read(&sk->sk_cookie) != cookie) {
		sock_gen_put(sk);
		sk = NULL;
	}
	return sk;
}

/*
 * A socket bound to a device (SO_BINDTODEVICE, a VRF) matches only a
 * lookup that names that device, and the table does not keep which: after
 * the unbound lookup, each device of net is tried in turn.
 */
struct sock *tcpstate_lookup_cookie(struct net *net, const struct tcpstate_tuple *t, u64 cookie)
{
	int ifindex[TCPSTATE_LOOKUP_DEVICES_MAX], n = 0, i;
	struct net_device *dev;
	bool more = false;
	struct sock *sk;

	sk = tcpstate_lookup_match(net, t, cookie, 0);
	if (sk)
		return sk;
	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		if (n == ARRAY_SIZE(ifindex)) {
			more = true;
			break;
		}
		ifindex[n++] = dev->ifindex;
	}
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		sk = tcpstate_lookup_match(net, t, cookie, ifindex[i]);
		if (sk)
			return sk;
	}
	return more ? ERR_PTR(-E2BIG) : NULL;
}

/*
 * The tuple is the entry's, not sk's: a child that tcp_v4_syn_recv_sock()
 * gives up on has released its port (inet_num 0) or, taking an IPv4 SYN on
 * an IPv6 listener, has no IPv6 addresses yet. Its device is its
 * request's (ir_iif), set right after the clone: one lookup, which names it.
 * Called without the entry's lock, which tcpstate_tuple_of() takes.
 */
bool tcpstate_cookie_held_by_other(const struct sock *sk, u64 cookie)
{
	struct tcpstate_tuple t;
	struct sock *found;
	bool held;

	if (!tcpstate_tuple_of(cookie, &t))
		return false;
	found = tcpstate_lookup_match(read_pnet(&sk->sk_net), &t, cookie,
				      READ_ONCE(sk->sk_bound_dev_if));
	if (!found)
		return false;
	held = found != sk;
	sock_gen_put(found);
	return held;
}

/* The listed namespace of inode ino, or NULL; under rcu_read_lock(). */
static struct net *tcpstate_net_find_rcu(u32 ino)
{
	struct net *net;

	for_each_net_rcu(net)
		if (net->ns.inum == ino)
			return net;
	return NULL;
}

/*
 * The namespace by inode number, with a reference, or NULL: a walk of
 * every namespace. Callers keep the last one found, since consecutive
 * entries mostly share a namespace.
 */
static struct net *tcpstate_net_get_by_inode(u32 ino)
{
	struct net *net;

	rcu_read_lock();
	net = tcpstate_net_find_rcu(ino);
	if (net)
		net = maybe_get_net(net);
	rcu_read_unlock();
	return net;
}

/*
 * Whether a namespace of inode ino is alive: listed, and its count not
 * yet 0. A count never rises from 0, and cleanup_net() runs the pernet
 * exits only after it falls: while alive, every exit is still to come.
 */
bool tcpstate_netns_alive(u32 ino)
{
	struct net *net;
	bool alive;

	rcu_read_lock();
	net = tcpstate_net_find_rcu(ino);
	alive = net && check_net(net);
	rcu_read_unlock();
	return alive;
}

/*
 * A miss is kept as well as a find: a namespace on its way out stays
 * one, and the TIME_WAIT worker meets its sockets one after the other
 * on every run until its cleanup purges them; a walk of every namespace
 * each time would cost O(namespaces) a socket.
 */
struct net *tcpstate_netns_cache_get(struct tcpstate_netns_cache *cache, u32 ino)
{
	if (cache->ino == ino)
		return cache->net;
	tcpstate_netns_cache_put(cache);
	cache->net = tcpstate_net_get_by_inode(ino);
	cache->ino = ino;
	return cache->net;
}

void tcpstate_netns_cache_put(struct tcpstate_netns_cache *cache)
{
	if (cache->net)
		put_net(cache->net);
	cache->net = NULL;
	cache->ino = 0;		/* no namespace has inode 0 */
}
