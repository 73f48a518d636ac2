// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/tcpstate/: read-only views over the counters. Files
 * are root-only (0400) and their formats are stable ABI: a header line
 * naming the columns, then one record per line. See
 * Documentation/ABI/testing/debugfs-tcpstate.
 *
 * debugfs_remove_recursive() waits for readers inside these handlers, so
 * the data they read outlives every open file.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <tcpstate/tcpstate.h>

static struct dentry *tcpstate_debugfs_dir;

static int version_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "%s\n", TCPSTATE_VERSION);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(version);

/* Pairs never seen are left out, so the file stays short and greppable. */
static int transitions_show(struct seq_file *s, void *unused)
{
	int from, to;
	u64 n;

	seq_puts(s, "FROM TO COUNT\n");
	for (from = 1; from < TCPSTATE_NR_STATES; from++) {
		for (to = 1; to < TCPSTATE_NR_STATES; to++) {
			n = tcpstate_matrix_read(&tcpstate_transitions, from, to);
			if (n)
				seq_printf(s, "%s %s %llu\n",
					   tcpstate_state_name(from),
					   tcpstate_state_name(to), n);
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(transitions);

int tcpstate_debugfs_init(void)
{
	struct dentry *dir;

	dir = debugfs_create_dir("tcpstate", NULL);
	if (IS_ERR(dir)) {
		pr_err("cannot create debugfs directory: %ld\n", PTR_ERR(dir));
		return PTR_ERR(dir);
	}
	debugfs_create_file("version", 0400, dir, NULL, &version_fops);
	debugfs_create_file("transitions", 0400, dir, NULL, &transitions_fops);
	tcpstate_debugfs_dir = dir;
	return 0;
}

void tcpstate_debugfs_uninit(void)
{
	debugfs_remove_recursive(tcpstate_debugfs_dir);
	tcpstate_debugfs_dir = NULL;
}
