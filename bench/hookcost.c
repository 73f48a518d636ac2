// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_hookcost.ko: tcpstate's hooks with nothing behind them. It
 * registers exactly what tcpstate.ko registers (module/hooks.c,
 * #included: the sock:inet_sock_set_state tracepoint, the ftrace entry
 * hooks and the two kretprobes) and runs the same handlers, but the
 * engine they feed only counts the events. The connection-rate benchmark
 * loads it beside "unloaded" and "loaded": its ratio to unloaded is the
 * price of the hooking mechanism itself, which no engine work can lower,
 * and loaded against it is what the engine adds.
 *
 * On unload it prints the events its handlers passed on, so a run shows
 * that the hooks fired.
 */
#include <linux/module.h>
#include <linux/percpu.h>
#include "../module/hooks.c"

static DEFINE_PER_CPU(unsigned long, hookcost_events);

void tcpstate_engine_apply(const struct tcpstate_event *ev)
{
	this_cpu_inc(hookcost_events);
}

void tcpstate_listener_start(struct sock *sk)
{
}

void tcpstate_listener_stop(struct sock *sk)
{
}

void tcpstate_listener_syn(struct sock *sk)
{
}

void tcpstate_listener_queued(struct sock *sk)
{
}

void tcpstate_syncap_release_claims(void)
{
}

static int __init hookcost_init(void)
{
	return tcpstate_hooks_init();
}

static void __exit hookcost_exit(void)
{
	unsigned long events = 0;
	int cpu;

	tcpstate_hooks_uninit();
	for_each_possible_cpu(cpu)
		events += per_cpu(hookcost_events, cpu);
	pr_info("%lu events, %lu missed\n", events, tcpstate_hooks_nmissed());
}

module_init(hookcost_init);
module_exit(hookcost_exit);
MODULE_DESCRIPTION("tcpstate's hooks with an engine that only counts (benchmark)");
MODULE_LICENSE("GPL");
