/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-namespace figures (module/netns.c) and the debugfs view they share
 * with the global ones (module/debugfs.c).
 */
#ifndef _TCPSTATE_NETNS_H
#define _TCPSTATE_NETNS_H

struct dentry;
struct net;
struct tcpstate_counters;

/* What one set of aggregate files shows: all namespaces (net NULL) or one. */
struct tcpstate_view {
	struct tcpstate_counters *counters;
	struct net *net;
};

int tcpstate_netns_init(void);
void tcpstate_netns_uninit(void);
void tcpstate_netns_publish(struct dentry *debugfs_root);
void tcpstate_netns_unpublish(void);
void tcpstate_netns_reset(void);

/* debugfs.c: states, transitions, histograms and listeners of a view. */
void tcpstate_debugfs_create_view(struct dentry *dir, struct tcpstate_view *view);

#endif /* _TCPSTATE_NETNS_H */
