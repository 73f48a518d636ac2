// SPDX-License-Identifier: GPL-2.0
/*
 * Per-listener figures (debugfs listeners). The kernel keeps a listener's
 * current half-open count (its SYN queue length) and accept-queue length;
 * tcpstate adds what it does not keep: how many SYNs reached the listener
 * and the highest half-open count seen. Those live in a small rhashtable
 * keyed by the listener's cookie, one entry per listening socket, created
 * when it starts listening (or at load, by adoption) and freed when it
 * stops.
 *
 * The file itself walks the kernel's listening hash at read time, under
 * each bucket's lock as inet_diag does, so every listener is shown with
 * the kernel's own live counts, whether or not tcpstate saw it start.
 */
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/inet_connection_sock.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/engine.h>
#include <tcpstate/listeners.h>

struct tcpstate_listener {
	struct rhash_head node;
	u64 cookie;
	atomic64_t syns;		/* SYNs that reached tcp_conn_request() */
	atomic_t half_open_max;		/* highest SYN queue length seen */
	struct rcu_head rcu;
};

/* Two lookups per SYN: compare the cookie as a u64, not with memcmp(). */
static int tcpstate_listener_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct tcpstate_listener *l = obj;

	return l->cookie != *(const u64 *)arg->key;
}

static const struct rhashtable_params tcpstate_listener_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct tcpstate_listener, cookie),
	.head_offset = offsetof(struct tcpstate_listener, node),
	.obj_cmpfn = tcpstate_listener_cmp,
	.automatic_shrinking = true,
};

static struct rhashtable tcpstate_listeners;

int tcpstate_listeners_init(void)
{
	return rhashtable_init(&tcpstate_listeners, &tcpstate_listener_params);
}

static void tcpstate_listener_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* After the hooks are gone: nothing else reaches an entry. */
void tcpstate_listeners_uninit(void)
{
	rhashtable_free_and_destroy(&tcpstate_listeners, tcpstate_listener_free, NULL);
	rcu_barrier();	/* kfree_rcu() from tcpstate_listener_stop() */
}

static struct tcpstate_listener *tcpstate_listener_find(struct sock *sk)
{
	u64 cookie = atomic64_read(&sk->sk_cookie);

	if (!cookie)
		return NULL;
	return rhashtable_lookup(&tcpstate_listeners, &cookie, tcpstate_listener_params);
}

/* Process context (listen()) or the load-time walk: GFP_ATOMIC, as the walk holds a lock. */
void tcpstate_listener_start(struct sock *sk)
{
	struct tcpstate_listener *l;

	l = kzalloc(sizeof(*l), GFP_ATOMIC | __GFP_NOWARN);
	if (!l)
		return;	/* its SYN counts stay 0; the file still lists it */
	l->cookie = tcpstate_sock_cookie(sk);
	if (rhashtable_lookup_insert_fast(&tcpstate_listeners, &l->node,
					  tcpstate_listener_params))
		kfree(l);	/* already there */
}

void tcpstate_listener_stop(struct sock *sk)
{
	struct tcpstate_listener *l;

	rcu_read_lock();
	l = tcpstate_listener_find(sk);
	if (l && !rhashtable_remove_fast(&tcpstate_listeners, &l->node,
					 tcpstate_listener_params))
		kfree_rcu(l, rcu);
	rcu_read_unlock();
}

void tcpstate_listener_syn(struct sock *sk)
{
	struct tcpstate_listener *l;

	rcu_read_lock();
	l = tcpstate_listener_find(sk);
	if (l)
		atomic64_inc(&l->syns);
	rcu_read_unlock();
}

/* Called as a request is queued: the queue is about to be one longer. */
void tcpstate_listener_queued(struct sock *sk)
{
	int len = inet_csk_reqsk_queue_len(sk) + 1, max;
	struct tcpstate_listener *l;

	rcu_read_lock();
	l = tcpstate_listener_find(sk);
	if (l) {
		max = atomic_read(&l->half_open_max);
		while (len > max && !atomic_try_cmpxchg(&l->half_open_max, &max, len))
			;
	}
	rcu_read_unlock();
}

static void tcpstate_listener_show_one(struct seq_file *s, struct sock *sk)
{
	const struct tcpstate_listener *l;
	u64 cookie = atomic64_read(&sk->sk_cookie);

	seq_printf(s, "%u ", sock_net(sk)->ns.inum);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		seq_printf(s, "[%pI6c]:%u", &sk->sk_v6_rcv_saddr, sk->sk_num);
	else
#endif /* CONFIG_IPV6 */
		seq_printf(s, "%pI4:%u", &sk->sk_rcv_saddr, sk->sk_num);
	rcu_read_lock();	/* our entry; the kernel's socket is under its bucket lock */
	l = tcpstate_listener_find(sk);
	seq_printf(s, " %llx %d %d %u %u %lld\n", cookie,
		   inet_csk_reqsk_queue_len(sk),
		   l ? atomic_read(&l->half_open_max) : -1,
		   READ_ONCE(sk->sk_ack_backlog), READ_ONCE(sk->sk_max_ack_backlog),
		   l ? (s64)atomic64_read(&l->syns) : -1LL);
	rcu_read_unlock();
}

struct tcpstate_listeners_show_arg {
	struct seq_file *s;
	const struct net *net;
};

static void tcpstate_listener_show_if(struct sock *sk, void *data)
{
	struct tcpstate_listeners_show_arg *arg = data;

	if (sk->sk_protocol == IPPROTO_TCP &&
	    (!arg->net || net_eq(sock_net(sk), arg->net)))
		tcpstate_listener_show_one(arg->s, sk);
}

int tcpstate_listeners_show(struct seq_file *s, const struct net *net)
{
	struct tcpstate_listeners_show_arg arg = { .s = s, .net = net };
	struct tcpstate_listener_walk walk = { .fn = tcpstate_listener_show_if, .arg = &arg };

	seq_puts(s, "NETNS LOCAL COOKIE HALF_OPEN HALF_OPEN_MAX ACCEPT_QUEUE BACKLOG SYNS\n");
	tcpstate_walk_listeners(&walk);
	return 0;
}
