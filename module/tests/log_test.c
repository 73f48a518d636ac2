// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tcpstate_log, the per-CPU transition rings and their readers
 * (log.c). Each case gets a fresh log of TCPSTATE_LOG_MIN_RECORDS (16)
 * records per CPU from the suite's .init fixture. Records are pushed into
 * a chosen CPU's ring with log_push(), the claim and publish that
 * tcpstate_log_reserve() and tcpstate_log_commit() do on their own CPU,
 * so cross-CPU ordering is tested deterministically; log_test_write()
 * goes through reserve and commit as the engine does.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/mman.h>
#include <linux/workqueue.h>
#include <net/tcp_states.h>
#include <tcpstate/compat.h>
#include "../log.c"

#define LOG_TEST_RECORDS	TCPSTATE_LOG_MIN_RECORDS
#define LOG_TEST_USER_BUF	4096		/* bytes of user memory per case */

static int log_test_init(struct kunit *test)
{
	struct tcpstate_log *log;

	log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, log);
	KUNIT_ASSERT_EQ(test, tcpstate_log_init(log, LOG_TEST_RECORDS), 0);
	test->priv = log;
	return 0;
}

static void log_test_exit(struct kunit *test)
{
	tcpstate_log_uninit(test->priv);
}

/* The ABI example's transition; records differ only in ts_ns. */
static struct tcpstate_record log_test_record(u64 ts)
{
	struct tcpstate_record r = {
		.ts_ns = ts,
		.cookie = 0x1f,
		.dwell_ns = 52000,
		.netns_ino = 4026531840U,
		.family = AF_INET,
		.kind = TCPSTATE_KIND_FULL,
		.old_state = TCP_SYN_SENT,
		.new_state = TCP_ESTABLISHED,
		.sport = 41234,
		.dport = 80,
		.saddr = { 127, 0, 0, 1 },
		.daddr = { 127, 0, 0, 1 },
	};

	return r;
}

/* Caller has interrupts off, as the writer does. */
static void log_push(struct tcpstate_log *log, int cpu, const struct tcpstate_record *rec)
{
	struct tcpstate_record *slot = log_claim(log, cpu);

	*slot = *rec;
	log_publish(log, cpu, slot);
}

/* What a writer does on its own CPU, from any context but NMI. */
static void log_test_write(struct tcpstate_log *log, const struct tcpstate_record *rec)
{
	struct tcpstate_record *slot;
	unsigned long flags;

	slot = tcpstate_log_reserve(log, &flags);
	*slot = *rec;
	tcpstate_log_commit(log, slot, flags);
}

static void log_test_push(struct tcpstate_log *log, int cpu, u64 ts)
{
	struct tcpstate_record r = log_test_record(ts);
	unsigned long flags;

	local_irq_save(flags);
	log_push(log, cpu, &r);
	local_irq_restore(flags);
}

/* The line log_format() gives log_test_record(@ts) seen on @cpu. */
static const char *log_test_line_of(struct kunit *test, u64 ts, int cpu)
{
	char *line = kunit_kzalloc(test, TCPSTATE_LOG_LINE_MAX, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, line);
	snprintf(line, TCPSTATE_LOG_LINE_MAX,
		 "%llu %d 4026531840 1f inet full 127.0.0.1:41234 127.0.0.1:80 SYN_SENT ESTABLISHED 52000\n",
		 ts, cpu);
	return line;
}

/* The next line of the text stream, "" when there is none. */
static const char *log_test_next_line(struct kunit *test, struct tcpstate_log *log)
{
	char *buf = kunit_kzalloc(test, TCPSTATE_LOG_LINE_MAX, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	mutex_lock(&log->read_lock);
	log_next_line(log, buf, TCPSTATE_LOG_LINE_MAX);
	mutex_unlock(&log->read_lock);
	return buf;
}

/* ts_ns of the next record, skipping gaps as events_raw does; 0 if none. */
static u64 log_test_next_ts(struct tcpstate_log *log)
{
	struct tcpstate_log_cpu *c;
	u64 ts = 0;

	mutex_lock(&log->read_lock);
	c = log_pick(log);
	if (c) {
		ts = c->staged.ts_ns;
		log_consume(c);
	}
	mutex_unlock(&log->read_lock);
	return ts;
}

/* Two distinct possible CPUs, or skip: merging needs two rings. */
static void log_test_two_cpus(struct kunit *test, int *a, int *b)
{
	*a = cpumask_first(cpu_possible_mask);
	*b = cpumask_next(*a, cpu_possible_mask);
	if ((unsigned int)*b >= nr_cpu_ids)
		kunit_skip(test, "needs two possible CPUs");
}

static void log_init_out_of_range_returns_erange(struct kunit *test)
{
	struct tcpstate_log log = {};

	KUNIT_EXPECT_EQ(test, tcpstate_log_init(&log, TCPSTATE_LOG_MIN_RECORDS - 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, tcpstate_log_init(&log, TCPSTATE_LOG_MAX_RECORDS + 1), -ERANGE);
	KUNIT_EXPECT_TRUE(test, !log.cpus);
}

static void log_written_counts_every_write(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	struct tcpstate_record r = log_test_record(1);
	int i;

	for (i = 0; i < 100; i++)
		log_test_write(log, &r);

	KUNIT_EXPECT_EQ(test, tcpstate_log_written(log), 100ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_log_lost(log), 100ULL - LOG_TEST_RECORDS);
}

static void log_write_when_full_overwrites_oldest_and_counts_lost(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	u64 ts;

	for (ts = 1; ts <= LOG_TEST_RECORDS + 4; ts++)
		log_test_push(log, 0, ts);

	KUNIT_EXPECT_EQ(test, tcpstate_log_lost(log), 4ULL);
	for (ts = 5; ts <= LOG_TEST_RECORDS + 4; ts++)
		KUNIT_EXPECT_EQ(test, log_test_next_ts(log), ts);
	KUNIT_EXPECT_EQ(test, log_test_next_ts(log), 0ULL);
}

static void log_write_stamps_cpu_and_zeroes_reserved(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	struct tcpstate_record r = log_test_record(7);
	int cpu = cpumask_last(cpu_possible_mask);
	unsigned long flags;

	r.cpu = 999;
	r.reserved = 0xffff;
	local_irq_save(flags);
	log_push(log, cpu, &r);
	local_irq_restore(flags);

	mutex_lock(&log->read_lock);
	KUNIT_ASSERT_NOT_NULL(test, log_pick(log));
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(log->cpus, cpu)->staged.cpu, (u16)cpu);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(log->cpus, cpu)->staged.reserved, (u16)0);
	mutex_unlock(&log->read_lock);
}

static void log_read_merges_cpus_in_timestamp_order(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	int a, b;

	log_test_two_cpus(test, &a, &b);
	log_test_push(log, a, 1);
	log_test_push(log, a, 4);
	log_test_push(log, a, 5);
	log_test_push(log, b, 2);
	log_test_push(log, b, 3);
	log_test_push(log, b, 6);

	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 1, a));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 2, b));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 3, b));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 4, a));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 5, a));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 6, b));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), "");
}

static void log_read_reports_lost_gap_before_next_record(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	int a, b;
	u64 ts;

	log_test_two_cpus(test, &a, &b);
	log_test_push(log, b, 1);
	/* 20 records into a 16-record ring: 100..103 are overwritten. */
	for (ts = 100; ts < 120; ts++)
		log_test_push(log, a, ts);
	log_test_push(log, b, 1000);

	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 1, b));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), "# lost 4\n");
	for (ts = 104; ts < 120; ts++)
		KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log),
				   log_test_line_of(test, ts, a));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 1000, b));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), "");
}

static void log_resize_out_of_range_returns_erange_and_keeps_size(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;

	log_test_push(log, 0, 1);
	KUNIT_EXPECT_EQ(test, tcpstate_log_resize(log, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, tcpstate_log_resize(log, TCPSTATE_LOG_MIN_RECORDS - 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, tcpstate_log_resize(log, TCPSTATE_LOG_MAX_RECORDS + 1), -ERANGE);

	KUNIT_EXPECT_EQ(test, tcpstate_log_records_per_cpu(log), LOG_TEST_RECORDS);
	KUNIT_EXPECT_EQ(test, tcpstate_log_lost(log), 0ULL);
	KUNIT_EXPECT_EQ(test, log_test_next_ts(log), 1ULL);
}

static void log_resize_rounds_up_to_power_of_two(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;

	KUNIT_EXPECT_EQ(test, tcpstate_log_resize(log, LOG_TEST_RECORDS + 1), 0);
	KUNIT_EXPECT_EQ(test, tcpstate_log_records_per_cpu(log), 2U * LOG_TEST_RECORDS);
	KUNIT_EXPECT_EQ(test, tcpstate_log_resize(log, 1000), 0);
	KUNIT_EXPECT_EQ(test, tcpstate_log_records_per_cpu(log), 1024U);
}

static void log_resize_drops_unread_and_counts_them_lost(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	u64 ts;

	for (ts = 1; ts <= 5; ts++)
		log_test_push(log, 0, ts);
	KUNIT_ASSERT_EQ(test, tcpstate_log_resize(log, 64), 0);
	KUNIT_EXPECT_EQ(test, tcpstate_log_lost(log), 5ULL);

	/* The new ring holds 64: filling it loses nothing more. */
	for (ts = 100; ts < 164; ts++)
		log_test_push(log, 0, ts);
	KUNIT_EXPECT_EQ(test, tcpstate_log_lost(log), 5ULL);
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), "# lost 5\n");
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 100, 0));
}

static void log_resize_keeps_staged_record_and_reports_drop_before_next(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;

	log_test_push(log, 0, 1);
	log_test_push(log, 0, 2);
	mutex_lock(&log->read_lock);
	KUNIT_ASSERT_NOT_NULL(test, log_pick(log));	/* stages 1; 2 stays in the ring */
	mutex_unlock(&log->read_lock);
	KUNIT_ASSERT_EQ(test, tcpstate_log_resize(log, 32), 0);
	log_test_push(log, 0, 3);

	KUNIT_EXPECT_EQ(test, tcpstate_log_lost(log), 1ULL);
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 1, 0));
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), "# lost 1\n");
	KUNIT_EXPECT_STREQ(test, log_test_next_line(test, log), log_test_line_of(test, 3, 0));
}

static void log_format_ipv4_line_matches_abi_example(struct kunit *test)
{
	struct tcpstate_record r = log_test_record(123456789);
	char buf[TCPSTATE_LOG_LINE_MAX];

	r.cpu = 1;
	KUNIT_EXPECT_EQ(test, log_format(&r, buf, sizeof(buf)), (size_t)92);
	KUNIT_EXPECT_STREQ(test, buf,
			   "123456789 1 4026531840 1f inet full 127.0.0.1:41234 127.0.0.1:80 SYN_SENT ESTABLISHED 52000\n");
}

static void log_format_ipv6_puts_compressed_address_in_brackets(struct kunit *test)
{
	struct tcpstate_record r = {
		.ts_ns = 5, .cpu = 0, .netns_ino = 4026532000U, .cookie = 0xabcdef,
		.family = AF_INET6, .kind = TCPSTATE_KIND_TIMEWAIT,
		.old_state = TCP_FIN_WAIT2, .new_state = TCP_TIME_WAIT,
		.sport = 443, .dport = 50000, .dwell_ns = 0,
		.saddr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 },
		.daddr = { [15] = 1 },
	};
	char buf[TCPSTATE_LOG_LINE_MAX];

	log_format(&r, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf,
			   "5 0 4026532000 abcdef inet6 timewait [2001:db8::5]:443 [::1]:50000 FIN_WAIT2 TIME_WAIT 0\n");
}

static void log_format_unknown_family_kind_and_state_print_placeholders(struct kunit *test)
{
	char want[64];
	struct tcpstate_record r = { .ts_ns = 9, .kind = 7, .new_state = 200 };
	char buf[TCPSTATE_LOG_LINE_MAX];

	log_format(&r, buf, sizeof(buf));
	/* family, then kind: both unknown */
	snprintf(want, sizeof(want), "9 0 0 0 %s %s - - UNKNOWN UNKNOWN 0\n",
		 "unknown", "unknown");
	KUNIT_EXPECT_STREQ(test, buf, want);
}

static void log_format_longest_line_fits_line_max(struct kunit *test)
{
	struct tcpstate_record r = {
		.ts_ns = U64_MAX, .cpu = U16_MAX, .netns_ino = U32_MAX,
		.cookie = U64_MAX, .dwell_ns = U64_MAX, .family = AF_INET6,
		.kind = TCPSTATE_KIND_TIMEWAIT, .old_state = TCPSTATE_BOUND_INACTIVE,
		.new_state = TCPSTATE_BOUND_INACTIVE, .sport = U16_MAX, .dport = U16_MAX,
	};
	char buf[TCPSTATE_LOG_LINE_MAX];

	memset(r.saddr, 0x11, sizeof(r.saddr));
	memset(r.daddr, 0x11, sizeof(r.daddr));
	KUNIT_EXPECT_EQ(test, log_format(&r, buf, sizeof(buf)), (size_t)217);
}

static void log_write_with_reader_waiting_queues_wakeup(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	struct tcpstate_record r = log_test_record(1);

	KUNIT_EXPECT_FALSE(test, log_readable(log));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(log->wakeup_wanted));
	log_test_write(log, &r);
	irq_work_sync(&log->wakeup);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(log->wakeup_wanted));
	KUNIT_EXPECT_TRUE(test, log_readable(log));
}

/* A debugfs-like inode carrying the log, and a file opened on it. */
static struct inode *log_test_inode(struct kunit *test, struct tcpstate_log *log)
{
	struct inode *inode = kunit_kzalloc(test, sizeof(*inode), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, inode);
	inode->i_private = log;
	return inode;
}

static struct file *log_test_file(struct kunit *test)
{
	struct file *file = kunit_kzalloc(test, sizeof(*file), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, file);
	return file;
}

static void log_open_while_open_returns_ebusy(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	struct inode *inode = log_test_inode(test, log);
	struct file *first = log_test_file(test), *second = log_test_file(test);

	KUNIT_ASSERT_EQ(test, log_open(inode, first), 0);
	KUNIT_EXPECT_EQ(test, log_open(inode, second), -EBUSY);
	KUNIT_EXPECT_EQ(test, log_release(inode, first), 0);
	KUNIT_EXPECT_EQ(test, log_open(inode, second), 0);
	KUNIT_EXPECT_EQ(test, log_release(inode, second), 0);
}

static void log_open_after_shutdown_returns_enodev(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;

	tcpstate_log_shutdown(log);
	KUNIT_EXPECT_EQ(test, log_open(log_test_inode(test, log), log_test_file(test)),
			-ENODEV);
}

static void log_poll_reports_in_with_records_and_hup_after_shutdown(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	struct file *file = log_test_file(test);

	file->private_data = log;
	KUNIT_EXPECT_TRUE(test, log_poll(file, NULL) == 0);
	log_test_push(log, 0, 1);
	KUNIT_EXPECT_TRUE(test, log_poll(file, NULL) == (EPOLLIN | EPOLLRDNORM));
	KUNIT_EXPECT_EQ(test, log_test_next_ts(log), 1ULL);
	tcpstate_log_shutdown(log);
	KUNIT_EXPECT_TRUE(test, log_poll(file, NULL) == (EPOLLIN | EPOLLRDNORM | EPOLLHUP));
}

/*
 * Writers on every online CPU (process context, preemptible) race a
 * reader and a resize. Whatever interleaving happens, every record is
 * either read or counted lost, every loss is reported in-band exactly
 * once, and each CPU's records come out in the order it wrote them.
 */
#define LOG_TEST_STRESS_WRITES	4000		/* records per CPU */

struct log_test_writer {
	struct work_struct work;
	struct tcpstate_log *log;
	atomic64_t *clock;
	atomic_t *done;
};

static void log_test_writer_fn(struct work_struct *work)
{
	struct log_test_writer *w = container_of(work, struct log_test_writer, work);
	struct tcpstate_record r = log_test_record(0);
	int i;

	for (i = 0; i < LOG_TEST_STRESS_WRITES; i++) {
		r.ts_ns = atomic64_inc_return(w->clock);
		log_test_write(w->log, &r);
		/* Paced so the reader keeps up often enough to read, not only count losses. */
		if (!(i % 8))
			usleep_range(10, 20);
	}
	atomic_inc(w->done);
}

/*
 * Accounts one line of the text stream; false when there was none. No
 * KUNIT_ASSERT here: aborting while the writers run would free the log
 * under them.
 */
static bool log_test_account_line(struct kunit *test, struct tcpstate_log *log,
				  u64 *last_ts, u64 *records, u64 *reported)
{
	char line[TCPSTATE_LOG_LINE_MAX];
	unsigned long long ts, n;
	unsigned int cpu;
	size_t len;

	mutex_lock(&log->read_lock);
	len = log_next_line(log, line, sizeof(line));
	mutex_unlock(&log->read_lock);
	if (!len)
		return false;
	if (sscanf(line, "# lost %llu", &n) == 1) {
		*reported += n;
	} else if (sscanf(line, "%llu %u", &ts, &cpu) == 2 && cpu < nr_cpu_ids) {
		KUNIT_EXPECT_GT(test, ts, last_ts[cpu]);
		last_ts[cpu] = ts;
		(*records)++;
	} else {
		KUNIT_FAIL(test, "malformed line: %s", line);
	}
	return true;
}

static void log_concurrent_writers_reader_and_resize_account_for_every_record(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	struct log_test_writer *writers;
	u64 *last_ts, records = 0, reported = 0, pending = 0;
	atomic64_t clock = ATOMIC64_INIT(0);
	atomic_t done = ATOMIC_INIT(0);
	int cpu, nwriters = 0;
	bool resized = false;

	writers = kunit_kcalloc(test, nr_cpu_ids, sizeof(*writers), GFP_KERNEL);
	last_ts = kunit_kcalloc(test, nr_cpu_ids, sizeof(*last_ts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, writers);
	KUNIT_ASSERT_NOT_NULL(test, last_ts);

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		writers[cpu].log = log;
		writers[cpu].clock = &clock;
		writers[cpu].done = &done;
		INIT_WORK(&writers[cpu].work, log_test_writer_fn);
		queue_work_on(cpu, system_wq, &writers[cpu].work);
		nwriters++;
	}
	cpus_read_unlock();

	while (atomic_read(&done) < nwriters) {
		if (!log_test_account_line(test, log, last_ts, &records, &reported))
			usleep_range(10, 20);
		if (!resized && atomic64_read(&clock) > LOG_TEST_STRESS_WRITES / 2) {
			KUNIT_EXPECT_EQ(test, tcpstate_log_resize(log, 64), 0);
			resized = true;
		}
	}
	for_each_possible_cpu(cpu)
		if (writers[cpu].log)
			flush_work(&writers[cpu].work);
	while (log_test_account_line(test, log, last_ts, &records, &reported))
		;
	/* A resize after a CPU's last write leaves its gap unreported yet. */
	for_each_possible_cpu(cpu)
		pending += per_cpu_ptr(log->cpus, cpu)->gap;

	kunit_info(test, "written %llu read %llu lost %llu (gaps reported %llu)\n",
		   tcpstate_log_written(log), records, tcpstate_log_lost(log), reported);
	KUNIT_EXPECT_EQ(test, tcpstate_log_written(log),
			(u64)nwriters * LOG_TEST_STRESS_WRITES);
	KUNIT_EXPECT_EQ(test, records + tcpstate_log_lost(log), tcpstate_log_written(log));
	KUNIT_EXPECT_EQ(test, reported + pending, tcpstate_log_lost(log));
}

#if TCPSTATE_HAVE_KUNIT_VM_MMAP
/* The read() path proper, into user memory the test maps for itself. */
static char __user *log_test_user_buf(struct kunit *test)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, LOG_TEST_USER_BUF, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0UL, "no user memory");
	KUNIT_ASSERT_LT(test, addr, (unsigned long)TASK_SIZE);
	return (char __user *)addr;
}

static void log_read_nonblocking_when_empty_returns_eagain(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	char __user *ubuf = log_test_user_buf(test);

	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, LOG_TEST_USER_BUF, true, false),
			(ssize_t)-EAGAIN);
	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, LOG_TEST_USER_BUF, true, true), (ssize_t)-EAGAIN);
}

static void log_read_raw_with_buffer_smaller_than_record_returns_einval(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	char __user *ubuf = log_test_user_buf(test);

	log_test_push(log, 0, 1);
	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, TCPSTATE_RECORD_SIZE - 1, true, true),
			(ssize_t)-EINVAL);
	KUNIT_EXPECT_EQ(test, log_test_next_ts(log), 1ULL);
}

static void log_read_raw_returns_whole_records_only(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	char __user *ubuf = log_test_user_buf(test);
	struct tcpstate_record got[2];

	log_test_push(log, 0, 1);
	log_test_push(log, 0, 2);
	log_test_push(log, 0, 3);

	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, 2 * TCPSTATE_RECORD_SIZE - 1, true, true),
			(ssize_t)TCPSTATE_RECORD_SIZE);
	KUNIT_ASSERT_EQ(test, copy_from_user(got, ubuf, TCPSTATE_RECORD_SIZE), 0UL);
	KUNIT_EXPECT_EQ(test, got[0].ts_ns, 1ULL);
	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, LOG_TEST_USER_BUF, true, true),
			(ssize_t)(2 * TCPSTATE_RECORD_SIZE));
	KUNIT_ASSERT_EQ(test, copy_from_user(got, ubuf, sizeof(got)), 0UL);
	KUNIT_EXPECT_EQ(test, got[0].ts_ns, 2ULL);
	KUNIT_EXPECT_EQ(test, got[1].ts_ns, 3ULL);
	KUNIT_EXPECT_EQ(test, got[1].cookie, 0x1fULL);
}

static void log_read_text_in_small_pieces_reassembles_exact_lines(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	char __user *ubuf = log_test_user_buf(test);
	char *expected, *got;
	size_t off = 0;
	ssize_t n;

	log_test_push(log, 0, 1);
	log_test_push(log, 0, 2);
	expected = kunit_kzalloc(test, 2 * TCPSTATE_LOG_LINE_MAX, GFP_KERNEL);
	got = kunit_kzalloc(test, LOG_TEST_USER_BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, expected);
	KUNIT_ASSERT_NOT_NULL(test, got);
	snprintf(expected, 2 * TCPSTATE_LOG_LINE_MAX, "%s%s",
		 log_test_line_of(test, 1, 0), log_test_line_of(test, 2, 0));

	while ((n = log_read(log, ubuf + off, 7, true, false)) > 0)
		off += n;
	KUNIT_EXPECT_EQ(test, n, (ssize_t)-EAGAIN);
	KUNIT_ASSERT_EQ(test, copy_from_user(got, ubuf, off), 0UL);
	KUNIT_EXPECT_STREQ(test, got, expected);
}

static void log_read_after_shutdown_drains_then_returns_eof(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	char __user *ubuf = log_test_user_buf(test);

	log_test_push(log, 0, 1);
	tcpstate_log_shutdown(log);

	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, LOG_TEST_USER_BUF, false, true),
			(ssize_t)TCPSTATE_RECORD_SIZE);
	/* Blocking, and empty: returns at once instead of sleeping. */
	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, LOG_TEST_USER_BUF, false, true), (ssize_t)0);
	KUNIT_EXPECT_EQ(test, log_read(log, ubuf, LOG_TEST_USER_BUF, false, false), (ssize_t)0);
}

struct log_test_timer {
	struct hrtimer timer;
	struct tcpstate_log *log;
};

static enum hrtimer_restart log_test_timer_write(struct hrtimer *timer)
{
	struct log_test_timer *t = container_of(timer, struct log_test_timer, timer);
	struct tcpstate_record r = log_test_record(42);

	log_test_write(t->log, &r);
	return HRTIMER_NORESTART;
}

/* Guard: a lost wakeup fails the case instead of hanging the run. */
static enum hrtimer_restart log_test_timer_shutdown(struct hrtimer *timer)
{
	struct log_test_timer *t = container_of(timer, struct log_test_timer, timer);

	tcpstate_log_shutdown(t->log);
	return HRTIMER_NORESTART;
}

static void log_read_blocking_is_woken_by_write_from_hardirq(struct kunit *test)
{
	struct tcpstate_log *log = test->priv;
	char __user *ubuf = log_test_user_buf(test);
	struct log_test_timer *writer, *guard;
	ssize_t n;

	writer = kunit_kzalloc(test, sizeof(*writer), GFP_KERNEL);
	guard = kunit_kzalloc(test, sizeof(*guard), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, writer);
	KUNIT_ASSERT_NOT_NULL(test, guard);
	writer->log = log;
	guard->log = log;
	hrtimer_init(&writer->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	writer->timer.function = log_test_timer_write;
	hrtimer_init(&guard->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	guard->timer.function = log_test_timer_shutdown;

	hrtimer_start(&guard->timer, ms_to_ktime(10000), HRTIMER_MODE_REL_HARD);
	hrtimer_start(&writer->timer, ms_to_ktime(100), HRTIMER_MODE_REL_HARD);
	n = log_read(log, ubuf, LOG_TEST_USER_BUF, false, true);
	hrtimer_cancel(&guard->timer);
	hrtimer_cancel(&writer->timer);

	KUNIT_EXPECT_EQ(test, n, (ssize_t)TCPSTATE_RECORD_SIZE);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(log->dying));
}
#endif /* TCPSTATE_HAVE_KUNIT_VM_MMAP */

static struct kunit_case tcpstate_log_cases[] = {
	KUNIT_CASE(log_init_out_of_range_returns_erange),
	KUNIT_CASE(log_written_counts_every_write),
	KUNIT_CASE(log_write_when_full_overwrites_oldest_and_counts_lost),
	KUNIT_CASE(log_write_stamps_cpu_and_zeroes_reserved),
	KUNIT_CASE(log_read_merges_cpus_in_timestamp_order),
	KUNIT_CASE(log_read_reports_lost_gap_before_next_record),
	KUNIT_CASE(log_resize_out_of_range_returns_erange_and_keeps_size),
	KUNIT_CASE(log_resize_rounds_up_to_power_of_two),
	KUNIT_CASE(log_resize_drops_unread_and_counts_them_lost),
	KUNIT_CASE(log_resize_keeps_staged_record_and_reports_drop_before_next),
	KUNIT_CASE(log_format_ipv4_line_matches_abi_example),
	KUNIT_CASE(log_format_ipv6_puts_compressed_address_in_brackets),
	KUNIT_CASE(log_format_unknown_family_kind_and_state_print_placeholders),
	KUNIT_CASE(log_format_longest_line_fits_line_max),
	KUNIT_CASE(log_write_with_reader_waiting_queues_wakeup),
	KUNIT_CASE(log_open_while_open_returns_ebusy),
	KUNIT_CASE(log_open_after_shutdown_returns_enodev),
	KUNIT_CASE(log_poll_reports_in_with_records_and_hup_after_shutdown),
	KUNIT_CASE_SLOW(log_concurrent_writers_reader_and_resize_account_for_every_record),
#if TCPSTATE_HAVE_KUNIT_VM_MMAP
	KUNIT_CASE(log_read_nonblocking_when_empty_returns_eagain),
	KUNIT_CASE(log_read_raw_with_buffer_smaller_than_record_returns_einval),
	KUNIT_CASE(log_read_raw_returns_whole_records_only),
	KUNIT_CASE(log_read_text_in_small_pieces_reassembles_exact_lines),
	KUNIT_CASE(log_read_after_shutdown_drains_then_returns_eof),
	KUNIT_CASE(log_read_blocking_is_woken_by_write_from_hardirq),
#endif /* TCPSTATE_HAVE_KUNIT_VM_MMAP */
	{}
};

static struct kunit_suite tcpstate_log_suite = {
	.name = "tcpstate_log",
	.init = log_test_init,
	.exit = log_test_exit,
	.test_cases = tcpstate_log_cases,
};

kunit_test_suite(tcpstate_log_suite);
