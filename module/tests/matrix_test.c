// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tcpstate_matrix, the per-CPU transition counters (matrix.c).
 * Each case gets a fresh matrix from the suite's .init fixture.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <net/tcp_states.h>
#include "../matrix.c"

static int matrix_test_init(struct kunit *test)
{
	struct tcpstate_matrix *m;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->cells = alloc_percpu(struct tcpstate_matrix_cells);
	if (!m->cells)
		return -ENOMEM;
	test->priv = m;
	return 0;
}

static void matrix_test_exit(struct kunit *test)
{
	struct tcpstate_matrix *m = test->priv;

	free_percpu(m->cells);
}

static void matrix_count_adds_one_to_its_cell_only(struct kunit *test)
{
	struct tcpstate_matrix *m = test->priv;
	int from, to;
	u64 total = 0;

	tcpstate_matrix_count(m, TCP_CLOSE, TCP_SYN_SENT);
	tcpstate_matrix_count(m, TCP_CLOSE, TCP_SYN_SENT);

	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read(m, TCP_CLOSE, TCP_SYN_SENT), 2ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read(m, TCP_SYN_SENT, TCP_CLOSE), 0ULL);
	for (from = 1; from < TCPSTATE_NR_STATES; from++)
		for (to = 1; to < TCPSTATE_NR_STATES; to++)
			total += tcpstate_matrix_read(m, from, to);
	KUNIT_EXPECT_EQ(test, total, 2ULL);
}

static void matrix_read_sums_every_possible_cpu(struct kunit *test)
{
	struct tcpstate_matrix *m = test->priv;
	u64 expected = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		per_cpu_ptr(m->cells, cpu)->count[TCP_ESTABLISHED][TCP_FIN_WAIT1] = cpu + 1;
		expected += cpu + 1;
	}
	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read(m, TCP_ESTABLISHED, TCP_FIN_WAIT1),
			expected);
}

static void matrix_count_of_unknown_state_goes_to_invalid(struct kunit *test)
{
	struct tcpstate_matrix *m = test->priv;

	tcpstate_matrix_count(m, 0, TCP_CLOSE);
	tcpstate_matrix_count(m, TCP_CLOSE, TCPSTATE_NR_STATES);
	tcpstate_matrix_count(m, -1, 200);

	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read_invalid(m), 3ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read(m, 0, TCP_CLOSE), 0ULL);
}

static void matrix_reset_zeroes_every_cell_and_invalid(struct kunit *test)
{
	struct tcpstate_matrix *m = test->priv;

	tcpstate_matrix_count(m, TCP_LISTEN, TCP_CLOSE);
	tcpstate_matrix_count(m, 0, 0);
	tcpstate_matrix_reset(m);

	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read(m, TCP_LISTEN, TCP_CLOSE), 0ULL);
	KUNIT_EXPECT_EQ(test, tcpstate_matrix_read_invalid(m), 0ULL);
}

static struct kunit_case tcpstate_matrix_cases[] = {
	KUNIT_CASE(matrix_count_adds_one_to_its_cell_only),
	KUNIT_CASE(matrix_read_sums_every_possible_cpu),
	KUNIT_CASE(matrix_count_of_unknown_state_goes_to_invalid),
	KUNIT_CASE(matrix_reset_zeroes_every_cell_and_invalid),
	{}
};

static struct kunit_suite tcpstate_matrix_suite = {
	.name = "tcpstate_matrix",
	.init = matrix_test_init,
	.exit = matrix_test_exit,
	.test_cases = tcpstate_matrix_cases,
};

kunit_test_suite(tcpstate_matrix_suite);
