// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tcpstate_parse, the strict sysfs parsers (parse.c).
 */
#include <kunit/test.h>
#include "../parse.c"

struct bool01_case {
	const char *input;
	int ret;
	bool value;	/* meaningful when ret == 0 */
};

static const struct bool01_case bool01_cases[] = {
	{ "0", 0, false },
	{ "1", 0, true },
	{ "0\n", 0, false },
	{ "1\n", 0, true },
	{ "", -EINVAL },
	{ "\n", -EINVAL },
	{ "2", -EINVAL },
	{ "-1", -EINVAL },
	{ "01", -EINVAL },
	{ "+1", -EINVAL },
	{ "1 ", -EINVAL },
	{ " 1", -EINVAL },
	{ "1\n\n", -EINVAL },
	{ "y", -EINVAL },
	{ "on", -EINVAL },
	{ "true", -EINVAL },
	{ "0x1", -EINVAL },
	{ "99999999999999999999", -EINVAL },
};

static void bool01_case_desc(const struct bool01_case *c, char *desc)
{
	int i, n = 0;

	/* Escape the newline so the KTAP line stays one line. */
	for (i = 0; c->input[i] && n < KUNIT_PARAM_DESC_SIZE - 3; i++) {
		if (c->input[i] == '\n') {
			desc[n++] = '\\';
			desc[n++] = 'n';
		} else {
			desc[n++] = c->input[i];
		}
	}
	desc[n] = '\0';
	if (!n)
		strscpy(desc, "(empty)", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bool01, bool01_cases, bool01_case_desc);

static void parse_bool01_accepts_only_0_or_1(struct kunit *test)
{
	const struct bool01_case *c = test->param_value;
	bool out = !c->value;
	bool before = out;

	KUNIT_ASSERT_EQ(test, tcpstate_parse_bool01(c->input, &out), c->ret);
	if (c->ret)
		KUNIT_EXPECT_EQ(test, out, before);	/* failure changes nothing */
	else
		KUNIT_EXPECT_EQ(test, out, c->value);
}

static struct kunit_case tcpstate_parse_cases[] = {
	KUNIT_CASE_PARAM(parse_bool01_accepts_only_0_or_1, bool01_gen_params),
	{}
};

static struct kunit_suite tcpstate_parse_suite = {
	.name = "tcpstate_parse",
	.test_cases = tcpstate_parse_cases,
};

kunit_test_suite(tcpstate_parse_suite);
