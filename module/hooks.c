// SPDX-License-Identifier: GPL-2.0
/*
 * Where kernel events enter tcpstate. This file owns the registrations and
 * nothing else: handlers turn an event into a call on the counters and
 * return.
 *
 * Full-socket transitions come from the sock:inet_sock_set_state
 * tracepoint, which fires in tcp_set_state() and inet_sk_set_state() on
 * both supported kernels. The tracepoint is not exported to modules, so
 * it is found by name with for_each_kernel_tracepoint().
 */
#include <linux/tracepoint.h>
#include <linux/in.h>
#include <net/sock.h>
#include <tcpstate/tcpstate.h>

#define TCPSTATE_SET_STATE_TP "inet_sock_set_state"

static struct tracepoint *tcpstate_set_state_tp;

/*
 * Runs with preemption disabled, in process or softirq context, for every
 * protocol that uses inet_sk_set_state() (SCTP too): filter on TCP first.
 */
static void tcpstate_on_set_state(void *data, const struct sock *sk,
				  const int oldstate, const int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return;
	if (!READ_ONCE(tcpstate_enabled))
		return;
	tcpstate_matrix_count(&tcpstate_transitions, oldstate, newstate);
}

static void tcpstate_find_tracepoint(struct tracepoint *tp, void *priv)
{
	struct tracepoint **found = priv;

	if (!strcmp(tp->name, TCPSTATE_SET_STATE_TP))
		*found = tp;
}

int tcpstate_hooks_init(void)
{
	int ret;

	for_each_kernel_tracepoint(tcpstate_find_tracepoint, &tcpstate_set_state_tp);
	if (!tcpstate_set_state_tp) {
		pr_err("tracepoint %s not found\n", TCPSTATE_SET_STATE_TP);
		return -ENOENT;
	}

	ret = tracepoint_probe_register(tcpstate_set_state_tp,
					tcpstate_on_set_state, NULL);
	if (ret) {
		pr_err("cannot register on tracepoint %s: %d\n",
		       TCPSTATE_SET_STATE_TP, ret);
		tcpstate_set_state_tp = NULL;
		return ret;
	}
	return 0;
}

void tcpstate_hooks_uninit(void)
{
	tracepoint_probe_unregister(tcpstate_set_state_tp,
				    tcpstate_on_set_state, NULL);
	/*
	 * A handler may still be running on another CPU; once this returns
	 * none is, and nothing it touches may be freed before that.
	 */
	tracepoint_synchronize_unregister();
	tcpstate_set_state_tp = NULL;
}
