// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the socket table (table.c) and the engine (engine.c) driven with
 * real struct sock objects built here, as the hooks would drive them.
 * Suites: tcpstate_table, tcpstate_engine, tcpstate_histogram.
 */
#include <kunit/test.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <net/net_namespace.h>
#include "../table.c"
#include "../engine.c"
#include <tcpstate/log.h>
#include <tcpstate/lookup.h>

/* What main.c, netns.c and limits.c own in the real module. */
struct tcpstate_log tcpstate_log;
bool tcpstate_enabled = true;
int tcpstate_limits_nr;		/* 0: the engine never calls the next */

/* What a limit on local port TEST_LIMIT_PORT would count, per state. */
#define TEST_LIMIT_PORT 40000
static int test_limit_count[TCPSTATE_NR_STATES];

void __tcpstate_limits_account(struct tcpstate_sock *ts, int state, int delta)
{
	if (ts->sport == TEST_LIMIT_PORT)
		test_limit_count[state] += delta;
}

/*
 * The established hash, as far as the engine asks (lookup.c): it holds
 * test_hashed's cookie under test_hashed, and no other cookie.
 */
static const struct sock *test_hashed;

bool tcpstate_cookie_held_by_other(const struct sock *sk, u64 cookie)
{
	return test_hashed && test_hashed != sk &&
	       atomic64_read(&test_hashed->sk_cookie) == cookie;
}

/* Every test socket lives in one namespace, whose counters are these. */
static struct tcpstate_counters test_netns;

struct tcpstate_counters *tcpstate_netns_counters_of(const struct net *net)
{
	return &test_netns;
}

static int engine_test_init(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, tcpstate_engine_init(), 0);
	KUNIT_ASSERT_EQ(test, tcpstate_counters_init(&test_netns), 0);
	KUNIT_ASSERT_EQ(test, tcpstate_table_init(), 0);
	KUNIT_ASSERT_EQ(test, tcpstate_log_init(&tcpstate_log, TCPSTATE_LOG_MIN_RECORDS), 0);
	tcpstate_table_set_max(TCPSTATE_MAX_SOCKETS_DEFAULT);
	WRITE_ONCE(tcpstate_enabled, true);
	tcpstate_limits_nr = 0;
	memset(test_limit_count, 0, sizeof(test_limit_count));
	test_hashed = NULL;
	return 0;
}

static void engine_test_exit(struct kunit *test)
{
	tcpstate_log_uninit(&tcpstate_log);
	tcpstate_table_uninit();
	tcpstate_counters_uninit(&test_netns);
	tcpstate_engine_uninit();
}

/* A socket as the hooks see one: only sock_common is read. */
static struct sock *test_sock(struct kunit *test, u64 cookie, u16 sport, u16 dport)
{
	struct sock *sk = kunit_kzalloc(test, sizeof(*sk), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sk);
	sk->sk_family = AF_INET;
	sk->sk_rcv_saddr = htonl(0xc6120001);	/* 198.18.0.1 */
	sk->sk_daddr = htonl(0xc6120002);
	sk->sk_num = sport;
	sk->sk_dport = htons(dport);
	write_pnet(&sk->sk_net, &init_net);
	atomic64_set(&sk->sk_cookie, cookie);
	return sk;
}

static void apply(struct sock *sk, u8 type, u8 kind, int from, int to)
{
	struct tcpstate_event ev = {
		.sk = sk, .cookie = atomic64_read(&sk->sk_cookie),
		.type = type, .kind = kind, .old_state = from, .new_state = to,
	};

	tcpstate_engine_apply(&ev);
}

static u64 matrix(int from, int to)
{
	return tcpstate_matrix_read(&tcpstate_global.matrix, from, to);
}

static struct tcpstate_sock *find(u64 cookie)
{
	struct tcpstate_sock *ts;

	rcu_read_lock();
	ts = tcpstate_table_lookup(cookie);
	rcu_read_unlock();
	return ts;	/* the tests free nothing concurrently */
}

/* --- tcpstate_table ------------------------------------------------------ */

static void table_insert_then_lookup_finds_entry(struct kunit *test)
{
	struct tcpstate_sock *ts;
	bool full;

	ts = tcpstate_table_insert(42, &full);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	KUNIT_EXPECT_FALSE(test, full);
	KUNIT_EXPECT_PTR_EQ(test, find(42), ts);
	KUNIT_EXPECT_NULL(test, find(43));
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 1U);
}

static void table_insert_of_existing_cookie_returns_existing(struct kunit *test)
{
	struct tcpstate_sock *a, *b;
	bool full;

	a = tcpstate_table_insert(7, &full);
	b = tcpstate_table_insert(7, &full);
	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 1U);
}

static void table_insert_beyond_max_reports_full(struct kunit *test)
{
	bool full;

	tcpstate_table_set_max(2);
	KUNIT_EXPECT_NOT_NULL(test, tcpstate_table_insert(1, &full));
	KUNIT_EXPECT_NOT_NULL(test, tcpstate_table_insert(2, &full));
	KUNIT_EXPECT_NULL(test, tcpstate_table_insert(3, &full));
	KUNIT_EXPECT_TRUE(test, full);
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 2U);
}

static void table_remove_makes_lookup_miss(struct kunit *test)
{
	struct tcpstate_sock *ts;
	bool full;

	ts = tcpstate_table_insert(9, &full);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	spin_lock_irq(tcpstate_sock_lock(9));
	tcpstate_table_remove(ts);
	spin_unlock_irq(tcpstate_sock_lock(9));
	KUNIT_EXPECT_NULL(test, find(9));
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 0U);
}

static void table_entry_fits_memory_budget(struct kunit *test)
{
	/* 160 bytes per socket including buckets; buckets cost up to 22. */
	KUNIT_EXPECT_LE(test, sizeof(struct tcpstate_sock), (size_t)136);
}

static struct kunit_case tcpstate_table_cases[] = {
	KUNIT_CASE(table_insert_then_lookup_finds_entry),
	KUNIT_CASE(table_insert_of_existing_cookie_returns_existing),
	KUNIT_CASE(table_insert_beyond_max_reports_full),
	KUNIT_CASE(table_remove_makes_lookup_miss),
	KUNIT_CASE(table_entry_fits_memory_budget),
	{}
};

static struct kunit_suite tcpstate_table_suite = {
	.name = "tcpstate_table",
	.init = engine_test_init,
	.exit = engine_test_exit,
	.test_cases = tcpstate_table_cases,
};

/* --- tcpstate_engine ---------------------------------------------------- */

static void engine_active_open_moves_gauge_and_counts_matrix(struct kunit *test)
{
	struct sock *sk = test_sock(test, 100, 40000, 80);

	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_SENT, TCP_ESTABLISHED);

	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_SENT), 0LL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_ESTABLISHED), 1LL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_CLOSE, TCP_SYN_SENT), 1ULL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_SYN_SENT, TCP_ESTABLISHED), 1ULL);
	KUNIT_ASSERT_NOT_NULL(test, find(100));
	KUNIT_EXPECT_EQ(test, find(100)->state, (u8)TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, find(100)->sport, (u16)40000);
	KUNIT_EXPECT_EQ(test, find(100)->nr_history, (u8)2);
}

static void engine_request_to_child_to_timewait_keeps_one_entry(struct kunit *test)
{
	struct sock *req = test_sock(test, 200, 80, 40000);
	struct sock *child = test_sock(test, 200, 80, 40000);
	struct sock *tw = test_sock(test, 200, 80, 40000);

	apply(req, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_RECV), 1LL);
	/* the child's first reported event hands it the request's entry */
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_ESTABLISHED);
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_ESTABLISHED, TCP_FIN_WAIT1);
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_FIN_WAIT1, TCP_FIN_WAIT2);
	apply(tw, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_TIMEWAIT, TCP_FIN_WAIT2, TCP_TIME_WAIT);
	/* the full socket's own exit after the handover changes nothing */
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_FIN_WAIT2, TCP_CLOSE);
	apply(child, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);

	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 1U);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_TIME_WAIT), 1LL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_RECV), 0LL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_CLOSE), 0LL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_FIN_WAIT2, TCP_CLOSE), 0ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_SUPERSEDED), 1ULL);

	apply(tw, TCPSTATE_EV_EXIT, TCPSTATE_KIND_TIMEWAIT, TCP_TIME_WAIT, TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 0U);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_TIME_WAIT), 0LL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_TIME_WAIT, TCP_CLOSE), 1ULL);
}

static void engine_child_without_request_is_born_of_listener(struct kunit *test)
{
	struct sock *child = test_sock(test, 250, 80, 40000);

	/* syncookie: no request sock was queued */
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_ESTABLISHED);

	KUNIT_EXPECT_EQ(test, matrix(TCP_LISTEN, TCP_SYN_RECV), 1ULL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_SYN_RECV, TCP_ESTABLISHED), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_RECV), 0LL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_ESTABLISHED), 1LL);
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_UNTRACKED), 0ULL);
	KUNIT_EXPECT_EQ(test, find(250)->nr_history, (u8)2);
}

/* How many states' gauges are not 0: none once every socket has ended. */
static int gauges_nonzero(void)
{
	int state, n = 0;

	for (state = TCPSTATE_ESTABLISHED; state < TCPSTATE_NR_STATES; state++)
		n += tcpstate_gauge_read(state) != 0;
	return n;
}

/* One passive open that ended in SYN_RECV, and nothing else counted or held. */
static void expect_one_passive_open_ended_in_syn_recv(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, matrix(TCP_LISTEN, TCP_SYN_RECV), 1ULL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_SYN_RECV, TCP_CLOSE), 1ULL);
	KUNIT_EXPECT_EQ(test, gauges_nonzero(), 0);
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 0U);
}

/* One passive open, now ESTABLISHED, and nothing else counted or held. */
static void expect_one_passive_open_established(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, matrix(TCP_LISTEN, TCP_SYN_RECV), 1ULL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_SYN_RECV, TCP_ESTABLISHED), 1ULL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_SYN_RECV, TCP_CLOSE), 0ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_ESTABLISHED), 1LL);
	KUNIT_EXPECT_EQ(test, gauges_nonzero(), 1);
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 1U);
}

static void engine_child_closed_beside_hashed_request_leaves_it_its_end(struct kunit *test)
{
	struct sock *req = test_sock(test, 260, 80, 40000);
	struct sock *child = test_sock(test, 260, 80, 40000);

	apply(req, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	/* tcp_v4_syn_recv_sock() put_and_exit: closed before it was hashed */
	test_hashed = req;
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_CLOSE);
	apply(child, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);
	/* the request stayed in the SYN queue */
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_RECV), 1LL);
	KUNIT_ASSERT_NOT_NULL(test, find(260));
	KUNIT_EXPECT_EQ(test, find(260)->kind, (u8)TCPSTATE_KIND_REQUEST);
	/* and times out */
	apply(req, TCPSTATE_EV_EXIT, TCPSTATE_KIND_REQUEST, TCP_SYN_RECV, TCP_CLOSE);

	expect_one_passive_open_ended_in_syn_recv(test);
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_UNTRACKED), 0ULL);
}

static void engine_child_closed_beside_hashed_request_then_next_ack_is_one_open(struct kunit *test)
{
	struct sock *req = test_sock(test, 265, 80, 40000);
	struct sock *failed = test_sock(test, 265, 80, 40000);
	struct sock *child = test_sock(test, 265, 80, 40000);

	apply(req, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	test_hashed = req;
	apply(failed, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_CLOSE);
	apply(failed, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);
	/* the peer's next ACK makes a child that replaces the request */
	test_hashed = child;
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_ESTABLISHED);

	expect_one_passive_open_established(test);
}

/*
 * Two ACKs for one request on two CPUs each make a child, and
 * inet_ehash_insert() lets the first to replace the request win; the
 * loser closes (inet_ehash_nolisten()) and is freed. The engine may see
 * their events in any of these orders.
 */
enum race_event { LOSER_CLOSES, LOSER_FREED, WINNER_ESTABLISHES, RACE_EVENTS };

struct race_case {
	const char *desc;
	enum race_event order[RACE_EVENTS];
};

static const struct race_case race_cases[] = {
	{ "loser closes, winner establishes, loser freed",
	  { LOSER_CLOSES, WINNER_ESTABLISHES, LOSER_FREED } },
	{ "loser closes and is freed, winner establishes",
	  { LOSER_CLOSES, LOSER_FREED, WINNER_ESTABLISHES } },
	{ "winner establishes, loser closes and is freed",
	  { WINNER_ESTABLISHES, LOSER_CLOSES, LOSER_FREED } },
};

static void race_case_desc(const struct race_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(race, race_cases, race_case_desc);

static void engine_losing_child_of_two_acks_leaves_winner_one_open(struct kunit *test)
{
	const struct race_case *c = test->param_value;
	struct sock *req = test_sock(test, 270, 80, 40000);
	struct sock *loser = test_sock(test, 270, 80, 40000);
	struct sock *winner = test_sock(test, 270, 80, 40000);
	int i;

	apply(req, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	test_hashed = winner;
	for (i = 0; i < RACE_EVENTS; i++) {
		switch (c->order[i]) {
		case LOSER_CLOSES:
			apply(loser, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV,
			      TCP_CLOSE);
			break;
		case LOSER_FREED:
			apply(loser, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);
			break;
		default:
			apply(winner, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV,
			      TCP_ESTABLISHED);
			break;
		}
	}

	expect_one_passive_open_established(test);
	KUNIT_ASSERT_NOT_NULL(test, find(270));
	KUNIT_EXPECT_EQ(test, find(270)->owner_tag, tcpstate_owner_tag(winner));
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_SUPERSEDED), 1ULL);
}

/*
 * A child that took its request's place and closes in SYN_RECV (its
 * listener closed: inet_child_forget()): the request reports nothing more.
 */
static void engine_child_closed_in_requests_place_ends_request(struct kunit *test)
{
	struct sock *req = test_sock(test, 285, 80, 40000);
	struct sock *child = test_sock(test, 285, 80, 40000);

	apply(req, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_CLOSE);
	apply(child, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);

	expect_one_passive_open_ended_in_syn_recv(test);
}

/* A Fast Open child had no request queued, and may die in SYN_RECV (a RST). */
static void engine_fastopen_child_reset_is_born_and_ends(struct kunit *test)
{
	struct sock *child = test_sock(test, 290, 80, 40000);

	apply(child, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_RECV, TCP_CLOSE);
	apply(child, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);

	expect_one_passive_open_ended_in_syn_recv(test);
}

static void engine_counts_namespace_beside_global(struct kunit *test)
{
	struct sock *sk = test_sock(test, 800, 1, 2);

	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_SENT, TCP_ESTABLISHED);

	KUNIT_EXPECT_EQ(test, tcpstate_counters_gauge(&test_netns, TCP_ESTABLISHED), 1LL);
	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read(&test_netns.matrix, TCP_SYN_SENT,
						   TCP_ESTABLISHED), 1ULL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_SYN_SENT, TCP_ESTABLISHED), 1ULL);
}

static void engine_exit_of_unknown_socket_counts_untracked_only(struct kunit *test)
{
	struct sock *tw = test_sock(test, 300, 1, 2);

	apply(tw, TCPSTATE_EV_EXIT, TCPSTATE_KIND_TIMEWAIT, TCP_TIME_WAIT, TCP_CLOSE);

	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_UNTRACKED), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_TIME_WAIT), 0LL);
	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 0U);
}

static void engine_limits_count_a_socket_under_the_port_it_had(struct kunit *test)
{
	struct sock *sk = test_sock(test, 150, 0, 443);

	tcpstate_limits_nr = 1;
	/* connect(): SYN_SENT first, the ephemeral port after */
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);
	sk->sk_num = TEST_LIMIT_PORT;
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_SENT, TCP_ESTABLISHED);

	KUNIT_EXPECT_EQ(test, test_limit_count[TCP_SYN_SENT], 0);
	KUNIT_EXPECT_EQ(test, test_limit_count[TCP_ESTABLISHED], 1);
	KUNIT_EXPECT_EQ(test, find(150)->sport, (u16)TEST_LIMIT_PORT);
}

static void engine_timewait_rearm_after_kill_brings_nothing_back(struct kunit *test)
{
	struct sock *full = test_sock(test, 320, 80, 40000);
	struct sock *tw = test_sock(test, 320, 80, 40000);

	apply(full, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);
	apply(full, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_SENT, TCP_ESTABLISHED);
	apply(full, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_ESTABLISHED, TCP_FIN_WAIT1);
	apply(full, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_FIN_WAIT1, TCP_FIN_WAIT2);
	apply(tw, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_TIMEWAIT, TCP_FIN_WAIT2, TCP_FIN_WAIT2);
	/* killed on one CPU while another re-arms it on the FIN */
	apply(tw, TCPSTATE_EV_EXIT, TCPSTATE_KIND_TIMEWAIT, TCP_FIN_WAIT2, TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_UNTRACKED), 0ULL);
	apply(tw, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_TIMEWAIT, TCPSTATE_STATE_UNKNOWN,
	      TCP_TIME_WAIT);

	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 0U);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_TIME_WAIT), 0LL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_FIN_WAIT2), 0LL);
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_UNTRACKED), 1ULL);
}

static void engine_migrated_request_exit_ends_entry(struct kunit *test)
{
	struct sock *req = test_sock(test, 350, 80, 40000);
	struct sock *clone = test_sock(test, 350, 80, 40000);

	apply(req, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_REQUEST, TCP_LISTEN, TCP_SYN_RECV);
	/* reuseport migration: a clone takes req's place, silently, and times out */
	apply(clone, TCPSTATE_EV_EXIT, TCPSTATE_KIND_REQUEST, TCP_SYN_RECV, TCP_CLOSE);

	KUNIT_EXPECT_EQ(test, tcpstate_table_count(), 0U);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_RECV), 0LL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_SYN_RECV, TCP_CLOSE), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_SUPERSEDED), 0ULL);
}

static void engine_history_past_255_keeps_newest_last(struct kunit *test)
{
	struct sock *sk = test_sock(test, 370, 1, 2);
	struct tcpstate_sock *ts;
	int i;

	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_ESTABLISHED);
	for (i = 0; i < 300; i++)
		apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL,
		      i % 2 ? TCP_CLOSE_WAIT : TCP_ESTABLISHED,
		      i % 2 ? TCP_ESTABLISHED : TCP_CLOSE_WAIT);
	/* 301 transitions; i = 299, the last, went CLOSE_WAIT -> ESTABLISHED */
	ts = find(370);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	KUNIT_EXPECT_GE(test, ts->nr_history, (u8)(U8_MAX + 1 - TCPSTATE_SOCK_HISTORY));
	KUNIT_EXPECT_EQ(test, ts->history_state[(ts->nr_history - 1) % TCPSTATE_SOCK_HISTORY],
			(u8)(TCP_CLOSE_WAIT << 4 | TCP_ESTABLISHED));
	KUNIT_EXPECT_EQ(test, ts->history_state[(ts->nr_history - 2) % TCPSTATE_SOCK_HISTORY],
			(u8)(TCP_ESTABLISHED << 4 | TCP_CLOSE_WAIT));
}

static void engine_socket_turned_ipv4_loses_inet6_flag(struct kunit *test)
{
	struct sock *sk = test_sock(test, 380, 1, 2);

	sk->sk_family = AF_INET6;
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);
	KUNIT_ASSERT_NOT_NULL(test, find(380));
	KUNIT_EXPECT_EQ(test, find(380)->flags & TCPSTATE_SOCK_INET6,
			IS_ENABLED(CONFIG_IPV6) ? TCPSTATE_SOCK_INET6 : 0);
	/* IPV6_ADDRFORM */
	sk->sk_family = AF_INET;
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_SYN_SENT, TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, find(380)->flags & TCPSTATE_SOCK_INET6, 0);
}

static void engine_adopt_after_hook_keeps_hook_state(struct kunit *test)
{
	struct sock *sk = test_sock(test, 400, 1, 2);

	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_LISTEN);
	apply(sk, TCPSTATE_EV_ADOPT, TCPSTATE_KIND_FULL, TCP_ESTABLISHED, TCP_ESTABLISHED);

	KUNIT_EXPECT_EQ(test, find(400)->state, (u8)TCP_LISTEN);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_LISTEN), 1LL);
	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_ADOPTED), 0ULL);
}

static void engine_adopt_of_timewait_takes_over_from_full_sock(struct kunit *test)
{
	struct sock *full = test_sock(test, 450, 1, 2);
	struct sock *tw = test_sock(test, 450, 1, 2);

	apply(full, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_FIN_WAIT1, TCP_FIN_WAIT2);
	/* the tw was published before its probe existed; the walk finds it */
	apply(tw, TCPSTATE_EV_ADOPT, TCPSTATE_KIND_TIMEWAIT, TCP_TIME_WAIT, TCP_TIME_WAIT);
	apply(full, TCPSTATE_EV_FREE, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_CLOSE);

	KUNIT_ASSERT_NOT_NULL(test, find(450));
	KUNIT_EXPECT_EQ(test, find(450)->kind, (u8)TCPSTATE_KIND_TIMEWAIT);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_TIME_WAIT), 1LL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_FIN_WAIT2), 0LL);
}

static void engine_missed_event_is_repaired_by_next_hook(struct kunit *test)
{
	struct sock *sk = test_sock(test, 500, 1, 2);

	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);
	/* SYN_SENT -> ESTABLISHED was missed */
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_ESTABLISHED, TCP_CLOSE_WAIT);

	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_STATE_MISMATCH), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_SENT), 0LL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_CLOSE_WAIT), 1LL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_ESTABLISHED, TCP_CLOSE_WAIT), 1ULL);
}

static void engine_full_table_counts_and_leaves_gauges(struct kunit *test)
{
	tcpstate_table_set_max(1);
	apply(test_sock(test, 600, 1, 2), TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL,
	      TCP_CLOSE, TCP_SYN_SENT);
	apply(test_sock(test, 601, 1, 2), TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL,
	      TCP_CLOSE, TCP_SYN_SENT);

	KUNIT_EXPECT_EQ(test, tcpstate_stat_read(TCPSTATE_STAT_TABLE_FULL), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_SENT), 1LL);
	/* the matrix counts every transition, tracked or not */
	KUNIT_EXPECT_EQ(test, matrix(TCP_CLOSE, TCP_SYN_SENT), 2ULL);
}

static void engine_disabled_keeps_table_but_counts_nothing(struct kunit *test)
{
	struct sock *sk = test_sock(test, 700, 1, 2);

	WRITE_ONCE(tcpstate_enabled, false);
	apply(sk, TCPSTATE_EV_TRANSITION, TCPSTATE_KIND_FULL, TCP_CLOSE, TCP_SYN_SENT);

	KUNIT_EXPECT_EQ(test, tcpstate_gauge_read(TCP_SYN_SENT), 1LL);
	KUNIT_EXPECT_EQ(test, matrix(TCP_CLOSE, TCP_SYN_SENT), 0ULL);
}

static struct kunit_case tcpstate_engine_cases[] = {
	KUNIT_CASE(engine_active_open_moves_gauge_and_counts_matrix),
	KUNIT_CASE(engine_request_to_child_to_timewait_keeps_one_entry),
	KUNIT_CASE(engine_child_without_request_is_born_of_listener),
	KUNIT_CASE(engine_child_closed_beside_hashed_request_leaves_it_its_end),
	KUNIT_CASE(engine_child_closed_beside_hashed_request_then_next_ack_is_one_open),
	KUNIT_CASE_PARAM(engine_losing_child_of_two_acks_leaves_winner_one_open, race_gen_params),
	KUNIT_CASE(engine_child_closed_in_requests_place_ends_request),
	KUNIT_CASE(engine_fastopen_child_reset_is_born_and_ends),
	KUNIT_CASE(engine_counts_namespace_beside_global),
	KUNIT_CASE(engine_exit_of_unknown_socket_counts_untracked_only),
	KUNIT_CASE(engine_limits_count_a_socket_under_the_port_it_had),
	KUNIT_CASE(engine_timewait_rearm_after_kill_brings_nothing_back),
	KUNIT_CASE(engine_migrated_request_exit_ends_entry),
	KUNIT_CASE(engine_history_past_255_keeps_newest_last),
	KUNIT_CASE(engine_socket_turned_ipv4_loses_inet6_flag),
	KUNIT_CASE(engine_adopt_after_hook_keeps_hook_state),
	KUNIT_CASE(engine_adopt_of_timewait_takes_over_from_full_sock),
	KUNIT_CASE(engine_missed_event_is_repaired_by_next_hook),
	KUNIT_CASE(engine_full_table_counts_and_leaves_gauges),
	KUNIT_CASE(engine_disabled_keeps_table_but_counts_nothing),
	{}
};

static struct kunit_suite tcpstate_engine_suite = {
	.name = "tcpstate_engine",
	.init = engine_test_init,
	.exit = engine_test_exit,
	.test_cases = tcpstate_engine_cases,
};

/* --- tcpstate_histogram ------------------------------------------------- */

struct hist_case {
	u64 dwell_ns;
	int bucket;
};

static const struct hist_case hist_cases[] = {
	{ 0, 0 }, { 1, 0 }, { 2, 1 }, { 3, 1 }, { 4, 2 },
	{ 1023, 9 }, { 1024, 10 }, { NSEC_PER_SEC, 29 }, { U64_MAX, 63 },
};

static void hist_case_desc(const struct hist_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%llu ns", c->dwell_ns);
}

KUNIT_ARRAY_PARAM(hist, hist_cases, hist_case_desc);

static void hist_add_puts_dwell_in_log2_bucket(struct kunit *test)
{
	const struct hist_case *c = test->param_value;

	tcpstate_hist_add(&test_netns, TCP_ESTABLISHED, c->dwell_ns);
	KUNIT_EXPECT_EQ(test, tcpstate_hist_read(TCP_ESTABLISHED, c->bucket), 1ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_counters_hist(&test_netns, TCP_ESTABLISHED, c->bucket),
			1ULL);
	if (c->bucket > 0)
		KUNIT_EXPECT_EQ(test, tcpstate_hist_read(TCP_ESTABLISHED, c->bucket - 1), 0ULL);
}

static void hist_read_out_of_range_is_zero(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, tcpstate_hist_read(TCP_ESTABLISHED, -1), 0ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_hist_read(TCP_ESTABLISHED, TCPSTATE_HIST_BUCKETS), 0ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_hist_read(0, 0), 0ULL);
}

static struct kunit_case tcpstate_histogram_cases[] = {
	KUNIT_CASE_PARAM(hist_add_puts_dwell_in_log2_bucket, hist_gen_params),
	KUNIT_CASE(hist_read_out_of_range_is_zero),
	{}
};

static struct kunit_suite tcpstate_histogram_suite = {
	.name = "tcpstate_histogram",
	.init = engine_test_init,
	.exit = engine_test_exit,
	.test_cases = tcpstate_histogram_cases,
};

kunit_test_suites(&tcpstate_table_suite, &tcpstate_engine_suite,
		  &tcpstate_histogram_suite);
