// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: TCP socket state tracking for operators.
 *
 * The state machine we count (RFC 793 plus the kernel's request socket):
 *
 *                         CLOSE
 *            connect() /        \ listen()
 *                     v          v
 *              SYN_SENT          LISTEN ----SYN----> NEW_SYN_RECV
 *                  |                                 (request sock,
 *                  | SYN+ACK                          ss: SYN-RECV)
 *                  v                                      | ACK: child
 *             ESTABLISHED <-------- SYN_RECV <------------+
 *              /        \
 *     close() /          \ FIN received
 *            v            v
 *       FIN_WAIT1      CLOSE_WAIT
 *        |     \           | close()
 *   ACK  |      \ FIN      v
 *        v       v      LAST_ACK ---ACK---> CLOSE
 *   FIN_WAIT2  CLOSING
 *        |        | ACK
 *    FIN |        v
 *        +---> TIME_WAIT (timewait sock) ---timer---> gone
 *
 * Counters:
 *   transitions[from][to]  full-socket state changes seen by the
 *                          inet_sock_set_state tracepoint since load (or
 *                          the last reset), summed over CPUs.
 *   transitions.invalid    events naming a state number we do not know.
 *
 * Subsystems come up in the order below and go down in reverse. The hooks
 * are the last to come up that can fail, so a handler never sees
 * half-built state. The debugfs files come after them, once the load
 * cannot fail any more (tcpstate_debugfs_publish() says why), and go
 * first.
 */
#include <linux/module.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/engine.h>
#include <tcpstate/log.h>
#include <tcpstate/listeners.h>
#include <tcpstate/netns.h>
#include <tcpstate/limits.h>

struct tcpstate_log tcpstate_log;

/* Written by sysfs, read by every handler; a torn read is impossible for a bool. */
bool tcpstate_enabled = true;

static unsigned int log_size = TCPSTATE_LOG_DEFAULT_RECORDS;
module_param(log_size, uint, 0400);
MODULE_PARM_DESC(log_size, "transition log records per CPU at load (sysfs log_size later)");

static int __init tcpstate_init(void)
{
	int ret;

	ret = tcpstate_engine_init();
	if (ret)
		return ret;
	ret = tcpstate_limits_stats_init();
	if (ret)
		goto out_uninit_engine;
	ret = tcpstate_table_init();
	if (ret)
		goto out_uninit_limits_stats;
	ret = tcpstate_listeners_init();
	if (ret)
		goto out_uninit_table;
	ret = tcpstate_log_init(&tcpstate_log, log_size);
	if (ret)
		goto out_uninit_listeners;
	ret = tcpstate_debugfs_init();
	if (ret)
		goto out_uninit_log;
	ret = tcpstate_netns_init();
	if (ret)
		goto out_uninit_debugfs;
	ret = tcpstate_sysfs_init();
	if (ret)
		goto out_uninit_netns;
	ret = tcpstate_limits_init(tcpstate_sysfs_kobject());
	if (ret)
		goto out_uninit_sysfs;
	ret = tcpstate_hooks_init();
	if (ret)
		goto out_uninit_limits;
	/* After the hooks: a socket born during the walk is seen by one or both. */
	tcpstate_adopt_existing();
	tcpstate_sweep_start();
	tcpstate_debugfs_publish();

	pr_info("version %s loaded, tracking %u existing sockets\n",
		TCPSTATE_VERSION, tcpstate_table_count());
	return 0;

out_uninit_limits:
	tcpstate_limits_uninit();
out_uninit_sysfs:
	tcpstate_sysfs_uninit();
out_uninit_netns:
	tcpstate_netns_uninit();
out_uninit_debugfs:
	tcpstate_debugfs_uninit();	/* only the directory: no reader */
out_uninit_log:
	tcpstate_log_uninit(&tcpstate_log);
out_uninit_listeners:
	tcpstate_listeners_uninit();
out_uninit_table:
	tcpstate_table_uninit();
out_uninit_limits_stats:
	tcpstate_limits_stats_uninit();
out_uninit_engine:
	tcpstate_engine_uninit();
	return ret;
}

static void __exit tcpstate_exit(void)
{
	/* Wake readers blocked in events: debugfs removal waits for them. */
	tcpstate_log_shutdown(&tcpstate_log);
	tcpstate_debugfs_uninit();
	tcpstate_sweep_stop();
	/* No TIME_WAIT kill while the hooks go: the engine could miss it. */
	tcpstate_twbudget_stop();
	/* Returns once no handler runs: nothing below is reachable from a hook. */
	tcpstate_hooks_uninit();
	tcpstate_limits_uninit();
	tcpstate_sysfs_uninit();
	tcpstate_netns_uninit();
	tcpstate_log_uninit(&tcpstate_log);
	tcpstate_listeners_uninit();
	tcpstate_table_uninit();
	tcpstate_limits_stats_uninit();
	tcpstate_engine_uninit();
	pr_info("unloaded\n");
}

module_init(tcpstate_init);
module_exit(tcpstate_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("tcpstate developers");
MODULE_DESCRIPTION("TCP socket state tracking, limits and alerts");
MODULE_VERSION(TCPSTATE_VERSION);
