// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace figures: every network namespace gets its own counters
 * (gauges, matrix, histograms) beside the global ones, and a debugfs
 * directory netns/<inode>/ with the same aggregate files, <inode> being
 * the namespace's inode number as `lsns -t net` shows it.
 *
 * pernet_operations gives each namespace a struct tcpstate_net, created
 * before any socket can exist in it and, at load, for every namespace
 * that already exists. Cost: about 8.6 KiB per CPU per namespace.
 *
 * Dismantling: our exit runs before TCP's own (we registered later), and
 * TCP's purges the namespace's timewait and request socks, so events
 * still arrive for a namespace whose counters are gone. Handlers fetch
 * the counters under RCU and find NULL once exit has begun; exit waits a
 * grace period before freeing them. The global figures still count.
 */
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/engine.h>
#include <tcpstate/netns.h>

struct tcpstate_net {
	struct tcpstate_counters __rcu *live;	/* NULL before init, after exit began */
	struct tcpstate_counters counters;
	struct tcpstate_view view;		/* what its debugfs files show */
	struct dentry *dir;
	bool counting;				/* counters were allocated */
};

static unsigned int tcpstate_net_id __read_mostly;

/* Hosts with thousands of namespaces can keep the global figures only. */
static bool netns_figures = true;
module_param(netns_figures, bool, 0444);
MODULE_PARM_DESC(netns_figures,
		 "keep figures per network namespace (about 8.6 KiB per CPU per namespace; default 1)");
static struct dentry *tcpstate_netns_dir;

/* Handlers hold rcu_read_lock(); see the comment at the top. */
struct tcpstate_counters *tcpstate_netns_counters_of(const struct net *net)
{
	struct tcpstate_net *tn = net_generic(net, tcpstate_net_id);

	return rcu_dereference(tn->live);
}

/*
 * A namespace must not fail to come up because of us: without memory it
 * simply has no per-namespace figures (said once in the kernel log).
 */
static int __net_init tcpstate_net_init(struct net *net)
{
	struct tcpstate_net *tn = net_generic(net, tcpstate_net_id);
	char name[16];

	if (!netns_figures)
		return 0;
	if (tcpstate_counters_init(&tn->counters)) {
		pr_warn_ratelimited("no memory for the figures of netns %u\n", net->ns.inum);
		return 0;
	}
	tn->counting = true;
	tn->view.counters = &tn->counters;
	tn->view.net = net;
	snprintf(name, sizeof(name), "%u", net->ns.inum);
	tn->dir = debugfs_create_dir(name, tcpstate_netns_dir);
	tcpstate_debugfs_create_view(tn->dir, &tn->view);
	rcu_assign_pointer(tn->live, &tn->counters);
	return 0;
}

static void __net_exit tcpstate_net_exit_batch(struct list_head *net_exit_list)
{
	struct tcpstate_net *tn;
	struct net *net;

	list_for_each_entry(net, net_exit_list, exit_list) {
		tn = net_generic(net, tcpstate_net_id);
		/* Waits for readers inside the files. */
		debugfs_remove_recursive(tn->dir);
		tn->dir = NULL;
		RCU_INIT_POINTER(tn->live, NULL);
	}
	synchronize_rcu();	/* no handler still holds a namespace's counters */
	list_for_each_entry(net, net_exit_list, exit_list) {
		tn = net_generic(net, tcpstate_net_id);
		if (tn->counting)
			tcpstate_counters_uninit(&tn->counters);
		tn->counting = false;
	}
}

static struct pernet_operations tcpstate_net_ops = {
	.init = tcpstate_net_init,
	.exit_batch = tcpstate_net_exit_batch,
	.id = &tcpstate_net_id,
	.size = sizeof(struct tcpstate_net),
};

/* debugfs root of the per-namespace directories: call after tcpstate_debugfs_init(). */
int tcpstate_netns_init(struct dentry *debugfs_root)
{
	int ret;

	tcpstate_netns_dir = debugfs_create_dir("netns", debugfs_root);
	ret = register_pernet_subsys(&tcpstate_net_ops);
	if (ret)
		pr_err("cannot register per-namespace state: %d\n", ret);
	return ret;
}

void tcpstate_netns_uninit(void)
{
	unregister_pernet_subsys(&tcpstate_net_ops);
}

/* sysfs reset: every namespace's counters too. */
void tcpstate_netns_reset(void)
{
	struct net *net;

	down_read(&net_rwsem);
	for_each_net(net) {
		struct tcpstate_net *tn = net_generic(net, tcpstate_net_id);

		if (tn->counting)
			tcpstate_counters_reset(&tn->counters);
	}
	up_read(&net_rwsem);
}
