// SPDX-License-Identifier: GPL-2.0
/*
 * The sweep: table entries whose socket is gone.
 *
 * An entry can outlive its socket two ways. Adoption can race with the
 * socket's end: the walk finds a socket in its hash bucket while, on
 * another CPU, the socket's end has already been reported (the probes
 * fire at function entry, before the kill takes the bucket lock the walk
 * holds), so the engine adopts a socket about to go. And a hook can miss
 * an end outright (probes_missed: a kretprobe that fires while another
 * kprobe runs on the same CPU, or an entry hook refused by ftrace's
 * recursion guard).
 *
 * The sweep looks each candidate's socket up in the established hash by
 * the entry's namespace and tuple, which finds full, request and
 * timewait sockets alike. If no socket with the entry's cookie is there,
 * tcpstate_engine_forget() removes the entry, unless it moved meanwhile
 * (stats: swept). Candidates are entries in a state whose sockets are
 * always in that hash: not LISTEN (another hash), CLOSE (unhashed) or
 * SYN_SENT (its port is chosen after the state is set, so the entry's
 * tuple is not the hashed one until ESTABLISHED).
 *
 * A socket bound to a device (SO_BINDTODEVICE, an IPv6 link-local
 * address, a VRF) is found only with its device's index, which the entry
 * does not keep: a miss is retried with each device of the namespace
 * before the entry is taken for stale.
 *
 * It runs once right after adoption over the adopted entries, and then
 * every sweep_interval seconds, if a probe missed anything since the last
 * sweep, over entries that have not moved for TCPSTATE_SWEEP_MIN_AGE,
 * from a worker, yielding between entries.
 */
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/engine.h>
#include <tcpstate/lookup.h>

#define TCPSTATE_SWEEP_MIN_AGE_NS	(10 * NSEC_PER_SEC)

static unsigned int sweep_interval = 60;
module_param(sweep_interval, uint, 0444);
MODULE_PARM_DESC(sweep_interval,
		 "seconds between checks for entries whose socket is gone, done when probes missed events (0: only after load; default 60)");

static void tcpstate_sweep_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(tcpstate_sweep_work, tcpstate_sweep_work_fn);

struct tcpstate_sweep {
	u64 *cookies;
	size_t nr, size;
	u64 now;
	bool adopted_only;
};

static bool tcpstate_sweep_state(u8 state, bool adopted)
{
	switch (state) {
	case TCPSTATE_LISTEN:
	case TCPSTATE_CLOSE:
		return false;
	case TCPSTATE_SYN_SENT:
		return adopted;	/* the walk found it hashed, tuple and all */
	default:
		return true;
	}
}

/*
 * Whether an entry that entered its state at entered_ns is too young to
 * sweep: its socket may be between two hashes (inet_ehash_insert()
 * deletes, then adds, and a lookup can miss it meanwhile). Signed: an
 * entry that moved after the sweep read the clock is the youngest of all.
 */
static bool tcpstate_sweep_too_young(const struct tcpstate_sweep *sweep, u64 entered_ns)
{
	return (s64)(sweep->now - entered_ns) < (s64)TCPSTATE_SWEEP_MIN_AGE_NS;
}

static void tcpstate_sweep_collect(struct tcpstate_sock *ts, void *arg)
{
	struct tcpstate_sweep *sweep = arg;
	bool adopted = (READ_ONCE(ts->flags) & TCPSTATE_SOCK_ADOPTED) &&
		       !READ_ONCE(ts->nr_history);

	if (sweep->nr == sweep->size)
		return;
	if (sweep->adopted_only ? !adopted :
	    tcpstate_sweep_too_young(sweep, READ_ONCE(ts->entered_ns)))
		return;
	if (!tcpstate_sweep_state(READ_ONCE(ts->state), adopted))
		return;
	sweep->cookies[sweep->nr++] = ts->cookie;
}

/* Whether cookie's socket is still in the established hash. */
static bool tcpstate_sweep_alive(struct net *net, const struct tcpstate_tuple *t, u64 cookie)
{
	struct sock *sk = tcpstate_lookup_cookie(net, t, cookie);

	/* More devices than were tried: rather keep a stale entry than drop a live one. */
	if (IS_ERR(sk))
		return true;
	if (!sk)
		return false;
	sock_gen_put(sk);
	return true;
}

/* Sweeps once; returns the entries removed. Process context. */
static unsigned int tcpstate_sweep(bool adopted_only)
{
	struct tcpstate_sweep sweep = { .adopted_only = adopted_only };
	struct tcpstate_netns_cache cache = {};
	struct tcpstate_tuple t;
	unsigned int swept = 0;
	size_t i;

	/* Room for every entry now, plus arrivals during the walk. */
	sweep.size = tcpstate_table_count() + 64;
	sweep.cookies = kvmalloc_array(sweep.size, sizeof(*sweep.cookies), GFP_KERNEL);
	if (!sweep.cookies)
		return 0;
	sweep.now = ktime_get_ns();
	tcpstate_table_for_each(tcpstate_sweep_collect, &sweep);

	for (i = 0; i < sweep.nr; i++) {
		struct net *net;

		cond_resched();
		/* It may have moved since the walk: judged again as it is now. */
		if (!tcpstate_tuple_of(sweep.cookies[i], &t) ||
		    !tcpstate_sweep_state(t.state, adopted_only) ||
		    (!adopted_only && tcpstate_sweep_too_young(&sweep, t.entered_ns)))
			continue;
		net = tcpstate_netns_cache_get(&cache, t.netns_ino);
		/* A namespace on its way out purges its sockets itself. */
		if (!net || tcpstate_sweep_alive(net, &t, sweep.cookies[i]))
			continue;
		swept += tcpstate_engine_forget(sweep.cookies[i], t.state, t.entered_ns, net);
	}
	tcpstate_netns_cache_put(&cache);
	kvfree(sweep.cookies);
	return swept;
}

static unsigned long tcpstate_sweep_nmissed;

static void tcpstate_sweep_work_fn(struct work_struct *work)
{
	unsigned long nmissed = tcpstate_hooks_nmissed();

	if (nmissed != tcpstate_sweep_nmissed)
		tcpstate_sweep(false);
	tcpstate_sweep_nmissed = nmissed;
	if (READ_ONCE(sweep_interval))
		schedule_delayed_work(&tcpstate_sweep_work,
				      (unsigned long)READ_ONCE(sweep_interval) * HZ);
}

/* After adoption: the entries the walk may have adopted from their deathbed. */
void tcpstate_sweep_start(void)
{
	unsigned int swept;

	tcpstate_sweep_nmissed = tcpstate_hooks_nmissed();
	swept = tcpstate_sweep(true);

	if (swept)
		pr_info("%u sockets adopted at load had ended meanwhile\n", swept);
	if (sweep_interval)
		schedule_delayed_work(&tcpstate_sweep_work, (unsigned long)sweep_interval * HZ);
}

/* Before the table goes. */
void tcpstate_sweep_stop(void)
{
	cancel_delayed_work_sync(&tcpstate_sweep_work);
}
