// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/tcpstate/: read-only views over the engine's data.
 * Files are root-only (0400) and their formats are stable ABI: a header
 * line naming the columns, then one record per line. See
 * Documentation/ABI/testing/debugfs-tcpstate.
 *
 * debugfs_remove_recursive() waits for readers inside these handlers, so
 * the data they read outlives every open file.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/rhashtable.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/engine.h>
#include <tcpstate/log.h>
#include <tcpstate/listeners.h>
#include <tcpstate/netns.h>
#include <tcpstate/limits.h>

static struct dentry *tcpstate_debugfs_dir;

static int version_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "%s\n", TCPSTATE_VERSION);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(version);

/* The global files' view: every namespace together. */
static struct tcpstate_view tcpstate_global_view = { .counters = &tcpstate_global };

/* Pairs never seen are left out, so the file stays short and greppable. */
static int transitions_show(struct seq_file *s, void *unused)
{
	const struct tcpstate_view *view = s->private;
	int from, to;
	u64 n;

	seq_puts(s, "FROM TO COUNT\n");
	for (from = 1; from < TCPSTATE_NR_STATES; from++) {
		for (to = 1; to < TCPSTATE_NR_STATES; to++) {
			n = tcpstate_matrix_read(&view->counters->matrix, from, to);
			if (n)
				seq_printf(s, "%s %s %llu\n",
					   tcpstate_state_name(from),
					   tcpstate_state_name(to), n);
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(transitions);

/* The states ss can show, in the kernel's order; NEW_SYN_RECV is SYN_RECV. */
static bool tcpstate_state_is_gauged(int state)
{
	return state != TCPSTATE_NEW_SYN_RECV && state != TCPSTATE_BOUND_INACTIVE;
}

static int states_show(struct seq_file *s, void *unused)
{
	const struct tcpstate_view *view = s->private;
	int state;

	seq_puts(s, "STATE SOCKETS\n");
	for (state = 1; state < TCPSTATE_NR_STATES; state++)
		if (tcpstate_state_is_gauged(state))
			seq_printf(s, "%s %lld\n", tcpstate_state_name(state),
				   tcpstate_counters_gauge(view->counters, state));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(states);

/* One line per state left at least once: counts per log2(ns) bucket. */
static int histograms_show(struct seq_file *s, void *unused)
{
	const struct tcpstate_view *view = s->private;
	int state, b;

	seq_puts(s, "STATE");
	for (b = 0; b < TCPSTATE_HIST_BUCKETS; b++)
		seq_printf(s, " LE_2^%d_NS", b + 1);
	seq_putc(s, '\n');
	for (state = 1; state < TCPSTATE_NR_STATES; state++) {
		u64 counts[TCPSTATE_HIST_BUCKETS], total = 0;

		for (b = 0; b < TCPSTATE_HIST_BUCKETS; b++) {
			counts[b] = tcpstate_counters_hist(view->counters, state, b);
			total += counts[b];
		}
		if (!total)
			continue;
		seq_puts(s, tcpstate_state_name(state));
		for (b = 0; b < TCPSTATE_HIST_BUCKETS; b++)
			seq_printf(s, " %llu", counts[b]);
		seq_putc(s, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(histograms);

static int stats_show(struct seq_file *s, void *unused)
{
	enum tcpstate_limit_stat lstat;
	enum tcpstate_stat stat;

	seq_puts(s, "COUNTER VALUE\n");
	for (stat = 0; stat < TCPSTATE_STAT_NR; stat++)
		seq_printf(s, "%s %llu\n", tcpstate_stat_name(stat),
			   tcpstate_stat_read(stat));
	seq_printf(s, "invalid_state %llu\n",
		   tcpstate_matrix_read_invalid(&tcpstate_global.matrix));
	seq_printf(s, "probes_missed %lu\n", tcpstate_hooks_nmissed());
	seq_printf(s, "table_entries %u\n", tcpstate_table_count());
	seq_printf(s, "table_max %u\n", tcpstate_table_get_max());
	seq_printf(s, "table_bytes %zu\n", tcpstate_table_memory());
	seq_printf(s, "entry_bytes %zu\n", sizeof(struct tcpstate_sock));
	seq_printf(s, "log_written %llu\n", tcpstate_log_written(&tcpstate_log));
	seq_printf(s, "log_lost %llu\n", tcpstate_log_lost(&tcpstate_log));
	for (lstat = 0; lstat < TCPSTATE_LSTAT_NR; lstat++)
		seq_printf(s, "%s %llu\n", tcpstate_limits_stat_name(lstat),
			   tcpstate_limits_stat_read(lstat));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* --- sockets: a seq_file over an rhashtable walk ------------------------ */

static const char *const tcpstate_kind_names[] = {
	[TCPSTATE_KIND_FULL]	 = "full",
	[TCPSTATE_KIND_REQUEST]	 = "request",
	[TCPSTATE_KIND_TIMEWAIT] = "timewait",
};

static void tcpstate_show_endpoint(struct seq_file *s, const struct tcpstate_sock *ts,
				   const struct in6_addr *addr, u16 port)
{
	if (ts->flags & TCPSTATE_SOCK_INET6)
		seq_printf(s, "[%pI6c]:%u", addr, port);
	else
		seq_printf(s, "%pI4:%u", &addr->s6_addr32[0], port);
}

static void tcpstate_show_sock(struct seq_file *s, struct tcpstate_sock *ts, u64 now)
{
	struct tcpstate_sock copy;
	spinlock_t *lock = tcpstate_sock_lock(ts->cookie);
	unsigned int i, n, first;

	/* A consistent copy: the line never mixes two transitions. */
	spin_lock_bh(lock);
	copy = *ts;
	spin_unlock_bh(lock);

	seq_printf(s, "%llx %u %s %s %s ", copy.cookie, copy.netns_ino,
		   copy.flags & TCPSTATE_SOCK_INET6 ? "inet6" : "inet",
		   tcpstate_kind_names[copy.kind], tcpstate_state_name(copy.state));
	tcpstate_show_endpoint(s, &copy, &copy.saddr, copy.sport);
	seq_putc(s, ' ');
	tcpstate_show_endpoint(s, &copy, &copy.daddr, copy.dport);
	seq_printf(s, " %llu %llu %s ",
		   div_u64(now - copy.created_ns, NSEC_PER_MSEC),
		   div_u64(now - copy.entered_ns, NSEC_PER_MSEC),
		   copy.flags & TCPSTATE_SOCK_ADOPTED ? "adopted" : "seen");
	n = min_t(unsigned int, copy.nr_history, TCPSTATE_SOCK_HISTORY);
	if (!n) {
		seq_puts(s, "-\n");
		return;
	}
	first = copy.nr_history - n;
	for (i = 0; i < n; i++) {
		unsigned int slot = (first + i) % TCPSTATE_SOCK_HISTORY;
		u8 ft = copy.history_state[slot];

		seq_printf(s, "%s%s>%s@%u", i ? "," : "", tcpstate_state_name(ft >> 4),
			   tcpstate_state_name(ft & 0xf), copy.history_ms[slot]);
	}
	seq_putc(s, '\n');
}

struct tcpstate_sockets_iter {
	struct rhashtable_iter iter;
	u64 now;
};

static void *tcpstate_sockets_next_entry(struct tcpstate_sockets_iter *it)
{
	void *ts;

	do {
		ts = rhashtable_walk_next(&it->iter);
	} while (ts == ERR_PTR(-EAGAIN));	/* a resize: entries may repeat, none is lost */
	return ts;
}

static void *sockets_start(struct seq_file *s, loff_t *pos)
	__acquires(RCU)
{
	struct tcpstate_sockets_iter *it = s->private;
	void *ts;

	/*
	 * From the top (a first read, or a rewind: lseek() or pread() at 0):
	 * a walk of its own, not the rest of the last one.
	 */
	if (*pos == 0) {
		rhashtable_walk_exit(&it->iter);
		rhashtable_walk_enter(&tcpstate_table, &it->iter);
		rhashtable_walk_start(&it->iter);
		return SEQ_START_TOKEN;
	}
	rhashtable_walk_start(&it->iter);
	/* Resuming: the entry that did not fit last time, shown again. */
	do {
		ts = rhashtable_walk_peek(&it->iter);
	} while (ts == ERR_PTR(-EAGAIN));
	return ts;
}

static void *sockets_next(struct seq_file *s, void *v, loff_t *pos)
{
	++*pos;
	return tcpstate_sockets_next_entry(s->private);
}

static void sockets_stop(struct seq_file *s, void *v)
	__releases(RCU)
{
	struct tcpstate_sockets_iter *it = s->private;

	rhashtable_walk_stop(&it->iter);
}

static int sockets_seq_show(struct seq_file *s, void *v)
{
	struct tcpstate_sockets_iter *it = s->private;

	if (v == SEQ_START_TOKEN) {
		it->now = ktime_get_ns();
		seq_puts(s, "COOKIE NETNS FAMILY KIND STATE LOCAL REMOTE AGE_MS IN_STATE_MS ORIGIN HISTORY\n");
		return 0;
	}
	tcpstate_show_sock(s, v, it->now);
	return 0;
}

static const struct seq_operations sockets_seq_ops = {
	.start = sockets_start,
	.next = sockets_next,
	.stop = sockets_stop,
	.show = sockets_seq_show,
};

static int sockets_open(struct inode *inode, struct file *file)
{
	struct tcpstate_sockets_iter *it;

	it = __seq_open_private(file, &sockets_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	rhashtable_walk_enter(&tcpstate_table, &it->iter);
	return 0;
}

static int sockets_release(struct inode *inode, struct file *file)
{
	struct seq_file *s = file->private_data;
	struct tcpstate_sockets_iter *it = s->private;

	rhashtable_walk_exit(&it->iter);
	return seq_release_private(inode, file);
}

static const struct file_operations sockets_fops = {
	.owner = THIS_MODULE,
	.open = sockets_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = sockets_release,
};

static int listeners_show(struct seq_file *s, void *unused)
{
	const struct tcpstate_view *view = s->private;

	return tcpstate_listeners_show(s, view->net);
}
DEFINE_SHOW_ATTRIBUTE(listeners);

/* The aggregate files, for all namespaces or one (module/netns.c). */
void tcpstate_debugfs_create_view(struct dentry *dir, struct tcpstate_view *view)
{
	debugfs_create_file("states", 0400, dir, view, &states_fops);
	debugfs_create_file("transitions", 0400, dir, view, &transitions_fops);
	debugfs_create_file("histograms", 0400, dir, view, &histograms_fops);
	debugfs_create_file("listeners", 0400, dir, view, &listeners_fops);
}

/*
 * Only the directory, which may fail the load: it has no file operations
 * of ours. The files come with tcpstate_debugfs_publish().
 */
int tcpstate_debugfs_init(void)
{
	struct dentry *dir;

	dir = debugfs_create_dir("tcpstate", NULL);
	if (IS_ERR(dir)) {
		pr_err("cannot create debugfs directory: %ld\n", PTR_ERR(dir));
		return PTR_ERR(dir);
	}
	tcpstate_debugfs_dir = dir;
	return 0;
}

/*
 * The files, last in the load, once nothing can fail it: the kernel frees
 * a module whose init failed without waiting for its open files (their
 * module reference does not hold it), and the release of a debugfs file
 * still reads our file_operations. Cannot fail: a file debugfs could not
 * make is missing, and nothing else depends on it (debugfs's rule: its
 * callers do not check).
 */
void tcpstate_debugfs_publish(void)
{
	struct dentry *dir = tcpstate_debugfs_dir;

	debugfs_create_file("version", 0400, dir, NULL, &version_fops);
	tcpstate_debugfs_create_view(dir, &tcpstate_global_view);
	debugfs_create_file("stats", 0400, dir, NULL, &stats_fops);
	debugfs_create_file("sockets", 0400, dir, NULL, &sockets_fops);
	tcpstate_log_debugfs_init(&tcpstate_log, dir);
	tcpstate_limits_debugfs_init(dir);
	tcpstate_netns_publish(dir);
}

/* Waits for readers inside the files; call tcpstate_log_shutdown() first. */
void tcpstate_debugfs_uninit(void)
{
	tcpstate_netns_unpublish();
	debugfs_remove_recursive(tcpstate_debugfs_dir);
	tcpstate_debugfs_dir = NULL;
}
