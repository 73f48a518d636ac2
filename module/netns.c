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
 * The debugfs directories appear with tcpstate_netns_publish(), once the
 * load can no longer fail (see tcpstate_debugfs_publish()); until then
 * a namespace only joins tcpstate_netns_list, which publication walks.
 * The list, not for_each_net(), because a namespace is on the kernel's
 * list only after every pernet init has run: one coming up during
 * publication would be missed by both.
 *
 * Dismantling: our exit runs before TCP's own (we registered later), and
 * TCP's purges the namespace's timewait and request socks, so events
 * still arrive for a namespace whose counters are gone. Handlers fetch
 * the counters under RCU and find NULL once exit has begun; exit waits a
 * grace period before freeing them. The global figures still count.
 */
#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
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
	struct dentry *dir;			/* NULL until published */
	struct list_head node;			/* on tcpstate_netns_list if counting */
	bool counting;				/* counters were allocated */
};

static unsigned int tcpstate_net_id __read_mostly;

/* Hosts with thousands of namespaces can keep the global figures only. */
static bool netns_figures = true;
module_param(netns_figures, bool, 0444);
MODULE_PARM_DESC(netns_figures,
		 "keep figures per network namespace (about 8.6 KiB per CPU per namespace; default 1)");

/* Guards the list, every tn->dir and tcpstate_netns_dir. */
static DEFINE_MUTEX(tcpstate_netns_debugfs_lock);
static LIST_HEAD(tcpstate_netns_list);
static struct dentry *tcpstate_netns_dir;	/* netns/, NULL until published */

static void tcpstate_net_publish(struct tcpstate_net *tn)
{
	char name[16];

	lockdep_assert_held(&tcpstate_netns_debugfs_lock);
	snprintf(name, sizeof(name), "%u", tn->view.net->ns.inum);
	tn->dir = debugfs_create_dir(name, tcpstate_netns_dir);
	tcpstate_debugfs_create_view(tn->dir, &tn->view);
}

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

	if (!netns_figures)
		return 0;
	if (tcpstate_counters_init(&tn->counters)) {
		pr_warn_ratelimited("no memory for the figures of netns %u\n", net->ns.inum);
		return 0;
	}
	tn->counting = true;
	tn->view.counters = &tn->counters;
	tn->view.net = net;
	mutex_lock(&tcpstate_netns_debugfs_lock);
	list_add_tail(&tn->node, &tcpstate_netns_list);
	if (tcpstate_netns_dir)
		tcpstate_net_publish(tn);
	mutex_unlock(&tcpstate_netns_debugfs_lock);
	rcu_assign_pointer(tn->live, &tn->counters);
	return 0;
}

static void __net_exit tcpstate_net_exit_batch(struct list_head *net_exit_list)
{
	struct tcpstate_net *tn;
	struct net *net;

	list_for_each_entry(net, net_exit_list, exit_list) {
		tn = net_generic(net, tcpstate_net_id);
		if (tn->counting) {
			mutex_lock(&tcpstate_netns_debugfs_lock);
			list_del(&tn->node);
			/* Waits for readers inside the files. */
			debugfs_remove_recursive(tn->dir);
			tn->dir = NULL;
			mutex_unlock(&tcpstate_netns_debugfs_lock);
		}
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

int tcpstate_netns_init(void)
{
	int ret;

	ret = register_pernet_subsys(&tcpstate_net_ops);
	if (ret)
		pr_err("cannot register per-namespace state: %d\n", ret);
	return ret;
}

void tcpstate_netns_uninit(void)
{
	unregister_pernet_subsys(&tcpstate_net_ops);
}

/* netns/ under @debugfs_root, and a directory in it for every namespace. */
void tcpstate_netns_publish(struct dentry *debugfs_root)
{
	struct tcpstate_net *tn;

	mutex_lock(&tcpstate_netns_debugfs_lock);
	tcpstate_netns_dir = debugfs_create_dir("netns", debugfs_root);
	list_for_each_entry(tn, &tcpstate_netns_list, node)
		tcpstate_net_publish(tn);
	mutex_unlock(&tcpstate_netns_debugfs_lock);
}

/* Removes what tcpstate_netns_publish() made; waits for readers inside. */
void tcpstate_netns_unpublish(void)
{
	struct tcpstate_net *tn;

	mutex_lock(&tcpstate_netns_debugfs_lock);
	list_for_each_entry(tn, &tcpstate_netns_list, node) {
		debugfs_remove_recursive(tn->dir);
		tn->dir = NULL;
	}
	debugfs_remove_recursive(tcpstate_netns_dir);
	tcpstate_netns_dir = NULL;
	mutex_unlock(&tcpstate_netns_debugfs_lock);
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
