// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tcpstate_scope, the keys of limit objects and which sockets fall
 * in a scope (scope.c).
 */
#include <kunit/test.h>
#include "../scope.c"

struct key_case {
	const char *input;
	int ret;
	u8 selectors;		/* when ret == 0 */
};

static const struct key_case key_cases[] = {
	{ "global", 0, 0 },
	{ "global\n", 0, 0 },
	{ "port:80", 0, TCPSTATE_SCOPE_PORT },
	{ "port:65535", 0, TCPSTATE_SCOPE_PORT },
	{ "netns:4026531840,port:8080", 0, TCPSTATE_SCOPE_NETNS | TCPSTATE_SCOPE_PORT },
	{ "remote:10.0.0.1:80", 0, TCPSTATE_SCOPE_REMOTE },
	{ "remote:[fd00::1]:443", 0, TCPSTATE_SCOPE_REMOTE },
	{ "state:CLOSE_WAIT,port:8080", 0, TCPSTATE_SCOPE_STATE | TCPSTATE_SCOPE_PORT },
	{ "state:TIME_WAIT", 0, TCPSTATE_SCOPE_STATE },
	{ "", -EINVAL },
	{ "\n", -EINVAL },
	{ "Global", -EINVAL },
	{ "global,port:80", -EINVAL },
	{ "port:0", -ERANGE },
	{ "port:65536", -ERANGE },
	{ "port:99999999999", -ERANGE },
	{ "port:-1", -EINVAL },
	{ "port:+1", -EINVAL },
	{ "port:080", -EINVAL },	/* a second spelling of port:80 */
	{ "port:", -EINVAL },
	{ "port", -EINVAL },
	{ "port:80,", -EINVAL },
	{ "port:80,port:81", -EINVAL },
	{ "port:80,netns:1", -EINVAL },	/* out of order */
	{ "netns:0", -ERANGE },
	{ "netns:4294967296", -ERANGE },
	{ "state:close_wait", -EINVAL },
	{ "state:NEW_SYN_RECV", -EINVAL },
	{ "state:UNKNOWN", -EINVAL },
	{ "remote:10.0.0.1", -EINVAL },
	{ "remote:10.0.0.256:80", -EINVAL },
	{ "remote:10.0.0.1:0", -ERANGE },
	{ "remote:fd00::1:443", -EINVAL },	/* IPv6 needs brackets */
	{ "remote:[fd00:0::1]:443", -EINVAL },	/* not the compressed form */
	{ "remote:[fd00::1]", -EINVAL },
	{ "colour:blue", -EINVAL },
	{ "port:80 ", -EINVAL },
};

static void key_case_desc(const struct key_case *c, char *desc)
{
	int i, n = 0;

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

KUNIT_ARRAY_PARAM(key, key_cases, key_case_desc);

static void scope_key_parses_one_spelling(struct kunit *test)
{
	const struct key_case *c = test->param_value;
	char canonical[TCPSTATE_LIMIT_KEY_MAX];
	struct tcpstate_scope scope;

	KUNIT_ASSERT_EQ(test, tcpstate_limit_parse_key(c->input, &scope, canonical,
						       sizeof(canonical)), c->ret);
	if (c->ret)
		return;
	KUNIT_EXPECT_EQ(test, scope.selectors, c->selectors);
	KUNIT_EXPECT_EQ(test, strncmp(canonical, c->input, strlen(canonical)), 0);
}

static void scope_key_values(struct kunit *test)
{
	char canonical[TCPSTATE_LIMIT_KEY_MAX];
	struct tcpstate_scope scope;

	KUNIT_ASSERT_EQ(test, tcpstate_limit_parse_key("state:CLOSE_WAIT,netns:7,port:8080",
						       &scope, canonical, sizeof(canonical)), 0);
	KUNIT_EXPECT_EQ(test, scope.state, TCPSTATE_CLOSE_WAIT);
	KUNIT_EXPECT_EQ(test, scope.netns_ino, 7U);
	KUNIT_EXPECT_EQ(test, scope.port, 8080);

	KUNIT_ASSERT_EQ(test, tcpstate_limit_parse_key("remote:192.168.1.2:443", &scope,
						       canonical, sizeof(canonical)), 0);
	KUNIT_EXPECT_EQ(test, scope.family, AF_INET);
	KUNIT_EXPECT_EQ(test, scope.rport, 443);
	KUNIT_EXPECT_EQ(test, ntohl(scope.raddr.s6_addr32[0]), 0xc0a80102U);
	KUNIT_EXPECT_EQ(test, ntohl(scope.raddr.s6_addr32[1]), 0U);
}

static void scope_fits_each_kind(struct kunit *test)
{
	static const struct {
		const char *key;
		bool syn_cap, tw_budget, alert;
	} rows[] = {
		{ "global",				false, true,  false },
		{ "netns:5",				false, true,  false },
		{ "port:80",				true,  true,  false },
		{ "netns:5,port:80",			true,  true,  false },
		{ "remote:10.0.0.1:80",			false, true,  false },
		{ "netns:5,remote:10.0.0.1:80",		false, true,  false },
		{ "state:LISTEN",			false, false, true },
		{ "state:LISTEN,netns:5,port:80",	false, false, true },
		{ "state:LISTEN,remote:10.0.0.1:80",	false, false, false },
	};
	char canonical[TCPSTATE_LIMIT_KEY_MAX];
	struct tcpstate_scope scope;
	int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		KUNIT_ASSERT_EQ(test, tcpstate_limit_parse_key(rows[i].key, &scope, canonical,
							       sizeof(canonical)), 0);
		KUNIT_EXPECT_EQ_MSG(test, tcpstate_scope_fits(TCPSTATE_LIMIT_SYN_CAP, &scope),
				    rows[i].syn_cap, "%s", rows[i].key);
		KUNIT_EXPECT_EQ_MSG(test, tcpstate_scope_fits(TCPSTATE_LIMIT_TW_BUDGET, &scope),
				    rows[i].tw_budget, "%s", rows[i].key);
		KUNIT_EXPECT_EQ_MSG(test, tcpstate_scope_fits(TCPSTATE_LIMIT_ALERT, &scope),
				    rows[i].alert, "%s", rows[i].key);
	}
}

static void scope_matches_sockets(struct kunit *test)
{
	struct tcpstate_sock ts = {
		.netns_ino = 5, .sport = 80, .dport = 40000,
	};
	char canonical[TCPSTATE_LIMIT_KEY_MAX];
	struct tcpstate_scope scope;

	ts.daddr.s6_addr32[0] = htonl(0x0a000002);
	KUNIT_ASSERT_EQ(test, tcpstate_limit_parse_key("netns:5,port:80", &scope, canonical,
						       sizeof(canonical)), 0);
	KUNIT_EXPECT_TRUE(test, tcpstate_scope_match(&scope, &ts));
	ts.netns_ino = 6;
	KUNIT_EXPECT_FALSE(test, tcpstate_scope_match(&scope, &ts));
	ts.netns_ino = 5;
	ts.sport = 81;
	KUNIT_EXPECT_FALSE(test, tcpstate_scope_match(&scope, &ts));

	KUNIT_ASSERT_EQ(test, tcpstate_limit_parse_key("remote:10.0.0.2:40000", &scope,
						       canonical, sizeof(canonical)), 0);
	KUNIT_EXPECT_TRUE(test, tcpstate_scope_match(&scope, &ts));
	ts.dport = 40001;
	KUNIT_EXPECT_FALSE(test, tcpstate_scope_match(&scope, &ts));

	/* A dual-stack socket's IPv4 peer is that IPv4 address. */
	ts.dport = 40000;
	ts.flags = TCPSTATE_SOCK_INET6;
	ipv6_addr_set_v4mapped(htonl(0x0a000002), &ts.daddr);
	KUNIT_EXPECT_TRUE(test, tcpstate_scope_match(&scope, &ts));

	KUNIT_ASSERT_EQ(test, tcpstate_limit_parse_key("global", &scope, canonical,
						       sizeof(canonical)), 0);
	KUNIT_EXPECT_TRUE(test, tcpstate_scope_match(&scope, &ts));
}

static struct kunit_case tcpstate_scope_cases[] = {
	KUNIT_CASE_PARAM(scope_key_parses_one_spelling, key_gen_params),
	KUNIT_CASE(scope_key_values),
	KUNIT_CASE(scope_fits_each_kind),
	KUNIT_CASE(scope_matches_sockets),
	{}
};

static struct kunit_suite tcpstate_scope_suite = {
	.name = "tcpstate_scope",
	.test_cases = tcpstate_scope_cases,
};

kunit_test_suite(tcpstate_scope_suite);
