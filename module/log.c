// SPDX-License-Identifier: GPL-2.0
/*
 * The transition log: every transition the hooks see becomes one fixed
 * 72-byte struct tcpstate_record in the ring of the CPU that saw it. This
 * file owns the rings, the loss accounting and the two debugfs readers
 * (events, events_raw); it does not know where records come from.
 *
 * One ring per possible CPU, a flight recorder:
 *
 *        tail (oldest unread)             head (next write)
 *          v                                v
 *   ... | rec | rec | rec | rec | rec | rec |   free   | ...   slot = n & mask
 *
 *   head, tail  u64 counts of records ever written to / taken from this
 *               CPU's ring; head - tail <= records_per_cpu.
 *   written     records ever committed to this CPU's ring.
 *   lost        records gone unread: overwritten when the ring was full,
 *               or dropped by a resize. written = read + lost + unread.
 *   gap         records lost since the reader last took one from this
 *               CPU; printed as "# lost N" before that CPU's next record.
 *
 * Concurrency. The writer runs in any context but NMI (hooks on TCP code:
 * process or softirq) and could nest on one CPU. It takes its own CPU's
 * raw spinlock with interrupts off: interrupts off is what makes nesting
 * impossible, and the lock is what keeps out the reader and a resize
 * running on other CPUs, the only others who touch a ring (the reader
 * moves tail, the writer moves it too when it overwrites). No writer
 * ever takes another CPU's lock, so there is no global lock per event.
 * The lock is raw because on PREEMPT_RT a spinlock_t sleeps. Every
 * access to a ring and its indices is under its lock, so resize swaps
 * rings under the lock and frees the old ones after dropping it, with no
 * RCU.
 *
 * Readers consume: a record read is gone. Only one reader may have events
 * or events_raw open at a time (-EBUSY otherwise), so each record is read
 * once. The reader keeps a lookahead of one record per CPU (staged) and
 * merges them by ts_ns, so transitions of one socket seen on different
 * CPUs come out in the order they happened. Within one CPU records come
 * out in write order: a nested writer's record (taken with a later
 * timestamp) can precede the one it interrupted.
 *
 * Lock order: read_lock or resize_lock (mutexes), then one CPU's ring
 * lock. The waitqueue lock is never taken under a ring lock.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/log.h>

#define TCPSTATE_LOG_READER_BUSY	0	/* bit in reader_busy */

struct tcpstate_log_ring {
	u32 mask;			/* records - 1 */
	struct tcpstate_record rec[];
};

struct tcpstate_log_cpu {
	raw_spinlock_t lock;
	/* Protected by lock; head and tail also read unlocked as a hint. */
	struct tcpstate_log_ring *ring;
	u64 head;
	u64 tail;
	u64 gap;
	/* Written under lock, summed unlocked (x86_64: a u64 load cannot tear). */
	u64 written;
	u64 lost;
	/* Protected by the log's read_lock; the writer never touches these. */
	struct tcpstate_record staged ____cacheline_aligned_in_smp;
	u64 staged_gap;			/* records lost just before staged */
	bool have_staged;
};

static struct tcpstate_log_ring *ring_alloc(unsigned int records, int cpu)
{
	struct tcpstate_log_ring *ring;

	/* A log_size write that fails gets ENOMEM: no allocation warning. */
	ring = kvmalloc_node(struct_size(ring, rec, records), GFP_KERNEL | __GFP_NOWARN,
			     cpu_to_node(cpu));
	if (ring)
		ring->mask = records - 1;
	return ring;
}

static bool records_in_range(unsigned int records)
{
	BUILD_BUG_ON(!is_power_of_2(TCPSTATE_LOG_MIN_RECORDS));
	BUILD_BUG_ON(!is_power_of_2(TCPSTATE_LOG_MAX_RECORDS));
	BUILD_BUG_ON(sizeof(struct tcpstate_record) != TCPSTATE_RECORD_SIZE);
	return records >= TCPSTATE_LOG_MIN_RECORDS &&
	       records <= TCPSTATE_LOG_MAX_RECORDS;
}

/*
 * Queued by a writer that found a reader waiting; runs in hardirq context
 * outside every lock the writer's caller may have held.
 */
static void log_wakeup(struct irq_work *work)
{
	struct tcpstate_log *log = container_of(work, struct tcpstate_log, wakeup);

	WRITE_ONCE(log->wakeup_wanted, false);
	wake_up_all(&log->wait);
}

int tcpstate_log_init(struct tcpstate_log *log, unsigned int records_per_cpu)
{
	struct tcpstate_log_cpu *c;
	unsigned int records;
	int cpu;

	if (!records_in_range(records_per_cpu))
		return -ERANGE;
	records = roundup_pow_of_two(records_per_cpu);

	log->cpus = alloc_percpu(struct tcpstate_log_cpu);
	if (!log->cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(log->cpus, cpu);
		raw_spin_lock_init(&c->lock);
		c->ring = ring_alloc(records, cpu);
		if (!c->ring)
			goto out_free_rings;
	}
	log->records_per_cpu = records;
	mutex_init(&log->resize_lock);
	mutex_init(&log->read_lock);
	log->reader_busy = 0;
	log->line_len = 0;
	log->line_off = 0;
	init_waitqueue_head(&log->wait);
	init_irq_work(&log->wakeup, log_wakeup);
	log->wakeup_wanted = false;
	log->dying = false;
	return 0;

out_free_rings:
	for_each_possible_cpu(cpu)
		kvfree(per_cpu_ptr(log->cpus, cpu)->ring);
	free_percpu(log->cpus);
	log->cpus = NULL;
	return -ENOMEM;
}

/*
 * The caller has unregistered the hooks and waited for running handlers
 * (tracepoint_synchronize_unregister()), and removed the debugfs files,
 * which cannot be open then: an open file pins the module. So nobody
 * writes, reads or resizes any more; only a wakeup may still be queued.
 */
void tcpstate_log_uninit(struct tcpstate_log *log)
{
	int cpu;

	irq_work_sync(&log->wakeup);
	for_each_possible_cpu(cpu)
		kvfree(per_cpu_ptr(log->cpus, cpu)->ring);
	free_percpu(log->cpus);
	log->cpus = NULL;
	mutex_destroy(&log->read_lock);
	mutex_destroy(&log->resize_lock);
}

/*
 * Claims the next slot of @cpu's ring, overwriting the oldest unread
 * record when full, and returns with that ring's lock held. The caller
 * has interrupts off, so nothing nests inside the critical section on
 * this CPU. Only the tests pass a @cpu other than the current one.
 */
static struct tcpstate_record *log_claim(struct tcpstate_log *log, int cpu)
	__acquires(ring_lock)
{
	struct tcpstate_log_cpu *c = per_cpu_ptr(log->cpus, cpu);

	lockdep_assert_irqs_disabled();
	raw_spin_lock(&c->lock);
	if (c->head - c->tail > c->ring->mask) {
		WRITE_ONCE(c->tail, c->tail + 1);
		WRITE_ONCE(c->lost, c->lost + 1);
		c->gap++;
	}
	return &c->ring->rec[c->head & c->ring->mask];
}

/*
 * Publishes the slot log_claim() returned and drops the ring lock.
 * Returns whether a reader asked to be woken.
 */
static bool log_publish(struct tcpstate_log *log, int cpu,
			struct tcpstate_record *slot)
	__releases(ring_lock)
{
	struct tcpstate_log_cpu *c = per_cpu_ptr(log->cpus, cpu);
	bool wake;

	/* The ring knows its CPU; the writer need not fill cpu and reserved. */
	slot->cpu = cpu;
	slot->reserved = 0;
	WRITE_ONCE(c->head, c->head + 1);
	WRITE_ONCE(c->written, c->written + 1);
	/*
	 * Read under the lock: a reader sets wakeup_wanted before it takes
	 * this lock to look for records (log_readable()), so either it sees
	 * this record or we see its request.
	 */
	wake = READ_ONCE(log->wakeup_wanted);
	raw_spin_unlock(&c->lock);
	return wake;
}

/*
 * Hot path, in two halves so that the writer builds its record in the
 * ring itself: a record on the stack would be zeroed first (Debian builds
 * with CONFIG_INIT_STACK_ALL_ZERO) and then copied. tcpstate_log_reserve()
 * turns interrupts off, which keeps a nested writer out of the ring on
 * this CPU, and returns the slot with this CPU's ring locked; the caller
 * fills every field but cpu and reserved, at once and without sleeping,
 * and passes it to tcpstate_log_commit() with the flags reserve saved.
 * O(1), never allocates.
 */
struct tcpstate_record *tcpstate_log_reserve(struct tcpstate_log *log, unsigned long *flags)
	__acquires(ring_lock)
{
	local_irq_save(*flags);
	return log_claim(log, smp_processor_id());
}

void tcpstate_log_commit(struct tcpstate_log *log, struct tcpstate_record *slot,
			 unsigned long flags)
	__releases(ring_lock)
{
	bool wake = log_publish(log, smp_processor_id(), slot);

	local_irq_restore(flags);
	/*
	 * Not wake_up(): it takes the waitqueue lock and the rq lock of the
	 * woken task, and a hook (tracepoint, ftrace callback, kretprobe)
	 * may run with rq or pi locks held, which would deadlock. irq_work_queue() only sets a
	 * flag and raises a self-IPI (as kernel/trace/ring_buffer.c does);
	 * log_wakeup() then runs in a hardirq of its own.
	 */
	if (wake)
		irq_work_queue(&log->wakeup);
}

u64 tcpstate_log_written(const struct tcpstate_log *log)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(log->cpus, cpu)->written);
	return sum;
}

u64 tcpstate_log_lost(const struct tcpstate_log *log)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(log->cpus, cpu)->lost);
	return sum;
}

unsigned int tcpstate_log_records_per_cpu(const struct tcpstate_log *log)
{
	return READ_ONCE(log->records_per_cpu);
}

/*
 * Process context (sysfs), while writers and a reader run. New rings are
 * allocated first, so a failure changes nothing. Unread records in the
 * old rings are dropped and counted as lost (and reported as a gap);
 * copying them would mean an unbounded copy with interrupts off.
 * Records already staged by the reader survive.
 */
int tcpstate_log_resize(struct tcpstate_log *log, unsigned int records_per_cpu)
{
	struct tcpstate_log_ring **rings;
	struct tcpstate_log_cpu *c;
	unsigned int records;
	unsigned long flags;
	u64 dropped;
	int cpu, ret = 0;

	if (!records_in_range(records_per_cpu))
		return -ERANGE;
	records = roundup_pow_of_two(records_per_cpu);

	rings = kcalloc(nr_cpu_ids, sizeof(*rings), GFP_KERNEL);
	if (!rings)
		return -ENOMEM;
	mutex_lock(&log->resize_lock);
	if (records == log->records_per_cpu)
		goto out_unlock;
	for_each_possible_cpu(cpu) {
		rings[cpu] = ring_alloc(records, cpu);
		if (!rings[cpu]) {
			ret = -ENOMEM;
			goto out_free_rings;
		}
	}
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(log->cpus, cpu);
		raw_spin_lock_irqsave(&c->lock, flags);
		swap(c->ring, rings[cpu]);
		dropped = c->head - c->tail;
		WRITE_ONCE(c->lost, c->lost + dropped);
		c->gap += dropped;
		WRITE_ONCE(c->tail, c->head);
		raw_spin_unlock_irqrestore(&c->lock, flags);
	}
	WRITE_ONCE(log->records_per_cpu, records);
out_free_rings:
	/* The old rings after the swap, or the new ones after a failure. */
	for_each_possible_cpu(cpu)
		kvfree(rings[cpu]);
out_unlock:
	mutex_unlock(&log->resize_lock);
	kfree(rings);
	return ret;
}

/* Moves @c's oldest unread record, and the gap before it, into its stage. */
static bool log_stage(struct tcpstate_log_cpu *c)
{
	unsigned long flags;
	bool got = false;

	/* Unlocked hint, so an idle CPU costs the reader no lock. */
	if (READ_ONCE(c->head) == READ_ONCE(c->tail))
		return false;
	raw_spin_lock_irqsave(&c->lock, flags);
	if (c->head != c->tail) {
		c->staged = c->ring->rec[c->tail & c->ring->mask];
		c->staged_gap = c->gap;
		c->gap = 0;
		WRITE_ONCE(c->tail, c->tail + 1);
		got = true;
	}
	raw_spin_unlock_irqrestore(&c->lock, flags);
	if (got)
		WRITE_ONCE(c->have_staged, true);
	return got;
}

/*
 * Returns the CPU whose staged record is the oldest, or NULL if every
 * ring is empty. Stages are refilled until a pass finds nothing new:
 * then every empty ring was looked at after every staged record was
 * taken, so a record written before a staged one (the same socket's
 * previous transition, say, on another CPU) is staged too and wins.
 * At most nr_cpu_ids + 1 passes.
 */
static struct tcpstate_log_cpu *log_pick(struct tcpstate_log *log)
{
	struct tcpstate_log_cpu *c, *oldest = NULL;
	bool refilled;
	int cpu;

	lockdep_assert_held(&log->read_lock);
	do {
		refilled = false;
		for_each_possible_cpu(cpu) {
			c = per_cpu_ptr(log->cpus, cpu);
			if (!c->have_staged && log_stage(c))
				refilled = true;
		}
	} while (refilled);

	/* Ties go to the lower CPU number: the order is deterministic. */
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(log->cpus, cpu);
		if (c->have_staged &&
		    (!oldest || c->staged.ts_ns < oldest->staged.ts_ns))
			oldest = c;
	}
	return oldest;
}

static void log_consume(struct tcpstate_log_cpu *c)
{
	c->staged_gap = 0;
	WRITE_ONCE(c->have_staged, false);
}

static const char *const log_kind_names[] = {
	[TCPSTATE_KIND_FULL]	 = "full",
	[TCPSTATE_KIND_REQUEST]	 = "request",
	[TCPSTATE_KIND_TIMEWAIT] = "timewait",
};

/* "addr:port", "[addr6]:port", or "-" for a family we do not know. */
static void log_format_endpoint(char *buf, size_t size, u8 family,
				const u8 *addr, u16 port)
{
	if (family == AF_INET)
		scnprintf(buf, size, "%pI4:%u", addr, port);
	else if (family == AF_INET6)
		scnprintf(buf, size, "[%pI6c]:%u", addr, port);
	else
		scnprintf(buf, size, "-");
}

/*
 * One record as one line of debugfs events (stable ABI, documented in
 * Documentation/ABI/testing/debugfs-tcpstate), fields separated by one
 * space:
 *
 *   TS_NS CPU NETNS COOKIE FAMILY KIND LOCAL REMOTE OLD NEW DWELL_NS
 *   123456789 1 4026531840 1f inet full 127.0.0.1:41234 127.0.0.1:80 SYN_SENT ESTABLISHED 52000
 *
 * COOKIE is lowercase hex without 0x, as `ss -e` prints it after "sk:".
 * FAMILY is inet or inet6 (else "unknown", with LOCAL and REMOTE "-");
 * KIND is full, request or timewait (else "unknown"); IPv6 endpoints are
 * [addr]:port in RFC 5952 form. Returns the line's length.
 */
static size_t log_format(const struct tcpstate_record *r, char *buf, size_t size)
{
	char local[sizeof("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535")];
	char remote[sizeof(local)];
	const char *family;

	log_format_endpoint(local, sizeof(local), r->family, r->saddr, r->sport);
	log_format_endpoint(remote, sizeof(remote), r->family, r->daddr, r->dport);
	family = r->family == AF_INET ? "inet" :
		 r->family == AF_INET6 ? "inet6" : "unknown";
	return scnprintf(buf, size, "%llu %u %u %llx %s %s %s %s %s %s %llu\n",
			 r->ts_ns, r->cpu, r->netns_ino, r->cookie, family,
			 r->kind < ARRAY_SIZE(log_kind_names) ?
				log_kind_names[r->kind] : "unknown",
			 local, remote, tcpstate_state_name(r->old_state),
			 tcpstate_state_name(r->new_state), r->dwell_ns);
}

/*
 * Formats the next line of the text stream into @buf and consumes what
 * it printed: "# lost N" if records were lost on the oldest record's CPU
 * just before it, else that record. Returns 0 when there is nothing.
 */
static size_t log_next_line(struct tcpstate_log *log, char *buf, size_t size)
{
	struct tcpstate_log_cpu *c = log_pick(log);
	size_t len;

	if (!c)
		return 0;
	if (c->staged_gap) {
		len = scnprintf(buf, size, "# lost %llu\n", c->staged_gap);
		c->staged_gap = 0;
		return len;
	}
	len = log_format(&c->staged, buf, size);
	log_consume(c);
	return len;
}

/* Returns bytes copied, 0 if there was nothing, or -EFAULT. */
static ssize_t log_fill_text(struct tcpstate_log *log, char __user *ubuf, size_t count)
{
	size_t copied = 0, n;

	while (copied < count) {
		if (log->line_off == log->line_len) {
			log->line_off = 0;
			log->line_len = log_next_line(log, log->line, sizeof(log->line));
			if (!log->line_len)
				break;
		}
		n = min(count - copied, log->line_len - log->line_off);
		/* On a fault the line stays pending for the next read. */
		if (copy_to_user(ubuf + copied, log->line + log->line_off, n))
			return copied ? copied : -EFAULT;
		log->line_off += n;
		copied += n;
		cond_resched();	/* a read may ask for millions of lines */
	}
	return copied;
}

/* Whole records only; gaps are not in-band here, only in the counters. */
static ssize_t log_fill_raw(struct tcpstate_log *log, char __user *ubuf, size_t count)
{
	const size_t rec_size = sizeof(struct tcpstate_record);
	struct tcpstate_log_cpu *c;
	size_t copied = 0;

	while (count - copied >= rec_size) {
		c = log_pick(log);
		if (!c)
			break;
		if (copy_to_user(ubuf + copied, &c->staged, rec_size))
			return copied ? copied : -EFAULT;
		log_consume(c);
		copied += rec_size;
		cond_resched();
	}
	return copied;
}

/*
 * The wait condition: must not sleep (it runs in TASK_INTERRUPTIBLE), so
 * it takes only ring locks. wakeup_wanted is set before the rings are
 * looked at; see log_publish() for why that closes the race.
 */
static bool log_readable(struct tcpstate_log *log)
{
	struct tcpstate_log_cpu *c;
	unsigned long flags;
	bool found;
	int cpu;

	if (READ_ONCE(log->dying))
		return true;
	WRITE_ONCE(log->wakeup_wanted, true);
	if (READ_ONCE(log->line_off) != READ_ONCE(log->line_len))
		return true;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(log->cpus, cpu);
		if (READ_ONCE(c->have_staged))
			return true;
		raw_spin_lock_irqsave(&c->lock, flags);
		found = c->head != c->tail;
		raw_spin_unlock_irqrestore(&c->lock, flags);
		if (found)
			return true;
	}
	return false;
}

/*
 * Like trace_pipe: returns as soon as it has anything, blocks (unless
 * @nonblock) while there is nothing, and returns 0 (end of file) once the
 * log is shutting down and drained, so no reader is left asleep.
 */
static ssize_t log_read(struct tcpstate_log *log, char __user *ubuf, size_t count,
			bool nonblock, bool raw)
{
	ssize_t ret;

	if (raw && count < sizeof(struct tcpstate_record))
		return -EINVAL;
	if (!count)
		return 0;
	for (;;) {
		/* Another reader may hold it through a faulting copy. */
		if (nonblock) {
			if (!mutex_trylock(&log->read_lock))
				return -EAGAIN;
		} else if (mutex_lock_interruptible(&log->read_lock)) {
			return -ERESTARTSYS;
		}
		ret = raw ? log_fill_raw(log, ubuf, count) :
			    log_fill_text(log, ubuf, count);
		mutex_unlock(&log->read_lock);
		if (ret)
			return ret;
		if (READ_ONCE(log->dying))
			return 0;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(log->wait, log_readable(log));
		if (ret)
			return ret;
	}
}

/*
 * debugfs files, checked against fs/debugfs in 6.1 and 6.12 (the same
 * there): debugfs_create_file() installs the full proxy, whose open takes
 * a module reference (fops_get() on our .owner) held until release, so
 * rmmod fails ("in use", EWOULDBLOCK from try_stop_module()) while events
 * or events_raw is open, and our exit never races an open file. Each
 * read() and poll() runs between debugfs_file_get() and
 * debugfs_file_put(), and debugfs_remove() waits for those to drain: a
 * reader asleep in read() would hang removal forever. 6.12 offers
 * debugfs_enter_cancellation() for that, 6.1 does not; so instead
 * tcpstate_log_shutdown() sets dying and wakes readers, which then
 * return 0 without sleeping again. The proxy's release is not protected
 * against removal, so release uses only file->private_data, the log,
 * which outlives the file because the file pins the module.
 */
static int log_open(struct inode *inode, struct file *file)
{
	struct tcpstate_log *log = inode->i_private;

	if (READ_ONCE(log->dying))
		return -ENODEV;
	if (test_and_set_bit_lock(TCPSTATE_LOG_READER_BUSY, &log->reader_busy))
		return -EBUSY;
	file->private_data = log;
	return stream_open(inode, file);
}

/* The unread rest of a partly read text line goes with its reader. */
static int log_release(struct inode *inode, struct file *file)
{
	struct tcpstate_log *log = file->private_data;

	mutex_lock(&log->read_lock);
	log->line_len = 0;
	log->line_off = 0;
	mutex_unlock(&log->read_lock);
	clear_bit_unlock(TCPSTATE_LOG_READER_BUSY, &log->reader_busy);
	return 0;
}

static ssize_t events_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	return log_read(file->private_data, ubuf, count,
			file->f_flags & O_NONBLOCK, false);
}

static ssize_t events_raw_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	return log_read(file->private_data, ubuf, count,
			file->f_flags & O_NONBLOCK, true);
}

static __poll_t log_poll(struct file *file, struct poll_table_struct *wait)
{
	struct tcpstate_log *log = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &log->wait, wait);
	if (log_readable(log))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(log->dying))
		mask |= EPOLLHUP;
	return mask;
}

static const struct file_operations events_fops = {
	.owner		= THIS_MODULE,
	.open		= log_open,
	.release	= log_release,
	.read		= events_read,
	.poll		= log_poll,
};

static const struct file_operations events_raw_fops = {
	.owner		= THIS_MODULE,
	.open		= log_open,
	.release	= log_release,
	.read		= events_raw_read,
	.poll		= log_poll,
};

/* The caller removes the files with debugfs_remove_recursive(@dir). */
void tcpstate_log_debugfs_init(struct tcpstate_log *log, struct dentry *dir)
{
	debugfs_create_file("events", 0400, dir, log, &events_fops);
	debugfs_create_file("events_raw", 0400, dir, log, &events_raw_fops);
}

/*
 * Call before removing the debugfs files: wakes every reader for good.
 * Writers may go on; their records are simply never read.
 */
void tcpstate_log_shutdown(struct tcpstate_log *log)
{
	WRITE_ONCE(log->dying, true);
	wake_up_all(&log->wait);
}
