// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tcpstate_twbudget_fifo, the FIFO of cookies a TIME_WAIT budget
 * keeps, oldest first (twbudget.c): what the engine appends and trims,
 * how the worker compacts it when a head that lives on holds stale
 * cookies behind it, and which cookie the worker's eviction leaves at the
 * head when it cannot kill. A cookie is live while the table holds it in
 * TIME_WAIT. The work itself never runs (the tests keep it stopped), and
 * no test lets an eviction reach a kill: that needs real sockets, and the
 * selftests drive it.
 */
#include <kunit/test.h>
#include "../twbudget.c"

/*
 * What an eviction finds, as a test sets it: an entry's state and age
 * from the table, and in the established hash test_lookup_sk for
 * test_lookup_cookie (never a TIME_WAIT sock), nothing for any other.
 */
static u64 test_lookup_cookie;
static struct sock *test_lookup_sk;

bool tcpstate_tuple_of(u64 cookie, struct tcpstate_tuple *t)
{
	struct tcpstate_sock *ts;
	bool found = false;

	rcu_read_lock();
	ts = tcpstate_table_lookup(cookie);
	if (ts) {
		memset(t, 0, sizeof(*t));
		t->state = ts->state;
		t->entered_ns = ts->entered_ns;
		found = true;
	}
	rcu_read_unlock();
	return found;
}

struct net *tcpstate_netns_cache_get(struct tcpstate_netns_cache *cache, u32 ino)
{
	return &init_net;
}

void tcpstate_netns_cache_put(struct tcpstate_netns_cache *cache)
{
}

struct sock *tcpstate_lookup_cookie(struct net *net, const struct tcpstate_tuple *t, u64 cookie)
{
	if (cookie != test_lookup_cookie || !test_lookup_sk)
		return NULL;
	sock_hold(test_lookup_sk);
	return test_lookup_sk;
}

void tcpstate_limits_walk_type(enum tcpstate_limit_type type,
			       void (*fn)(struct tcpstate_limit *l))
{
}

void tcpstate_limits_stat_add(enum tcpstate_limit_stat stat, u64 delta)
{
	this_cpu_add(tcpstate_limits_pcpu->stat[stat], delta);
}

static int twbudget_test_init(struct kunit *test)
{
	struct tcpstate_limit *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, l);
	test->priv = l;
	KUNIT_ASSERT_EQ(test, tcpstate_table_init(), 0);
	tcpstate_table_set_max(TCPSTATE_MAX_SOCKETS_DEFAULT);
	tcpstate_limits_pcpu = alloc_percpu(struct tcpstate_limits_pcpu);
	KUNIT_ASSERT_TRUE(test, !!tcpstate_limits_pcpu);
	KUNIT_ASSERT_EQ(test, tcpstate_twbudget_create(l), 0);
	/* No work: what the tests append must stay where they look. */
	WRITE_ONCE(tcpstate_twbudget_stopped, true);
	tcpstate_twbudget_calm_until = jiffies;
	test_lookup_cookie = 0;
	test_lookup_sk = NULL;
	return 0;
}

static void twbudget_test_exit(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;

	if (l)
		tcpstate_twbudget_destroy(l);
	tcpstate_table_uninit();
	free_percpu(tcpstate_limits_pcpu);
	tcpstate_limits_pcpu = NULL;
	WRITE_ONCE(tcpstate_twbudget_stopped, false);
}

/* cookie in TIME_WAIT in the table since now, and in l's count. */
static struct tcpstate_sock *test_tw_live(struct kunit *test, struct tcpstate_limit *l,
					  u64 cookie)
{
	struct tcpstate_sock *ts;
	bool full;

	ts = tcpstate_table_insert(cookie, &full);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	ts->state = TCPSTATE_TIME_WAIT;
	ts->entered_ns = ktime_get_ns();
	atomic_inc(&l->count);
	return ts;
}

/* A full sock in state, held once (by the hash): the lookup takes its own reference. */
static struct sock *test_full_sock(struct kunit *test, int state)
{
	struct sock *sk = kunit_kzalloc(test, sizeof(*sk), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sk);
	sk->sk_state = state;
	refcount_set(&sk->sk_refcnt, 1);
	return sk;
}

/* The engine's append, for a socket entering TIME_WAIT in l's scope: under RCU. */
static void test_tw_enter(struct tcpstate_limit *l, u64 cookie)
{
	struct tcpstate_sock ts = { .cookie = cookie };

	rcu_read_lock();
	tcpstate_twbudget_account(l, &ts, 1);
	rcu_read_unlock();
}

/*
 * l one over a budget of 1: cookie 1, in TIME_WAIT for oldest_ns, then 2,
 * just entered, both queued.
 */
static void test_tw_one_over_budget(struct kunit *test, struct tcpstate_limit *l,
				    u64 oldest_ns)
{
	struct tcpstate_sock *oldest;

	l->tw.budget = 1;
	oldest = test_tw_live(test, l, 1);
	oldest->entered_ns -= oldest_ns;
	test_tw_live(test, l, 2);
	test_tw_enter(l, 1);
	test_tw_enter(l, 2);
}

/* l's FIFO, popped: its cookies oldest first, n of them at most. */
static unsigned int test_tw_drain(struct tcpstate_limit *l, u64 *cookies, unsigned int n)
{
	unsigned int i = 0;

	spin_lock_irq(&l->tw.lock);
	while (l->tw.fifo.queued && i < n) {
		cookies[i++] = tcpstate_tw_peek(&l->tw.fifo);
		tcpstate_tw_drop_head(&l->tw.fifo);
	}
	spin_unlock_irq(&l->tw.lock);
	return i;
}

static bool test_tw_bloated(struct tcpstate_limit *l)
{
	bool bloated;

	spin_lock_irq(&l->tw.lock);
	bloated = tcpstate_tw_fifo_bloated(l);
	spin_unlock_irq(&l->tw.lock);
	return bloated;
}

/*
 * Cookies that went stale behind a head still in TIME_WAIT (a peer's ACKs
 * restart its timer) are not trimmed as new ones arrive: the head stops
 * the trim. The compaction takes them all.
 */
static void fifo_compaction_drops_stale_cookies_behind_live_head(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	unsigned int n = 3 * TCPSTATE_TW_CHUNK_COOKIES, i;
	u64 left[2];

	test_tw_live(test, l, 1);
	for (i = 1; i <= n; i++)
		test_tw_enter(l, i);	/* 2..n never live: gone already */
	KUNIT_EXPECT_EQ(test, l->tw.fifo.queued, n);
	KUNIT_EXPECT_TRUE(test, test_tw_bloated(l));
	tcpstate_tw_compact_if_bloated(l);
	KUNIT_EXPECT_FALSE(test, test_tw_bloated(l));
	KUNIT_ASSERT_EQ(test, test_tw_drain(l, left, ARRAY_SIZE(left)), 1U);
	KUNIT_EXPECT_EQ(test, left[0], 1ULL);
}

static void fifo_compaction_keeps_live_cookies_in_order(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	unsigned int n = 2 * TCPSTATE_TW_CHUNK_COOKIES + 7, i;
	u64 left[8];

	/* Every 200th of them lives on, across three chunks. */
	for (i = 1; i <= n; i++) {
		if (i % 200 == 1)
			test_tw_live(test, l, i);
		test_tw_enter(l, i);
	}
	tcpstate_tw_compact_if_bloated(l);
	KUNIT_ASSERT_EQ(test, test_tw_drain(l, left, ARRAY_SIZE(left)), 6U);
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ(test, left[i], (u64)(200 * i + 1));
}

/* Stale cookies behind a live head, too few to bloat the FIFO: left as they are. */
static void fifo_compaction_leaves_fifo_not_bloated_alone(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	unsigned int i;

	test_tw_live(test, l, 1);
	for (i = 1; i <= 10; i++)
		test_tw_enter(l, i);	/* 2..10 never live */
	tcpstate_tw_compact_if_bloated(l);
	KUNIT_EXPECT_EQ(test, l->tw.fifo.queued, 10U);
}

/* What arrives while a seed is sorted or a compaction filters comes after it. */
static void fifo_install_puts_arrivals_after_it(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	struct tcpstate_tw_fifo built;
	u64 left[5];

	tcpstate_tw_fifo_init(&built);
	KUNIT_ASSERT_TRUE(test, tcpstate_tw_push(&built, 10, GFP_KERNEL));
	KUNIT_ASSERT_TRUE(test, tcpstate_tw_push(&built, 11, GFP_KERNEL));
	test_tw_live(test, l, 20);
	test_tw_live(test, l, 21);
	test_tw_enter(l, 20);
	test_tw_enter(l, 21);
	KUNIT_EXPECT_EQ(test, tcpstate_tw_fifo_install(l, &built), 0U);
	KUNIT_EXPECT_EQ(test, built.queued, 0U);
	KUNIT_ASSERT_EQ(test, test_tw_drain(l, left, ARRAY_SIZE(left)), 4U);
	KUNIT_EXPECT_EQ(test, left[0], 10ULL);
	KUNIT_EXPECT_EQ(test, left[1], 11ULL);
	KUNIT_EXPECT_EQ(test, left[2], 20ULL);
	KUNIT_EXPECT_EQ(test, left[3], 21ULL);
}

/*
 * Stale heads go two per append, so a FIFO of ordered expiries stays
 * short: once the head that held them ends, the next append trims it
 * and the stale cookie after it.
 */
static void fifo_trims_two_stale_heads_per_append(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	struct tcpstate_sock *head;
	bool full;
	int i;

	test_tw_live(test, l, 1);
	for (i = 1; i <= 10; i++)
		test_tw_enter(l, i);	/* 2..10 never live */
	KUNIT_EXPECT_EQ(test, l->tw.fifo.queued, 10U);
	head = tcpstate_table_insert(1, &full);
	KUNIT_ASSERT_NOT_NULL(test, head);
	tcpstate_table_remove(head);
	test_tw_enter(l, 11);
	KUNIT_EXPECT_EQ(test, l->tw.fifo.queued, 9U);
}

static void fifo_bloated_beyond_twice_live_count_and_a_chunk(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	unsigned int bound, i;

	test_tw_live(test, l, 1);
	test_tw_live(test, l, 2);
	bound = 2 * 2 + TCPSTATE_TW_CHUNK_COOKIES;
	for (i = 1; i <= bound; i++)
		test_tw_enter(l, i <= 2 ? i : 1000 + i);
	KUNIT_EXPECT_EQ(test, l->tw.fifo.queued, bound);
	KUNIT_EXPECT_FALSE(test, test_tw_bloated(l));
	test_tw_enter(l, 5000);
	KUNIT_EXPECT_TRUE(test, test_tw_bloated(l));
}

/*
 * What the lookup finds of a socket the engine saw enter TIME_WAIT, at
 * the hashdance's entry, while the hashdance goes on: its full sock, same
 * cookie, not yet replaced in the established hash; or, on 6.1, which
 * hashes the timewait sock before it gives it a reference count, nothing
 * (the lookup skips a socket whose count is 0).
 */
struct hashdance_case {
	const char *found;
	int full_state;		/* of the full sock found; 0: nothing found */
};

static const struct hashdance_case hashdance_cases[] = {
	{ "its full sock", TCP_FIN_WAIT1 },
	{ "nothing", 0 },
};

static void hashdance_case_desc(const struct hashdance_case *c, char *desc)
{
	strscpy(desc, c->found, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hashdance, hashdance_cases, hashdance_case_desc);

/* 1 is still the oldest, killable in a moment: 2 must not go in its place. */
static void evict_leaves_head_still_in_its_hashdance(struct kunit *test)
{
	const struct hashdance_case *c = test->param_value;
	struct tcpstate_limit *l = test->priv;
	u64 left[3];

	test_tw_one_over_budget(test, l, 0);
	if (c->full_state) {
		test_lookup_cookie = 1;
		test_lookup_sk = test_full_sock(test, c->full_state);
	}
	tcpstate_twbudget_enforce(l);
	KUNIT_ASSERT_EQ(test, test_tw_drain(l, left, ARRAY_SIZE(left)), 2U);
	KUNIT_EXPECT_EQ(test, left[0], 1ULL);
	KUNIT_EXPECT_EQ(test, left[1], 2ULL);
}

/*
 * Long after entering TIME_WAIT, not found cannot be killed from here (a
 * kill the engine missed; as a dying namespace's, still counted): 1 stays
 * at the head and does not count against the budget, so 2, one over it
 * with 1, is not tried in its place.
 */
static void evict_keeps_unkillable_head_and_spares_younger(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	u64 left[3];

	test_tw_one_over_budget(test, l, 2 * TCPSTATE_TW_SETTLE_NS);
	tcpstate_twbudget_enforce(l);
	KUNIT_EXPECT_EQ(test, tcpstate_limits_stat_read(TCPSTATE_LSTAT_TW_EVICT_FAILED), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_limits_stat_read(TCPSTATE_LSTAT_TW_EVICT_RETRIED), 0ULL);
	/* Nothing else to do: the next kicks wait a while. */
	KUNIT_EXPECT_TRUE(test, time_after(tcpstate_twbudget_calm_until, jiffies));
	KUNIT_ASSERT_EQ(test, test_tw_drain(l, left, ARRAY_SIZE(left)), 2U);
	KUNIT_EXPECT_EQ(test, left[0], 1ULL);
	KUNIT_EXPECT_EQ(test, left[1], 2ULL);
}

/*
 * Budget 1, four queued, three live: 1 unkillable, 2 stale, 3 and 4 just
 * entered. Without 1, 3 and 4 are one over: the worker passes 1 and 2
 * (behind the kept head, 2 stays too) and tries 3, which is still in its
 * hashdance, so it stops there for a jiffy. Nothing leaves the FIFO.
 */
static void evict_tries_past_unkillable_head_keeping_order(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	struct tcpstate_sock *oldest;
	u64 left[5];
	int i;

	l->tw.budget = 1;
	oldest = test_tw_live(test, l, 1);
	oldest->entered_ns -= 2 * TCPSTATE_TW_SETTLE_NS;
	test_tw_live(test, l, 3);
	test_tw_live(test, l, 4);
	for (i = 1; i <= 4; i++)
		test_tw_enter(l, i);
	tcpstate_twbudget_enforce(l);
	KUNIT_EXPECT_EQ(test, tcpstate_limits_stat_read(TCPSTATE_LSTAT_TW_EVICT_FAILED), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_limits_stat_read(TCPSTATE_LSTAT_TW_EVICT_RETRIED), 1ULL);
	/* Stopped by 3, which is killable in a moment: no pause. */
	KUNIT_EXPECT_FALSE(test, time_after(tcpstate_twbudget_calm_until, jiffies));
	KUNIT_ASSERT_EQ(test, test_tw_drain(l, left, ARRAY_SIZE(left)), 4U);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, left[i], (u64)i + 1);
}

/*
 * The cookie pos places behind the head, across chunks. Pushed as they
 * are, not appended: the engine's trim would take them, none being in the
 * table. Checked after the lock is dropped: a failed expectation allocates.
 */
static void fifo_peek_at_reads_across_chunks(struct kunit *test)
{
	struct tcpstate_limit *l = test->priv;
	unsigned int n = 2 * TCPSTATE_TW_CHUNK_COOKIES + 3, pushed = 0, wrong = 0, queued, i;

	spin_lock_irq(&l->tw.lock);
	for (i = 1; i <= n; i++)
		pushed += tcpstate_tw_push(&l->tw.fifo, i, GFP_ATOMIC);
	if (pushed == n) {
		tcpstate_tw_drop_head(&l->tw.fifo);
		tcpstate_tw_drop_head(&l->tw.fifo);
		for (i = 0; i < n - 2; i++)
			wrong += tcpstate_tw_peek_at(&l->tw.fifo, i) != (u64)i + 3;
	}
	queued = l->tw.fifo.queued;
	spin_unlock_irq(&l->tw.lock);
	KUNIT_ASSERT_EQ(test, pushed, n);
	KUNIT_EXPECT_EQ(test, queued, n - 2);
	KUNIT_EXPECT_EQ(test, wrong, 0U);
}

static struct kunit_case tcpstate_twbudget_fifo_cases[] = {
	KUNIT_CASE(fifo_compaction_drops_stale_cookies_behind_live_head),
	KUNIT_CASE(fifo_compaction_keeps_live_cookies_in_order),
	KUNIT_CASE(fifo_compaction_leaves_fifo_not_bloated_alone),
	KUNIT_CASE(fifo_install_puts_arrivals_after_it),
	KUNIT_CASE(fifo_trims_two_stale_heads_per_append),
	KUNIT_CASE(fifo_bloated_beyond_twice_live_count_and_a_chunk),
	KUNIT_CASE_PARAM(evict_leaves_head_still_in_its_hashdance, hashdance_gen_params),
	KUNIT_CASE(evict_keeps_unkillable_head_and_spares_younger),
	KUNIT_CASE(evict_tries_past_unkillable_head_keeping_order),
	KUNIT_CASE(fifo_peek_at_reads_across_chunks),
	{}
};

static struct kunit_suite tcpstate_twbudget_fifo_suite = {
	.name = "tcpstate_twbudget_fifo",
	.init = twbudget_test_init,
	.exit = twbudget_test_exit,
	.test_cases = tcpstate_twbudget_fifo_cases,
};

kunit_test_suites(&tcpstate_twbudget_fifo_suite);
