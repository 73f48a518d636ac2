// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_microbench.ko: the time tcpstate's own handler work takes per
 * event, measured in the kernel. It drives the real engine (#included,
 * as the KUnit suites do) through the events one loopback connection
 * makes, client and server side, with struct sock objects built here,
 * and prints ns per event; then it fails its own load on purpose, so
 * nothing stays behind (-ECANCELED).
 *
 * What it leaves out: the kprobe/tracepoint dispatch before our handler
 * runs, which the connection-rate benchmark includes. The log is on, as in
 * the module: every transition writes its record (nobody reads them).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include "../module/state.c"
#include "../module/matrix.c"
#include "../module/table.c"
#include "../module/log.c"
#include "../module/engine.c"

struct tcpstate_log tcpstate_log;
bool tcpstate_enabled = true;
/* No limit objects, as in the module without any configured. */
int tcpstate_limits_nr;

void __tcpstate_limits_account(struct tcpstate_sock *ts, int state, int delta)
{
}

/* As in a namespace: every event counts globally and per namespace. */
static struct tcpstate_counters bench_netns;

struct tcpstate_counters *tcpstate_netns_counters_of(const struct net *net)
{
	return &bench_netns;
}

static unsigned int connections = 200000;
module_param(connections, uint, 0400);
MODULE_PARM_DESC(connections, "connections to simulate (14 events each)");

/* How many connections are open at once: the table's working size. */
#define MICROBENCH_LIVE 1024

static void ev(struct sock *sk, u8 type, u8 kind, int from, int to)
{
	struct tcpstate_event e = {
		.sk = sk, .cookie = atomic64_read(&sk->sk_cookie),
		.type = type, .kind = kind, .old_state = from, .new_state = to,
	};

	tcpstate_engine_apply(&e);
}

static void connection(struct sock *cli, struct sock *req, struct sock *child,
		       struct sock *tw, u64 cookie)
{
	atomic64_set(&cli->sk_cookie, cookie * 2);
	atomic64_set(&tw->sk_cookie, cookie * 2);
	atomic64_set(&req->sk_cookie, cookie * 2 + 1);
	atomic64_set(&child->sk_cookie, cookie * 2 + 1);

	ev(cli, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);
	ev(req, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	ev(cli, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_SENT, TCP_ESTABLISHED);
	ev(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_ESTABLISHED);
	ev(cli, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_ESTABLISHED, TCP_FIN_WAIT1);
	ev(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_ESTABLISHED, TCP_CLOSE_WAIT);
	ev(cli, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_FIN_WAIT1, TCP_FIN_WAIT2);
	ev(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE_WAIT, TCP_LAST_ACK);
	ev(tw, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_TIMEWAIT, TCP_FIN_WAIT2, TCP_TIME_WAIT);
	ev(cli, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_FIN_WAIT2, TCP_CLOSE);
	ev(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_LAST_ACK, TCP_CLOSE);
	ev(cli, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);
	ev(child, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);
}

#define MICROBENCH_EVENTS_PER_CONNECTION 14

static int __init microbench_init(void)
{
	struct sock *socks;
	u64 start, elapsed;
	unsigned int i, slot;
	int ret;

	socks = kvcalloc(4 * MICROBENCH_LIVE, sizeof(*socks), GFP_KERNEL);
	if (!socks)
		return -ENOMEM;
	for (i = 0; i < 4 * MICROBENCH_LIVE; i++) {
		socks[i].sk_family = AF_INET;
		write_pnet(&socks[i].sk_net, &init_net);
	}
	ret = tcpstate_engine_init();
	if (ret)
		goto out_free;
	ret = tcpstate_counters_init(&bench_netns);
	if (ret)
		goto out_uninit_engine;
	ret = tcpstate_table_init();
	if (ret)
		goto out_uninit_netns;
	ret = tcpstate_log_init(&tcpstate_log, TCPSTATE_LOG_DEFAULT_RECORDS);
	if (ret)
		goto out_uninit_table;

	start = ktime_get_ns();
	for (i = 0; i < connections; i++) {
		slot = (i % MICROBENCH_LIVE) * 4;
		/* the TIME_WAIT of MICROBENCH_LIVE connections ago dies now */
		if (i >= MICROBENCH_LIVE)
			ev(&socks[slot + 3], TCPSTATE_EV_EXIT, TCPSTATE_KIND_TIMEWAIT,
			   TCP_TIME_WAIT, TCP_CLOSE);
		connection(&socks[slot], &socks[slot + 1], &socks[slot + 2],
			   &socks[slot + 3], i + 1);
		if (!(i % 1024))
			cond_resched();
	}
	elapsed = ktime_get_ns() - start;

	pr_info("microbench: %u connections, %u events each, %llu ns, %llu ns/event, table %u entries, %zu bytes (%zu per entry)\n",
		connections, MICROBENCH_EVENTS_PER_CONNECTION, elapsed,
		div_u64(elapsed, (u64)connections * MICROBENCH_EVENTS_PER_CONNECTION),
		tcpstate_table_count(), tcpstate_table_memory(),
		tcpstate_table_count() ? tcpstate_table_memory() / tcpstate_table_count() : 0);
	ret = -ECANCELED;	/* done: do not stay loaded */

	tcpstate_log_uninit(&tcpstate_log);
out_uninit_table:
	tcpstate_table_uninit();
out_uninit_netns:
	tcpstate_counters_uninit(&bench_netns);
out_uninit_engine:
	tcpstate_engine_uninit();
out_free:
	kvfree(socks);
	return ret;
}

module_init(microbench_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tcpstate in-kernel microbenchmark");
