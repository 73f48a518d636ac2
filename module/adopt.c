// SPDX-License-Identifier: GPL-2.0
/*
 * Adopting the sockets that exist when tcpstate is loaded, so that right
 * after insmod the gauges already agree with ss.
 *
 * The walk follows inet_diag_dump_icsk(): every bucket of the established
 * hash (full, timewait and request socks) under its bucket lock, then the
 * listening hash. init_net's table holds the sockets of every namespace
 * that has no table of its own; namespaces created with
 * net.ipv4.tcp_child_ehash_entries have a private established hash (the
 * listening hash is always shared). net_rwsem held for reading keeps
 * every listed namespace, and so its private table, from being torn down.
 *
 * Hooks are registered before the walk. A socket a hook reports first
 * keeps what the hook said (the engine ignores an adoption of a cookie it
 * knows). Lock order: ehash or lhash2 bucket lock, then the engine's entry
 * lock; no hook ever holds an entry lock while taking a bucket lock.
 */
#include <linux/sched.h>
#include <linux/rwsem.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/request_sock.h>
#include <net/net_namespace.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/engine.h>
#include <tcpstate/listeners.h>

static void tcpstate_adopt_one(struct sock *sk)
{
	struct tcpstate_event ev = { .sk = sk, .type = TCPSTATE_EV_ADOPT };
	u8 state = READ_ONCE(sk->sk_state);

	switch (state) {
	case TCP_TIME_WAIT: {
		struct inet_timewait_sock *tw = inet_twsk(sk);

		if (tw->tw_dr != &twsk_net(tw)->ipv4.tcp_death_row)
			return;
		ev.kind = TCPSTATE_KIND_TIMEWAIT;
		ev.new_state = READ_ONCE(tw->tw_substate);
		break;
	}
	case TCP_NEW_SYN_RECV:
		if (inet_reqsk(sk)->rsk_listener->sk_protocol != IPPROTO_TCP)
			return;
		ev.kind = TCPSTATE_KIND_REQUEST;
		ev.new_state = TCP_SYN_RECV;
		break;
	default:
		if (sk->sk_protocol != IPPROTO_TCP)
			return;
		ev.kind = TCPSTATE_KIND_FULL;
		ev.new_state = state;
		break;
	}
	ev.old_state = ev.new_state;
	ev.cookie = tcpstate_sock_cookie(sk);
	tcpstate_engine_apply(&ev);
	if (state == TCP_LISTEN)
		tcpstate_listener_start(sk);
}

static void tcpstate_adopt_established(struct inet_hashinfo *h)
{
	struct hlist_nulls_node *node;
	unsigned int i;
	struct sock *sk;

	for (i = 0; i <= h->ehash_mask; i++) {
		spinlock_t *lock = inet_ehash_lockp(h, i);

		if (hlist_nulls_empty(&h->ehash[i].chain))
			continue;
		spin_lock_bh(lock);
		sk_nulls_for_each(sk, node, &h->ehash[i].chain)
			tcpstate_adopt_one(sk);
		spin_unlock_bh(lock);
		cond_resched();
	}
}

/*
 * Calls fn on every socket in the listening hash, which all namespaces
 * share, under its bucket's lock: fn must not sleep. Plain spin_lock, as
 * inet_diag: the listening buckets are never locked from BH. Process
 * context; also used by debugfs listeners.
 */
void tcpstate_walk_listeners(const struct tcpstate_listener_walk *walk)
{
	struct inet_hashinfo *h = init_net.ipv4.tcp_death_row.hashinfo;
	struct hlist_nulls_node *node;
	unsigned int i;
	struct sock *sk;

	for (i = 0; i <= h->lhash2_mask; i++) {
		struct inet_listen_hashbucket *ilb = &h->lhash2[i];

		if (hlist_nulls_empty(&ilb->nulls_head))
			continue;
		spin_lock(&ilb->lock);
		sk_nulls_for_each(sk, node, &ilb->nulls_head)
			walk->fn(sk, walk->arg);
		spin_unlock(&ilb->lock);
		cond_resched();
	}
}

static void tcpstate_adopt_listener(struct sock *sk, void *unused)
{
	tcpstate_adopt_one(sk);
}

void tcpstate_adopt_existing(void)
{
	static const struct tcpstate_listener_walk adopt = { .fn = tcpstate_adopt_listener };
	struct inet_hashinfo *global = init_net.ipv4.tcp_death_row.hashinfo;
	struct net *net;

	tcpstate_walk_listeners(&adopt);
	tcpstate_adopt_established(global);

	down_read(&net_rwsem);
	for_each_net(net) {
		struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;

		if (h != global && h->pernet)
			tcpstate_adopt_established(h);
	}
	up_read(&net_rwsem);
}
