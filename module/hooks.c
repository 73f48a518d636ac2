// SPDX-License-Identifier: GPL-2.0
/*
 * Where kernel events enter tcpstate. This file owns the registrations;
 * each handler turns what it sees into a struct tcpstate_event for the
 * engine and returns. The hooks were chosen from the source of both
 * supported kernels (6.1 and 6.12); see include/tcpstate/compat.h.
 *
 *   event                            hook
 *   full socket changes state        tracepoint sock:inet_sock_set_state
 *   SYN queued as a request sock     kretprobe inet_csk_reqsk_queue_hash_add
 *   request sock becomes its child   the child's first tracepoint event
 *   Fast Open child made from a SYN  entry of inet_csk_reqsk_queue_add
 *   request sock dropped             kretprobe __inet_csk_reqsk_queue_drop
 *   timewait sock published          entry of TCPSTATE_TW_HASH_SYMBOL
 *   FIN_WAIT2 -> TIME_WAIT in a tw   entry of __inet_twsk_schedule
 *   timewait sock killed, any route  entry of inet_twsk_kill
 *   full socket freed                entry of inet_sock_destruct
 *   SYN reaches a listener           entry of tcp_conn_request (listeners)
 *
 * "Entry" hooks are ftrace callbacks on the function's fentry site, one
 * ftrace_ops each, not kprobes. A kprobe there goes through the same
 * fentry site, plus a full register save and kprobe bookkeeping; and the
 * kprobe core lets only one kprobe run per CPU at a time, so a softirq
 * that interrupts a process-context handler (inet_sock_destruct from
 * close(), say) loses its own kprobe hits (nmissed). ftrace's recursion
 * guard is per context: a softirq may run our callback inside a
 * process-context one. The two hooks that need a function's return stay
 * kretprobes.
 *
 * A request sock leaves the SYN queue either by being unlinked in
 * __inet_csk_reqsk_queue_drop() (timeout, RST, listener gone, abort,
 * netns purge) or by being replaced with its child in the established
 * hash; both happen under the bucket lock, so exactly one of them does.
 * Request migration between reuseport listeners keeps the cookie and
 * needs no event of its own. Every timewait sock dies in
 * inet_twsk_kill exactly once, whether by timer, reuse, RST, abort or
 * netns purge.
 *
 * Handlers run with preemption disabled, in process, softirq or timer
 * context. They never sleep and never allocate except through the
 * engine's GFP_ATOMIC table inserts.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/trace_recursion.h>
#include <linux/tracepoint.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/inet_timewait_sock.h>
#include <net/request_sock.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/compat.h>
#include <tcpstate/engine.h>
#include <tcpstate/limits.h>
#include <tcpstate/listeners.h>
#include <tcpstate/table.h>

/* Entry hooks read arguments from ftrace_regs, which needs this. */
#if !IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#error "tcpstate needs CONFIG_DYNAMIC_FTRACE_WITH_ARGS (Debian's kernels have it)"
#endif

#define TCPSTATE_SET_STATE_TP "inet_sock_set_state"

/* Return probes in flight at once; a miss is counted in nmissed. */
#define TCPSTATE_KRETPROBE_MAXACTIVE_PER_CPU 16

static struct tracepoint *tcpstate_set_state_tp;

static void tcpstate_emit(const struct sock *sk, u64 cookie, u8 type, u8 kind,
			  int old_state, int new_state)
{
	struct tcpstate_event ev = {
		.sk = sk,
		.cookie = cookie,
		.type = type,
		.kind = kind,
		.old_state = old_state,
		.new_state = new_state,
	};

	tcpstate_engine_apply(&ev);
}

/* --- full sockets ------------------------------------------------------- */

/*
 * Also fires for SCTP and MPTCP sockets: filter on TCP. A child's first
 * event, LISTEN -> SYN_RECV from inet_csk_clone_lock(), carries the
 * listener's tuple and cookie (they are set right after): skip it. The
 * child's next event carries its request's cookie, and the engine hands
 * the request's entry over to it.
 */
static void tcpstate_on_set_state(void *data, const struct sock *sk,
				  const int oldstate, const int newstate)
{
	struct sock *s = (struct sock *)sk;

	if (sk->sk_protocol != IPPROTO_TCP)
		return;
	if (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV)
		return;
	tcpstate_emit(sk, tcpstate_sock_cookie(s), TCPSTATE_EV_TRANSITION,
		      TCPSTATE_KIND_FULL, oldstate, newstate);
	if (newstate == TCP_LISTEN)
		tcpstate_listener_start(s);
	else if (oldstate == TCP_LISTEN)
		tcpstate_listener_stop(s);
}

/* Every SYN a TCP listener takes in, queued, cookied or dropped. */
static void tcpstate_on_conn_request(struct ftrace_regs *fregs)
{
	tcpstate_listener_syn((struct sock *)tcpstate_ftrace_arg(fregs, 2));
}

static void tcpstate_on_sock_destruct(struct ftrace_regs *fregs)
{
	struct sock *sk = (struct sock *)tcpstate_ftrace_arg(fregs, 0);
	u64 cookie;

	if (sk->sk_protocol != IPPROTO_TCP)
		return;
	cookie = atomic64_read(&sk->sk_cookie);
	if (cookie)	/* no cookie: never tracked */
		tcpstate_emit(sk, cookie, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL,
			      sk->sk_state, sk->sk_state);
}

/*
 * A Fast Open child: tcp_try_fastopen() made it from the SYN itself, in
 * SYN_RECV, and tcp_conn_request() puts it straight on the accept queue
 * here; no request sock is hashed. Its LISTEN -> SYN_RECV from
 * inet_csk_clone_lock() carried the listener's tuple and was skipped, and
 * nothing else reports it until the third ACK: until then ss shows it in
 * SYN-RECV. Reported here, hashed and complete. If the listener is
 * closing, inet_child_forget() closes it at once (SYN_RECV -> CLOSE).
 *
 * The other callers pass children that report themselves: a hashed
 * request's (tfo_listener false) and, from inet_csk_listen_stop(), a
 * queued child moved to another reuseport listener, which may be a Fast
 * Open one still in SYN_RECV; its request is a copy of the queued one,
 * whose sk is the child, where a fresh request's sk is NULL until this
 * very call. Not the child's cookie: a sock_ops BPF program asking for
 * it (bpf_get_socket_cookie() in PASSIVE_ESTABLISHED_CB, run inside
 * tcp_fastopen_create_child()) makes one first. A child the table has
 * already (the adoption walk at load found it hashed) is not reported
 * twice.
 */
static void tcpstate_on_reqsk_queue_add(struct ftrace_regs *fregs)
{
	struct sock *listener = (struct sock *)tcpstate_ftrace_arg(fregs, 0);
	struct request_sock *req = (struct request_sock *)tcpstate_ftrace_arg(fregs, 1);
	struct sock *child = (struct sock *)tcpstate_ftrace_arg(fregs, 2);
	u64 cookie;
	bool tracked;

	if (listener->sk_protocol != IPPROTO_TCP || !tcp_rsk(req)->tfo_listener || req->sk ||
	    READ_ONCE(child->sk_state) != TCP_SYN_RECV)
		return;
	cookie = atomic64_read(&child->sk_cookie);
	/*
	 * For the table lookup alone: the callback runs with preemption
	 * off, but the table's lookup asserts an RCU reader to lockdep.
	 * The check races with the adoption walk only during load; the
	 * engine then counts a state mismatch, and the gauge still counts
	 * the child once.
	 */
	rcu_read_lock();
	tracked = cookie && tcpstate_table_lookup(cookie);
	rcu_read_unlock();
	if (!tracked)
		tcpstate_emit(child, tcpstate_sock_cookie(child), TCPSTATE_EV_TRANSITION,
			      TCPSTATE_KIND_FULL, TCP_LISTEN, TCP_SYN_RECV);
	/* The SYN's claims end as when TCP hashes a request sock. */
	tcpstate_syncap_release_claims();
}

/* --- request socks ------------------------------------------------------ */

/*
 * A SYN queued a request sock (ss: SYN-RECV). Reported at entry, before
 * the request is visible, so no other CPU can report its end first; if
 * the hashing then fails (a duplicate tuple), the return reports its end.
 * The cookie is generated now so that the child and its timewait sock
 * inherit it: inet_csk_clone_lock() copies it from the request.
 */
struct tcpstate_reqsk_hash_args {
	struct sock *req;
	u64 cookie;
};

static int tcpstate_reqsk_hash_entry(struct kretprobe_instance *ri,
				     struct pt_regs *regs)
{
	struct tcpstate_reqsk_hash_args *args = (void *)ri->data;
	struct sock *listener = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct request_sock *req = (struct request_sock *)regs_get_kernel_argument(regs, 1);

	if (listener->sk_protocol != IPPROTO_TCP)
		return 1;	/* no return probe for this call */
	args->req = req_to_sk(req);
	args->cookie = tcpstate_sock_cookie(args->req);
	tcpstate_listener_queued(listener);
	tcpstate_emit(args->req, args->cookie, TCPSTATE_EV_TRANSITION,
		      TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	return 0;
}

NOKPROBE_SYMBOL(tcpstate_reqsk_hash_entry);

/* The caller holds a reference across the call: req is alive here. */
static int tcpstate_reqsk_hash_ret(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct tcpstate_reqsk_hash_args *args = (void *)ri->data;

	if (!(regs_return_value(regs) & 0xff))
		tcpstate_emit(args->req, args->cookie, TCPSTATE_EV_EXIT,
			      TCPSTATE_KIND_REQUEST, TCP_SYN_RECV, TCP_CLOSE);
	/* The queue length and the prefix counts have it now. */
	tcpstate_syncap_release_claims();
	return 0;
}

NOKPROBE_SYMBOL(tcpstate_reqsk_hash_ret);

struct tcpstate_reqsk_drop_args {
	struct sock *req;
	u64 cookie;
};

static int tcpstate_reqsk_drop_entry(struct kretprobe_instance *ri,
				     struct pt_regs *regs)
{
	struct tcpstate_reqsk_drop_args *args = (void *)ri->data;
	struct sock *listener = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct request_sock *req = (struct request_sock *)regs_get_kernel_argument(regs, 1);

	/*
	 * Unhashed already: the 3rd ACK replaced it with its child, and this
	 * is inet_csk_complete_hashdance() tidying up; it cannot unlink.
	 */
	if (listener->sk_protocol != IPPROTO_TCP || !sk_hashed(req_to_sk(req)))
		return 1;
	args->req = req_to_sk(req);
	args->cookie = atomic64_read(&args->req->sk_cookie);
	return args->cookie ? 0 : 1;
}

NOKPROBE_SYMBOL(tcpstate_reqsk_drop_entry);

/* The caller holds a reference across the call: req is alive here. */
static int tcpstate_reqsk_drop_ret(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct tcpstate_reqsk_drop_args *args = (void *)ri->data;

	if (regs_return_value(regs) & 0xff)	/* true: this call unlinked it */
		tcpstate_emit(args->req, args->cookie, TCPSTATE_EV_EXIT,
			      TCPSTATE_KIND_REQUEST, TCP_SYN_RECV, TCP_CLOSE);
	return 0;
}

NOKPROBE_SYMBOL(tcpstate_reqsk_drop_ret);

/* --- timewait socks ----------------------------------------------------- */

/* DCCP shares these functions; its timewait socks die on its own row. */
static bool tcpstate_tw_is_tcp(const struct inet_timewait_sock *tw)
{
	return tw->tw_dr == &twsk_net(tw)->ipv4.tcp_death_row;
}

/*
 * Entry of the hashing: tw is complete (tuple, substate, cookie copied
 * from sk) and no other CPU can see it yet, so reading it is safe and a
 * cookie written into it now is the one it will keep.
 */
static void tcpstate_on_tw_hash(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw = (void *)tcpstate_ftrace_arg(fregs, 0);
	struct sock *sk = (struct sock *)tcpstate_ftrace_arg(fregs, 1);
	u64 cookie;

	if (sk->sk_protocol != IPPROTO_TCP)
		return;
	cookie = atomic64_read(&tw->tw_cookie);
	if (!cookie) {
		cookie = tcpstate_sock_cookie(sk);
		atomic64_set(&tw->tw_cookie, cookie);
	}
	tcpstate_emit((struct sock *)tw, cookie, TCPSTATE_EV_TRANSITION,
		      TCPSTATE_KIND_TIMEWAIT, sk->sk_state, READ_ONCE(tw->tw_substate));
}

/*
 * tcp_timewait_state_process() sets tw_substate to TIME_WAIT when the FIN
 * arrives in FIN_WAIT2 and then re-arms the timer; the re-arm is the only
 * out-of-line call on that path.
 */
static void tcpstate_on_tw_schedule(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw = (void *)tcpstate_ftrace_arg(fregs, 0);
	bool rearm = tcpstate_ftrace_arg(fregs, 2) & 0xff;
	u8 substate;
	u64 cookie;

	if (!rearm || !tcpstate_tw_is_tcp(tw))
		return;
	substate = READ_ONCE(tw->tw_substate);
	cookie = atomic64_read(&tw->tw_cookie);
	if (cookie)
		tcpstate_emit((struct sock *)tw, cookie, TCPSTATE_EV_TRANSITION,
			      TCPSTATE_KIND_TIMEWAIT, TCPSTATE_STATE_UNKNOWN, substate);
}

static void tcpstate_on_tw_kill(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw = (void *)tcpstate_ftrace_arg(fregs, 0);
	u64 cookie;

	if (!tcpstate_tw_is_tcp(tw))
		return;
	cookie = atomic64_read(&tw->tw_cookie);
	if (cookie)
		tcpstate_emit((struct sock *)tw, cookie, TCPSTATE_EV_EXIT,
			      TCPSTATE_KIND_TIMEWAIT, READ_ONCE(tw->tw_substate),
			      TCP_CLOSE);
}

/* --- registration ------------------------------------------------------- */

/*
 * Registration order matters only while loading: exits before entries, so
 * that an object whose birth we saw cannot die unseen (tcpstate_hooks_init).
 * The tracepoint is an entry too: it makes the entry of a full socket that
 * changes state, and inet_sock_destruct() ends it. Until 2026-12-06 it came
 * first, and a socket that closed and was freed before the destruct hook
 * existed stayed in the table for good, in CLOSE, which no sweep takes
 * (the socket may still be someone's). Whatever happened before its hook
 * existed is repaired by the adoption walk or by the next event.
 */
struct tcpstate_entry_hook {
	struct ftrace_ops ops;
	const char *symbol;
	unsigned long ip;	/* the symbol's address (tcpstate_find_entry_hooks()) */
	void (*handler)(struct ftrace_regs *fregs);
};

static struct tcpstate_entry_hook tcpstate_entry_hooks[] = {
	{ .symbol = "inet_twsk_kill", .handler = tcpstate_on_tw_kill },
	{ .symbol = "inet_sock_destruct", .handler = tcpstate_on_sock_destruct },
	{ .symbol = "__inet_twsk_schedule", .handler = tcpstate_on_tw_schedule },
	{ .symbol = TCPSTATE_TW_HASH_SYMBOL, .handler = tcpstate_on_tw_hash },
	{ .symbol = "tcp_conn_request", .handler = tcpstate_on_conn_request },
	{ .symbol = "inet_csk_reqsk_queue_add", .handler = tcpstate_on_reqsk_queue_add },
};

#define TCPSTATE_ENTRY_HOOKS_NR ARRAY_SIZE(tcpstate_entry_hooks)

/* Calls an entry hook refused: recursion in one context, per hook. */
static DEFINE_PER_CPU(unsigned long [TCPSTATE_ENTRY_HOOKS_NR], tcpstate_entry_nmissed);

static struct kretprobe tcpstate_kretprobes[] = {
	{
		.kp.symbol_name = "__inet_csk_reqsk_queue_drop",
		.entry_handler = tcpstate_reqsk_drop_entry,
		.handler = tcpstate_reqsk_drop_ret,
		.data_size = sizeof(struct tcpstate_reqsk_drop_args),
	},
	{
		.kp.symbol_name = "inet_csk_reqsk_queue_hash_add",
		.entry_handler = tcpstate_reqsk_hash_entry,
		.handler = tcpstate_reqsk_hash_ret,
		.data_size = sizeof(struct tcpstate_reqsk_hash_args),
	},
};

static void tcpstate_find_tracepoint(struct tracepoint *tp, void *priv)
{
	struct tracepoint **found = priv;

	if (!strcmp(tp->name, TCPSTATE_SET_STATE_TP))
		*found = tp;
}

/*
 * The ftrace callback of every entry hook. ftrace calls it with the
 * hooked function's arguments saved in fregs (the ops asks for no full
 * register save). The recursion guard, which also disables preemption,
 * refuses only a nested call in the same context: our handlers calling a
 * hooked function, which they never do, counts as missed.
 */
static void notrace tcpstate_entry_callback(unsigned long ip, unsigned long parent_ip,
					    struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct tcpstate_entry_hook *hook = container_of(ops, struct tcpstate_entry_hook, ops);
	int bit;

	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0) {
		this_cpu_inc(tcpstate_entry_nmissed[hook - tcpstate_entry_hooks]);
		return;
	}
	hook->handler(fregs);
	ftrace_test_recursion_unlock(bit);
}

/*
 * unregister_ftrace_function() of an ops in a module (FTRACE_OPS_FL_DYNAMIC)
 * waits until no CPU can be in its callback any more: RCU-tasks grace
 * periods, about 0.1 s a hook under TCG (rmmod 0.85 s, 0.3 s with kprobes).
 */
static void tcpstate_unregister_entry_hooks(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct tcpstate_entry_hook *hook = &tcpstate_entry_hooks[i];

		unregister_ftrace_function(&hook->ops);
		ftrace_free_filter(&hook->ops);
	}
}

/*
 * Each hooked function's address, for ftrace_set_filter_ip(), through
 * kprobes registered for the lookup only: kallsyms_lookup_name() is not
 * exported. Registered disabled, so never armed: unregistering an armed
 * ftrace kprobe allocates, and when that fails the kprobe stays in the
 * kprobe table (a WARNING in __disarm_kprobe_ftrace()), here a dead
 * stack frame's (seen with a fault injected there).
 *
 * Not ftrace_set_filter() by name: in 6.1 and 6.12 alike, when an
 * allocation fails while it matches the name, match_records() returns
 * -ENOMEM where ftrace_set_hash() tests for "no match" (0), so the call
 * returns 0 with an empty filter, and an ftrace_ops with an empty filter
 * traces every function in the kernel: our handler would take each
 * one's first argument for a socket. The address path returns its
 * errors. (Found by tcpstate_faults.sh's fault in every point of the load.)
 */
static int tcpstate_find_entry_hooks(void)
{
	struct kprobe lookups[TCPSTATE_ENTRY_HOOKS_NR] = {};
	struct kprobe *kps[TCPSTATE_ENTRY_HOOKS_NR];
	unsigned int i;
	int ret;

	for (i = 0; i < TCPSTATE_ENTRY_HOOKS_NR; i++) {
		lookups[i].symbol_name = tcpstate_entry_hooks[i].symbol;
		lookups[i].flags = KPROBE_FLAG_DISABLED;
		kps[i] = &lookups[i];
	}
	ret = register_kprobes(kps, TCPSTATE_ENTRY_HOOKS_NR);
	if (ret) {
		pr_err("cannot find the functions to hook: %d\n", ret);
		return ret;
	}
	unregister_kprobes(kps, TCPSTATE_ENTRY_HOOKS_NR);
	for (i = 0; i < TCPSTATE_ENTRY_HOOKS_NR; i++)
		tcpstate_entry_hooks[i].ip = (unsigned long)lookups[i].addr;
	return 0;
}

static int tcpstate_register_entry_hook(struct tcpstate_entry_hook *hook)
{
	int ret;

	hook->ops.func = tcpstate_entry_callback;
	ret = ftrace_set_filter_ip(&hook->ops, hook->ip, 0, 1);
	if (!ret)
		ret = register_ftrace_function(&hook->ops);
	if (ret) {
		pr_err("cannot hook the entry of %s: %d\n", hook->symbol, ret);
		ftrace_free_filter(&hook->ops);
	}
	return ret;
}

static int tcpstate_register_entry_hooks(void)
{
	unsigned int i;
	int ret;

	ret = tcpstate_find_entry_hooks();
	if (ret)
		return ret;
	for (i = 0; i < TCPSTATE_ENTRY_HOOKS_NR; i++) {
		ret = tcpstate_register_entry_hook(&tcpstate_entry_hooks[i]);
		if (ret) {
			tcpstate_unregister_entry_hooks(i);
			return ret;
		}
	}
	return 0;
}

static void tcpstate_unregister_kretprobes(unsigned int n)
{
	struct kretprobe *rps[ARRAY_SIZE(tcpstate_kretprobes)];
	unsigned int i;

	for (i = 0; i < n; i++)
		rps[i] = &tcpstate_kretprobes[i];
	/* Also detaches return instances still in flight from our handlers. */
	unregister_kretprobes(rps, n);
}

static int tcpstate_register_kretprobes(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(tcpstate_kretprobes); i++) {
		tcpstate_kretprobes[i].maxactive =
			TCPSTATE_KRETPROBE_MAXACTIVE_PER_CPU * num_possible_cpus();
		ret = register_kretprobe(&tcpstate_kretprobes[i]);
		if (ret) {
			pr_err("cannot probe return of %s: %d\n",
			       tcpstate_kretprobes[i].kp.symbol_name, ret);
			tcpstate_unregister_kretprobes(i);
			return ret;
		}
	}
	return 0;
}

int tcpstate_hooks_init(void)
{
	int ret;

	for_each_kernel_tracepoint(tcpstate_find_tracepoint, &tcpstate_set_state_tp);
	if (!tcpstate_set_state_tp) {
		pr_err("tracepoint %s not found\n", TCPSTATE_SET_STATE_TP);
		return -ENOENT;
	}

	/* inet_twsk_kill() and inet_sock_destruct() first: see above. */
	ret = tcpstate_register_entry_hooks();
	if (ret)
		return ret;
	ret = tracepoint_probe_register(tcpstate_set_state_tp,
					tcpstate_on_set_state, NULL);
	if (ret) {
		pr_err("cannot register on tracepoint %s: %d\n",
		       TCPSTATE_SET_STATE_TP, ret);
		goto out_unregister_entry_hooks;
	}
	ret = tcpstate_register_kretprobes();
	if (ret)
		goto out_unregister_tp;
	return 0;

out_unregister_tp:
	tracepoint_probe_unregister(tcpstate_set_state_tp, tcpstate_on_set_state, NULL);
	tracepoint_synchronize_unregister();
out_unregister_entry_hooks:
	tcpstate_unregister_entry_hooks(TCPSTATE_ENTRY_HOOKS_NR);
	return ret;
}

void tcpstate_hooks_uninit(void)
{
	tracepoint_probe_unregister(tcpstate_set_state_tp,
				    tcpstate_on_set_state, NULL);
	tcpstate_unregister_entry_hooks(TCPSTATE_ENTRY_HOOKS_NR);
	tcpstate_unregister_kretprobes(ARRAY_SIZE(tcpstate_kretprobes));
	/*
	 * A tracepoint handler may still be running on another CPU; once
	 * this returns none is, and nothing it touches may be freed before.
	 */
	tracepoint_synchronize_unregister();
}

/* Missed hits, for debugfs stats: a miss is an event the module lost. */
unsigned long tcpstate_hooks_nmissed(void)
{
	unsigned long missed = 0;
	int cpu, i;

	for_each_possible_cpu(cpu)
		for (i = 0; i < TCPSTATE_ENTRY_HOOKS_NR; i++)
			missed += READ_ONCE(per_cpu(tcpstate_entry_nmissed, cpu)[i]);
	for (i = 0; i < ARRAY_SIZE(tcpstate_kretprobes); i++)
		missed += tcpstate_kretprobes[i].nmissed +
			  tcpstate_kretprobes[i].kp.nmissed;
	return missed;
}
