// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tcpstate_syncap_prefixes, the per-prefix SYN_RECV counts of a
 * syn_cap (syncap.c, "prefix counts"): what the engine and the netfilter
 * hook's claims move, and what the hook reads.
 */
#include <kunit/test.h>
#include <linux/inet.h>
#include "../syncap.c"

/* What limits.c owns in the real module; a prefix table needs none of it but this. */
DEFINE_MUTEX(tcpstate_limits_mutex);
struct tcpstate_limits_pcpu __percpu *tcpstate_limits_pcpu;

/* A health counter, as debugfs stats sums it; twbudget_test.c reads them too. */
u64 tcpstate_limits_stat_read(enum tcpstate_limit_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(tcpstate_limits_pcpu, cpu)->stat[stat];
	return sum;
}

bool tcpstate_limits_walk_follows(struct tcpstate_sock *ts, int delta)
{
	return true;
}

void tcpstate_limits_walk_table(void (*fn)(struct tcpstate_sock *ts, void *arg), void *arg)
{
}

void tcpstate_limits_walk_end(void)
{
}

void tcpstate_limit_show_row(struct seq_file *s, const char *type, const char *key,
			     int state, int count, int high, u32 limit, u64 drops,
			     u64 evictions, u64 fired)
{
}

struct syncap_test {
	struct tcpstate_limit cap;
	struct tcpstate_syn_prefixes *prefixes;
};

static int syncap_test_init(struct kunit *test)
{
	struct syncap_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	/* Before any assertion that can fail: exit runs after a failed init too. */
	test->priv = t;
	KUNIT_ASSERT_EQ(test, tcpstate_syncap_create(&t->cap), 0);
	t->cap.syn.prefix_len4 = 24;
	t->cap.syn.prefix_len6 = 64;
	t->prefixes = tcpstate_prefixes_alloc(&t->cap);
	KUNIT_ASSERT_NOT_NULL(test, t->prefixes);
	tcpstate_limits_pcpu = alloc_percpu(struct tcpstate_limits_pcpu);
	KUNIT_ASSERT_TRUE(test, !!tcpstate_limits_pcpu);
	return 0;
}

static void syncap_test_exit(struct kunit *test)
{
	struct syncap_test *t = test->priv;

	/* A test that failed may have left a claim on this CPU. */
	if (t && t->prefixes)
		tcpstate_syncap_unclaim_table(t->prefixes);
	if (t)
		tcpstate_prefixes_free(t->prefixes);
	free_percpu(tcpstate_limits_pcpu);
	tcpstate_limits_pcpu = NULL;
}

/* A request sock from addr, as the table holds one. */
static struct tcpstate_sock *test_reqsk_from(struct kunit *test, const char *addr)
{
	struct tcpstate_sock *ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ts);
	ts->state = TCPSTATE_SYN_RECV;
	ts->sport = 80;
	if (strchr(addr, ':')) {
		KUNIT_ASSERT_EQ(test, in6_pton(addr, -1, ts->daddr.s6_addr, -1, NULL), 1);
		ts->flags |= TCPSTATE_SOCK_INET6;
	} else {
		KUNIT_ASSERT_EQ(test, in4_pton(addr, -1, ts->daddr.s6_addr, -1, NULL), 1);
	}
	return ts;
}

static void test_move(struct syncap_test *t, struct tcpstate_sock *ts, int delta)
{
	spin_lock_bh(&t->cap.syn.lock);
	tcpstate_prefixes_add(&t->cap, t->prefixes, ts, delta);
	spin_unlock_bh(&t->cap.syn.lock);
}

/* The walk of a recount of t's cap reaching ts, under ts's entry lock (BHs off). */
static void test_walk(struct syncap_test *t, struct tcpstate_sock *ts)
{
	local_bh_disable();
	tcpstate_syncap_recount_one(ts, &t->cap);
	local_bh_enable();
}

/* The engine moving ts by delta while t's cap is recounted, under ts's entry lock. */
static void test_account(struct syncap_test *t, struct tcpstate_sock *ts, int delta)
{
	local_bh_disable();
	__tcpstate_syncap_account(&t->cap, ts, delta);
	local_bh_enable();
}

/* What the hook would count for a SYN from addr. */
static int test_hook_count(struct kunit *test, struct syncap_test *t, const char *addr)
{
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct tcpstate_syn_prefix *held, *free;
	struct in6_addr raw = {}, prefix;
	u8 family = AF_INET;

	if (strchr(addr, ':')) {
		KUNIT_EXPECT_EQ(test, in6_pton(addr, -1, raw.s6_addr, -1, NULL), 1);
		family = AF_INET6;
	} else {
		KUNIT_EXPECT_EQ(test, in4_pton(addr, -1, raw.s6_addr, -1, NULL), 1);
	}
	tcpstate_prefix_make(&prefix, &raw, family, t->prefixes->len4, t->prefixes->len6);
	return tcpstate_prefix_count(t->prefixes, &prefix, bucket, &held, &free);
}

static void prefix_count_adds_sockets_of_one_ipv4_prefix(struct kunit *test)
{
	struct syncap_test *t = test->priv;

	test_move(t, test_reqsk_from(test, "10.1.2.3"), 1);
	test_move(t, test_reqsk_from(test, "10.1.2.4"), 1);
	test_move(t, test_reqsk_from(test, "10.1.2.250"), 1);
	test_move(t, test_reqsk_from(test, "10.1.3.1"), 1);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.1.2.99"), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 2);
}

static void prefix_count_masks_ipv6_to_len6(struct kunit *test)
{
	struct syncap_test *t = test->priv;

	test_move(t, test_reqsk_from(test, "fd00:1:2:3::1"), 1);
	test_move(t, test_reqsk_from(test, "fd00:1:2:3:ffff::9"), 1);
	test_move(t, test_reqsk_from(test, "fd00:1:2:4::1"), 1);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "fd00:1:2:3::77"), 2);
	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "fd00:1:2:4::77"), 1);
}

/* A dual-stack listener's IPv4 peer is an IPv4 prefix, as the IPv4 hook sees it. */
static void prefix_of_v4mapped_peer_is_its_ipv4_prefix(struct kunit *test)
{
	struct syncap_test *t = test->priv;

	test_move(t, test_reqsk_from(test, "::ffff:192.0.2.7"), 1);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "192.0.2.200"), 1);
}

static void prefix_count_is_zero_once_its_last_socket_goes(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.9.9.1");
	struct tcpstate_sock *b = test_reqsk_from(test, "10.9.9.2");

	test_move(t, a, 1);
	test_move(t, b, 1);
	test_move(t, a, -1);
	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.9.9.3"), 1);
	test_move(t, b, -1);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.9.9.3"), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 0);
}

/* The emptied slot keeps its address: it must not be found, and is free. */
static void prefix_slot_of_emptied_prefix_is_free_again(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct tcpstate_sock *a = test_reqsk_from(test, "10.9.9.1");
	struct tcpstate_syn_prefix *slot, *free = NULL;
	struct in6_addr prefix;

	test_move(t, a, 1);
	test_move(t, a, -1);
	tcpstate_prefix_make(&prefix, &a->daddr, AF_INET, 24, 64);
	tcpstate_prefix_buckets(t->prefixes, &prefix, bucket);
	KUNIT_ASSERT_TRUE(test, ipv6_addr_equal(&bucket[0]->slot[0].addr, &prefix));
	KUNIT_EXPECT_EQ(test, tcpstate_prefix_scan(bucket, &prefix, &slot, &free), 0);

	KUNIT_EXPECT_NULL(test, slot);
	KUNIT_EXPECT_PTR_EQ(test, free, &bucket[0]->slot[0]);
}

/* Fills both buckets of addr's prefix with other prefixes, one socket each. */
static void test_fill_buckets_of(struct syncap_test *t, const struct in6_addr *prefix)
{
	struct tcpstate_syn_prefix_bucket *bucket[2];
	int b, i;

	tcpstate_prefix_buckets(t->prefixes, prefix, bucket);
	for (b = 0; b < 2; b++) {
		for (i = 0; i < TCPSTATE_SYN_PREFIX_BUCKET_SLOTS; i++) {
			struct tcpstate_syn_prefix *slot = &bucket[b]->slot[i];

			ipv6_addr_set(&slot->addr, htonl(0x20010db8), 0, 0, htonl(b * 16 + i));
			atomic_set(&slot->count, 1);
			atomic_inc(&t->prefixes->nr);
		}
	}
}

static void prefix_with_both_buckets_full_is_untracked(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.7.7.7");
	struct in6_addr prefix;

	tcpstate_prefix_make(&prefix, &a->daddr, AF_INET, 24, 64);
	test_fill_buckets_of(t, &prefix);
	test_move(t, a, 1);

	KUNIT_EXPECT_EQ(test, tcpstate_limits_stat_read(TCPSTATE_LSTAT_PREFIX_UNTRACKED), 1);
	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.7.7.8"), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 2 * TCPSTATE_SYN_PREFIX_BUCKET_SLOTS);
}

static void prefix_untracked_socket_leaving_changes_no_count(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.7.7.7");
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct in6_addr prefix;
	int b, i, sum = 0;

	tcpstate_prefix_make(&prefix, &a->daddr, AF_INET, 24, 64);
	test_fill_buckets_of(t, &prefix);
	test_move(t, a, 1);
	test_move(t, a, -1);

	tcpstate_prefix_buckets(t->prefixes, &prefix, bucket);
	for (b = 0; b < 2; b++)
		for (i = 0; i < TCPSTATE_SYN_PREFIX_BUCKET_SLOTS; i++)
			sum += atomic_read(&bucket[b]->slot[i].count);
	KUNIT_EXPECT_EQ(test, sum, 2 * TCPSTATE_SYN_PREFIX_BUCKET_SLOTS);
}

/*
 * A socket the table could not count, leaving once another socket of its
 * prefix found a slot, takes nothing from that one's count: its ref says
 * it has none.
 */
/*
 * untracked enters SYN_RECV with both buckets of its prefix full, so the
 * table cannot count it; then another prefix's last socket goes, and
 * tracked, of untracked's prefix, is counted in the slot it freed.
 */
static void test_untracked_then_tracked(struct kunit *test, struct syncap_test *t,
					struct tcpstate_sock *untracked,
					struct tcpstate_sock *tracked)
{
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct in6_addr prefix;

	tcpstate_prefix_make(&prefix, &untracked->daddr, AF_INET, 24, 64);
	test_fill_buckets_of(t, &prefix);
	test_move(t, untracked, 1);
	tcpstate_prefix_buckets(t->prefixes, &prefix, bucket);
	atomic_set(&bucket[1]->slot[3].count, 0);
	atomic_dec(&t->prefixes->nr);
	test_move(t, tracked, 1);
	KUNIT_ASSERT_EQ(test, test_hook_count(test, t, "10.7.7.9"), 1);
}

static void prefix_untracked_socket_leaving_keeps_count_of_tracked_one(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *untracked = test_reqsk_from(test, "10.7.7.7");
	struct tcpstate_sock *tracked = test_reqsk_from(test, "10.7.7.8");

	test_untracked_then_tracked(test, t, untracked, tracked);
	test_move(t, untracked, -1);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.7.7.9"), 1);
	KUNIT_EXPECT_EQ(test, tcpstate_limits_stat_read(TCPSTATE_LSTAT_PREFIX_UNTRACKED), 1);
}

/* A table that never counted a socket keeps its counts when it leaves. */
static void prefix_socket_leaving_changes_no_table_that_did_not_count_it(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.6.6.1");
	struct tcpstate_sock *b = test_reqsk_from(test, "10.6.6.2");
	struct tcpstate_syn_prefixes *other = tcpstate_prefixes_alloc(&t->cap);

	KUNIT_ASSERT_NOT_NULL(test, other);
	test_move(t, a, 1);
	spin_lock_bh(&t->cap.syn.lock);
	tcpstate_prefixes_add(&t->cap, other, b, 1);
	tcpstate_prefixes_add(&t->cap, other, a, -1);
	spin_unlock_bh(&t->cap.syn.lock);

	KUNIT_EXPECT_EQ(test, atomic_read(&other->nr), 1);
	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.6.6.3"), 1);
	tcpstate_prefixes_free(other);
}

/*
 * While a recount replaces the table, a socket's +1 names the new table;
 * leaving, it must still leave the old one, which finds it by its prefix.
 */
static void prefix_socket_leaves_table_being_replaced_and_its_successor(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.8.8.1");
	struct tcpstate_syn_prefixes *fresh = tcpstate_prefixes_alloc(&t->cap);

	KUNIT_ASSERT_NOT_NULL(test, fresh);
	RCU_INIT_POINTER(t->cap.syn.prefixes, t->prefixes);
	RCU_INIT_POINTER(t->cap.syn.recounting, fresh);
	test_move(t, a, 1);
	test_walk(t, a);
	spin_lock_bh(&t->cap.syn.lock);
	tcpstate_prefixes_add(&t->cap, t->prefixes, a, -1);
	tcpstate_prefixes_add(&t->cap, fresh, a, -1);
	spin_unlock_bh(&t->cap.syn.lock);
	RCU_INIT_POINTER(t->cap.syn.prefixes, NULL);
	RCU_INIT_POINTER(t->cap.syn.recounting, NULL);

	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fresh->nr), 0);
	tcpstate_prefixes_free(fresh);
}

/*
 * A socket entering SYN_RECV while a recount runs is counted by the table
 * being replaced and by its successor; leaving, it leaves both.
 */
static void prefix_socket_entering_during_recount_leaves_both_tables(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.9.9.1");
	struct tcpstate_syn_prefixes *fresh = tcpstate_prefixes_alloc(&t->cap);

	KUNIT_ASSERT_NOT_NULL(test, fresh);
	t->cap.syn.prefix_max = 1;
	RCU_INIT_POINTER(t->cap.syn.prefixes, t->prefixes);
	RCU_INIT_POINTER(t->cap.syn.recounting, fresh);
	test_account(t, a, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fresh->nr), 1);
	test_account(t, a, -1);
	RCU_INIT_POINTER(t->cap.syn.prefixes, NULL);
	RCU_INIT_POINTER(t->cap.syn.recounting, NULL);

	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fresh->nr), 0);
	tcpstate_prefixes_free(fresh);
}

/*
 * A socket the table being replaced could not count, counted by the
 * recount's walk, leaves the old table alone: it must not take the place
 * of another socket of its prefix there.
 */
static void prefix_socket_uncounted_by_replaced_table_leaves_it_alone(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *untracked = test_reqsk_from(test, "10.7.7.7");
	struct tcpstate_sock *tracked = test_reqsk_from(test, "10.7.7.8");
	struct tcpstate_syn_prefixes *fresh = tcpstate_prefixes_alloc(&t->cap);

	KUNIT_ASSERT_NOT_NULL(test, fresh);
	test_untracked_then_tracked(test, t, untracked, tracked);
	RCU_INIT_POINTER(t->cap.syn.prefixes, t->prefixes);
	RCU_INIT_POINTER(t->cap.syn.recounting, fresh);
	test_walk(t, untracked);
	spin_lock_bh(&t->cap.syn.lock);
	tcpstate_prefixes_add(&t->cap, t->prefixes, untracked, -1);
	tcpstate_prefixes_add(&t->cap, fresh, untracked, -1);
	spin_unlock_bh(&t->cap.syn.lock);
	RCU_INIT_POINTER(t->cap.syn.prefixes, NULL);
	RCU_INIT_POINTER(t->cap.syn.recounting, NULL);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.7.7.9"), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fresh->nr), 0);
	tcpstate_prefixes_free(fresh);
}

/* A prefix goes to the emptier of its buckets, so both fill evenly. */
static void prefix_goes_to_emptier_bucket(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.5.5.5");
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct in6_addr prefix;

	tcpstate_prefix_make(&prefix, &a->daddr, AF_INET, 24, 64);
	tcpstate_prefix_buckets(t->prefixes, &prefix, bucket);
	/* One other prefix in the first bucket. */
	ipv6_addr_set(&bucket[0]->slot[2].addr, htonl(0x20010db8), 0, 0, htonl(1));
	atomic_set(&bucket[0]->slot[2].count, 1);
	test_move(t, a, 1);

	KUNIT_EXPECT_EQ(test, atomic_read(&bucket[1]->slot[0].count), 1);
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&bucket[1]->slot[0].addr, &prefix));
}

static void prefix_high_water_mark_stays_after_sockets_go(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.3.3.1");
	struct tcpstate_sock *b = test_reqsk_from(test, "10.3.3.2");
	struct tcpstate_sock *c = test_reqsk_from(test, "10.3.3.3");
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct tcpstate_syn_prefix *slot, *free;
	struct in6_addr prefix;

	test_move(t, a, 1);
	test_move(t, b, 1);
	test_move(t, b, -1);
	test_move(t, c, 1);
	tcpstate_prefix_make(&prefix, &a->daddr, AF_INET, 24, 64);
	tcpstate_prefix_count(t->prefixes, &prefix, bucket, &slot, &free);

	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_EXPECT_EQ(test, atomic_read(&slot->high), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&slot->count), 2);
}

/*
 * What the hook does with a SYN from addr:port it lets through: a place
 * in the prefix's slot, claimed by this CPU. The slot, or NULL.
 */
static struct tcpstate_syn_prefix *test_hook_lets_through(struct kunit *test,
							  struct syncap_test *t,
							  const char *addr, u16 port)
{
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct tcpstate_syn_prefix *held, *free, *taken;
	struct tcpstate_syn_claims *claims;
	struct in6_addr raw = {}, prefix;

	KUNIT_EXPECT_EQ(test, in4_pton(addr, -1, raw.s6_addr, -1, NULL), 1);
	tcpstate_prefix_make(&prefix, &raw, AF_INET, t->prefixes->len4, t->prefixes->len6);
	local_bh_disable();
	tcpstate_syncap_release_claims();
	tcpstate_prefix_count(t->prefixes, &prefix, bucket, &held, &free);
	taken = tcpstate_prefix_take(t->prefixes, &prefix, bucket, held, free);
	if (taken) {
		claims = this_cpu_ptr(&tcpstate_syn_claims);
		claims->raddr = raw;
		claims->rport = port;
		claims->family = AF_INET;
		claims->of_cap[0].prefix_slot = taken;
		WRITE_ONCE(claims->of_cap[0].prefixes, t->prefixes);
	}
	local_bh_enable();
	return taken;
}

/*
 * a and b leave SYN_RECV: what the hook then counts for a SYN from probe,
 * and the slots still counting, must be left.
 */
static void test_both_leave(struct kunit *test, struct syncap_test *t, struct tcpstate_sock *a,
			    struct tcpstate_sock *b, const char *probe, int left)
{
	test_move(t, a, -1);
	test_move(t, b, -1);
	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, probe), left);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), left);
}

/* TCP queued the SYN, or did not: this CPU's claims end. */
static void test_release_claims(void)
{
	local_bh_disable();
	tcpstate_syncap_release_claims();
	local_bh_enable();
}

/*
 * The tests below make a claim on this CPU and end it there, as the hook
 * and the kprobes do: they run with migration off (not BHs: a failed
 * expectation must not leave them off). No assertion may fail in between.
 */

/* Its request sock takes the SYN's place over: counted once, and gone with it. */
static void test_adopt_from(struct kunit *test, const char *peer, const char *syn_source)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, peer);
	struct tcpstate_syn_prefix *slot;

	a->dport = 40000;
	migrate_disable();
	slot = test_hook_lets_through(test, t, syn_source, 40000);
	KUNIT_EXPECT_NOT_NULL(test, slot);
	if (slot) {
		KUNIT_EXPECT_EQ(test, tcpstate_prefix_claimed(t->prefixes, slot), 1);
		test_move(t, a, 1);
		KUNIT_EXPECT_EQ(test, tcpstate_prefix_claimed(t->prefixes, slot), 0);
		test_release_claims();

		KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.4.4.9"), 1);
		test_move(t, a, -1);
		KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.4.4.9"), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 0);
	}
	migrate_enable();
}

static void prefix_request_sock_adopts_place_its_syn_claimed(struct kunit *test)
{
	test_adopt_from(test, "10.4.4.1", "10.4.4.1");
}

/* An IPv6 listener's request sock from an IPv4 peer holds it v4-mapped. */
static void prefix_v4mapped_request_sock_adopts_place_its_ipv4_syn_claimed(struct kunit *test)
{
	test_adopt_from(test, "::ffff:10.4.4.1", "10.4.4.1");
}

/* A request sock of another source is counted on its own; the claim ends later. */
static void prefix_request_sock_of_other_source_leaves_claim_alone(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *other_port = test_reqsk_from(test, "10.4.4.1");
	struct tcpstate_sock *other_addr = test_reqsk_from(test, "10.4.4.2");

	other_port->dport = 40001;
	other_addr->dport = 40000;
	migrate_disable();
	KUNIT_EXPECT_NOT_NULL(test, test_hook_lets_through(test, t, "10.4.4.1", 40000));
	test_move(t, other_port, 1);
	test_move(t, other_addr, 1);
	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.4.4.9"), 3);
	test_release_claims();
	migrate_enable();

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.4.4.9"), 2);
	test_both_leave(test, t, other_port, other_addr, "10.4.4.9", 0);
}

/* A SYN TCP did not queue (a syncookie) gives its place back at the release. */
static void prefix_place_of_syn_not_queued_is_given_back(struct kunit *test)
{
	struct syncap_test *t = test->priv;

	migrate_disable();
	KUNIT_EXPECT_NOT_NULL(test, test_hook_lets_through(test, t, "10.4.4.1", 40000));
	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.4.4.9"), 1);
	test_release_claims();
	migrate_enable();

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.4.4.9"), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->prefixes->nr), 0);
}

/* A recount taking back the claims of the table it retires leaves its counts be. */
static void prefix_claims_taken_back_with_their_table(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_syn_prefix *slot;

	migrate_disable();
	slot = test_hook_lets_through(test, t, "10.4.4.1", 40000);
	KUNIT_EXPECT_NOT_NULL(test, slot);
	tcpstate_syncap_unclaim_table(t->prefixes);
	test_release_claims();
	migrate_enable();

	if (slot) {
		KUNIT_EXPECT_EQ(test, tcpstate_prefix_claimed(t->prefixes, slot), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&slot->count), 1);
	}
}

/* Two slots of one prefix (keyed at once on two CPUs): the hook adds both. */
static void prefix_counted_in_two_slots_counts_both(struct kunit *test)
{
	struct syncap_test *t = test->priv;
	struct tcpstate_sock *a = test_reqsk_from(test, "10.2.2.1");
	struct tcpstate_sock *b = test_reqsk_from(test, "10.2.2.2");
	struct tcpstate_syn_prefix_bucket *bucket[2];
	struct in6_addr prefix;

	tcpstate_prefix_make(&prefix, &a->daddr, AF_INET, 24, 64);
	tcpstate_prefix_buckets(t->prefixes, &prefix, bucket);
	test_move(t, a, 1);
	KUNIT_ASSERT_TRUE(test, tcpstate_prefix_key(t->prefixes, &bucket[1]->slot[3], &prefix));
	test_move(t, b, 1);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.2.2.3"), 3);
	test_both_leave(test, t, a, b, "10.2.2.3", 1);
}

/* The table keeps the lengths it was made with, whatever the cap says later. */
static void prefixes_keep_lengths_they_were_made_with(struct kunit *test)
{
	struct syncap_test *t = test->priv;

	t->cap.syn.prefix_len4 = 16;
	test_move(t, test_reqsk_from(test, "10.4.1.1"), 1);
	test_move(t, test_reqsk_from(test, "10.4.2.1"), 1);

	KUNIT_EXPECT_EQ(test, test_hook_count(test, t, "10.4.1.9"), 1);
	KUNIT_EXPECT_EQ(test, t->prefixes->len4, 24);
}

static struct kunit_case tcpstate_syncap_prefixes_cases[] = {
	KUNIT_CASE(prefix_count_adds_sockets_of_one_ipv4_prefix),
	KUNIT_CASE(prefix_count_masks_ipv6_to_len6),
	KUNIT_CASE(prefix_of_v4mapped_peer_is_its_ipv4_prefix),
	KUNIT_CASE(prefix_count_is_zero_once_its_last_socket_goes),
	KUNIT_CASE(prefix_slot_of_emptied_prefix_is_free_again),
	KUNIT_CASE(prefix_with_both_buckets_full_is_untracked),
	KUNIT_CASE(prefix_untracked_socket_leaving_changes_no_count),
	KUNIT_CASE(prefix_untracked_socket_leaving_keeps_count_of_tracked_one),
	KUNIT_CASE(prefix_socket_leaving_changes_no_table_that_did_not_count_it),
	KUNIT_CASE(prefix_socket_leaves_table_being_replaced_and_its_successor),
	KUNIT_CASE(prefix_socket_entering_during_recount_leaves_both_tables),
	KUNIT_CASE(prefix_socket_uncounted_by_replaced_table_leaves_it_alone),
	KUNIT_CASE(prefix_goes_to_emptier_bucket),
	KUNIT_CASE(prefix_high_water_mark_stays_after_sockets_go),
	KUNIT_CASE(prefix_request_sock_adopts_place_its_syn_claimed),
	KUNIT_CASE(prefix_v4mapped_request_sock_adopts_place_its_ipv4_syn_claimed),
	KUNIT_CASE(prefix_request_sock_of_other_source_leaves_claim_alone),
	KUNIT_CASE(prefix_place_of_syn_not_queued_is_given_back),
	KUNIT_CASE(prefix_claims_taken_back_with_their_table),
	KUNIT_CASE(prefix_counted_in_two_slots_counts_both),
	KUNIT_CASE(prefixes_keep_lengths_they_were_made_with),
	{}
};

static struct kunit_suite tcpstate_syncap_prefixes_suite = {
	.name = "tcpstate_syncap_prefixes",
	.init = syncap_test_init,
	.exit = syncap_test_exit,
	.test_cases = tcpstate_syncap_prefixes_cases,
};

kunit_test_suites(&tcpstate_syncap_prefixes_suite);
