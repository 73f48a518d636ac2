// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tcpstate_state, the state numbering and names (state.c).
 * Also carries the test module's licence and description.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <net/tcp_states.h>
#include "../state.c"

struct state_name_case {
	int state;
	const char *name;
};

static const struct state_name_case state_name_cases[] = {
	{ TCP_ESTABLISHED, "ESTABLISHED" },
	{ TCP_SYN_SENT, "SYN_SENT" },
	{ TCP_SYN_RECV, "SYN_RECV" },
	{ TCP_FIN_WAIT1, "FIN_WAIT1" },
	{ TCP_FIN_WAIT2, "FIN_WAIT2" },
	{ TCP_TIME_WAIT, "TIME_WAIT" },
	{ TCP_CLOSE, "CLOSE" },
	{ TCP_CLOSE_WAIT, "CLOSE_WAIT" },
	{ TCP_LAST_ACK, "LAST_ACK" },
	{ TCP_LISTEN, "LISTEN" },
	{ TCP_CLOSING, "CLOSING" },
	{ TCP_NEW_SYN_RECV, "NEW_SYN_RECV" },
	/* out of range: never NULL, never an out-of-bounds read */
	{ 0, "UNKNOWN" },
	{ -1, "UNKNOWN" },
	{ TCPSTATE_NR_STATES, "UNKNOWN" },
	{ 255, "UNKNOWN" },
};

static void state_name_case_desc(const struct state_name_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "state %d", c->state);
}

KUNIT_ARRAY_PARAM(state_name, state_name_cases, state_name_case_desc);

static void state_name_is_kernel_name_without_tcp_prefix(struct kunit *test)
{
	const struct state_name_case *c = test->param_value;

	KUNIT_EXPECT_STREQ(test, tcpstate_state_name(c->state), c->name);
}

static void state_valid_accepts_exactly_kernel_range(struct kunit *test)
{
	int state, valid = 0;

	for (state = -2; state < TCPSTATE_NR_STATES + 2; state++)
		valid += tcpstate_state_valid(state);
	KUNIT_EXPECT_EQ(test, valid, TCPSTATE_NR_STATES - 1);
	KUNIT_EXPECT_FALSE(test, tcpstate_state_valid(0));
	KUNIT_EXPECT_TRUE(test, tcpstate_state_valid(TCP_CLOSING));
}

static void state_record_layout_is_72_bytes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct tcpstate_record),
			(size_t)TCPSTATE_RECORD_SIZE);
	KUNIT_EXPECT_EQ(test, offsetof(struct tcpstate_record, saddr), (size_t)40);
}

static struct kunit_case tcpstate_state_cases[] = {
	KUNIT_CASE_PARAM(state_name_is_kernel_name_without_tcp_prefix,
			 state_name_gen_params),
	KUNIT_CASE(state_valid_accepts_exactly_kernel_range),
	KUNIT_CASE(state_record_layout_is_72_bytes),
	{}
};

static struct kunit_suite tcpstate_state_suite = {
	.name = "tcpstate_state",
	.test_cases = tcpstate_state_cases,
};

kunit_test_suite(tcpstate_state_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for tcpstate");
