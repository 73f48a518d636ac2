/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transition log (module/log.c): per-CPU flight-recorder rings of
 * struct tcpstate_record, with exact loss counts, consumed by one reader
 * at a time through debugfs events (text) or events_raw (binary).
 *
 * Lifetime, as main.c must order it:
 *
 *   tcpstate_log_init()            before the hooks are registered
 *   tcpstate_log_debugfs_init()    with the debugfs files, once the load
 *                                  cannot fail (tcpstate_debugfs_publish())
 *   ... hooks call tcpstate_log_reserve() and tcpstate_log_commit(),
 *       sysfs calls tcpstate_log_resize()
 *   tcpstate_log_shutdown()        before debugfs_remove_recursive(dir)
 *   tcpstate_log_uninit()          after the hooks are unregistered and
 *                                  tracepoint_synchronize_unregister()
 */
#ifndef _TCPSTATE_LOG_H
#define _TCPSTATE_LOG_H

#include <linux/bits.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/tcpstate.h>

struct dentry;
struct tcpstate_log_cpu;

/*
 * Ring sizes, in records per possible CPU (one record is
 * TCPSTATE_RECORD_SIZE = 72 bytes). Requests are rounded up to a power
 * of two so that a slot index is a mask.
 */
#define TCPSTATE_LOG_DEFAULT_RECORDS	4096		/* records/CPU: 288 KiB per CPU */
#define TCPSTATE_LOG_MIN_RECORDS	16		/* records/CPU: 1 KiB per CPU */
#define TCPSTATE_LOG_MAX_RECORDS	BIT(20)		/* records/CPU: 72 MiB per CPU */

/* Longest text line is 217 bytes: IPv6 both ends, longest names, u64s. */
#define TCPSTATE_LOG_LINE_MAX		256		/* bytes */

struct tcpstate_log {
	/* Rings, counters and the reader's lookahead, one set per possible CPU. */
	struct tcpstate_log_cpu __percpu *cpus;

	/* Records per CPU ring: written under resize_lock, read anywhere. */
	unsigned int records_per_cpu;
	struct mutex resize_lock;	/* serialises tcpstate_log_resize() */

	/*
	 * The consumer. read_lock serialises readers and protects the
	 * per-CPU lookahead and the unfinished text line below. Nesting:
	 * read_lock or resize_lock, then one CPU's ring lock; never two
	 * ring locks at once.
	 */
	struct mutex read_lock;
	unsigned long reader_busy;	/* bit 0: events or events_raw is open */
	char line[TCPSTATE_LOG_LINE_MAX];
	size_t line_len, line_off;	/* line[line_off..line_len) not yet read */

	/*
	 * Waking readers. A writer must not touch the waitqueue (it may run
	 * under scheduler locks), so it queues wakeup, an irq_work that does
	 * the wake_up_all() from a clean hardirq context. wakeup_wanted is
	 * set by a reader about to sleep and cleared by the irq_work, so a
	 * writer only pays for the irq_work while someone waits.
	 */
	wait_queue_head_t wait;
	struct irq_work wakeup;
	bool wakeup_wanted;
	bool dying;			/* set by tcpstate_log_shutdown() */
};

int tcpstate_log_init(struct tcpstate_log *log, unsigned int records_per_cpu);
void tcpstate_log_uninit(struct tcpstate_log *log);
int tcpstate_log_resize(struct tcpstate_log *log, unsigned int records_per_cpu);
unsigned int tcpstate_log_records_per_cpu(const struct tcpstate_log *log);

/* Interrupts off from one to the other: see log.c. */
struct tcpstate_record *tcpstate_log_reserve(struct tcpstate_log *log, unsigned long *flags);
void tcpstate_log_commit(struct tcpstate_log *log, struct tcpstate_record *slot,
			 unsigned long flags);

u64 tcpstate_log_written(const struct tcpstate_log *log);
u64 tcpstate_log_lost(const struct tcpstate_log *log);

void tcpstate_log_debugfs_init(struct tcpstate_log *log, struct dentry *dir);
void tcpstate_log_shutdown(struct tcpstate_log *log);

#endif /* _TCPSTATE_LOG_H */
