// SPDX-License-Identifier: GPL-2.0
/*
 * Scopes of limit objects: parsing the keys written to
 * /sys/kernel/tcpstate/limits/<kind>/add, which selectors each kind
 * takes, and whether a tracked socket falls in a scope. Pure logic, with
 * a KUnit suite of its own (module/tests/scope_test.c).
 */
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <net/ipv6.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/limits.h>

/* The 11 states of RFC 793 as Linux numbers them; 0 and the internal ones are not keys. */
static int tcpstate_parse_state_name(const char *name)
{
	int state;

	for (state = TCPSTATE_ESTABLISHED; state <= TCPSTATE_CLOSING; state++)
		if (!strcmp(name, tcpstate_state_name(state)))
			return state;
	return -EINVAL;
}

/* ADDR:PORT, IPv6 in brackets. */
static int tcpstate_parse_remote(char *val, struct tcpstate_scope *scope)
{
	unsigned int port;
	const char *end;
	char *colon;
	int ret;

	if (val[0] == '[') {
		colon = strstr(val, "]:");
		if (!colon)
			return -EINVAL;
		if (!in6_pton(val + 1, colon - val - 1, scope->raddr.s6_addr, -1, &end) ||
		    end != colon)
			return -EINVAL;
		scope->family = AF_INET6;
		colon++;
	} else {
		colon = strrchr(val, ':');
		if (!colon)
			return -EINVAL;
		if (!in4_pton(val, colon - val, (u8 *)&scope->raddr.s6_addr32[0], -1, &end) ||
		    end != colon)
			return -EINVAL;
		scope->family = AF_INET;
	}
	ret = tcpstate_parse_uint_range(colon + 1, 1, U16_MAX, &port);
	if (ret)
		return ret;
	scope->rport = port;
	return 0;
}

static void tcpstate_scope_print(const struct tcpstate_scope *scope, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (!scope->selectors) {
		strscpy(buf, "global", size);
		return;
	}
	if (scope->selectors & TCPSTATE_SCOPE_STATE)
		n += scnprintf(buf + n, size - n, "state:%s,", tcpstate_state_name(scope->state));
	if (scope->selectors & TCPSTATE_SCOPE_NETNS)
		n += scnprintf(buf + n, size - n, "netns:%u,", scope->netns_ino);
	if (scope->selectors & TCPSTATE_SCOPE_PORT)
		n += scnprintf(buf + n, size - n, "port:%u,", scope->port);
	if (scope->selectors & TCPSTATE_SCOPE_REMOTE) {
		if (scope->family == AF_INET6)
			n += scnprintf(buf + n, size - n, "remote:[%pI6c]:%u,",
				       &scope->raddr, scope->rport);
		else
			n += scnprintf(buf + n, size - n, "remote:%pI4:%u,",
				       &scope->raddr.s6_addr32[0], scope->rport);
	}
	buf[n - 1] = '\0';	/* the last comma */
}

/*
 * Parses a key (Documentation/ABI/testing/sysfs-kernel-tcpstate) into
 * scope and its one spelling into canonical. Numbers out of range give
 * -ERANGE; anything else malformed, including a second spelling of a
 * valid key ("port:080"), gives -EINVAL.
 */
int tcpstate_limit_parse_key(const char *buf, struct tcpstate_scope *scope,
			     char *canonical, size_t size)
{
	static const char *const selector_names[] = { "state", "netns", "port", "remote" };
	char copy[TCPSTATE_LIMIT_KEY_MAX], *cursor, *token;
	size_t len = strlen(buf);
	int last = -1, i, ret;
	unsigned int v;

	memset(scope, 0, sizeof(*scope));
	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len >= sizeof(copy))
		return -EINVAL;
	memcpy(copy, buf, len);
	copy[len] = '\0';

	if (strcmp(copy, "global")) {
		cursor = copy;
		while ((token = strsep(&cursor, ","))) {
			char *val = strchr(token, ':');

			if (!val)
				return -EINVAL;
			*val++ = '\0';
			for (i = 0; i < ARRAY_SIZE(selector_names); i++)
				if (!strcmp(token, selector_names[i]))
					break;
			/* Known, at most once, in the documented order. */
			if (i == ARRAY_SIZE(selector_names) || i <= last)
				return -EINVAL;
			last = i;
			scope->selectors |= BIT(i);
			switch (BIT(i)) {
			case TCPSTATE_SCOPE_STATE:
				ret = tcpstate_parse_state_name(val);
				if (ret < 0)
					return ret;
				scope->state = ret;
				break;
			case TCPSTATE_SCOPE_NETNS:
				ret = tcpstate_parse_uint_range(val, 1, U32_MAX, &v);
				if (ret)
					return ret;
				scope->netns_ino = v;
				break;
			case TCPSTATE_SCOPE_PORT:
				ret = tcpstate_parse_uint_range(val, 1, U16_MAX, &v);
				if (ret)
					return ret;
				scope->port = v;
				break;
			case TCPSTATE_SCOPE_REMOTE:
				ret = tcpstate_parse_remote(val, scope);
				if (ret)
					return ret;
				break;
			}
		}
	}
	tcpstate_scope_print(scope, canonical, size);
	if (strlen(canonical) != len || strncmp(canonical, buf, len))
		return -EINVAL;
	return 0;
}

/* Which selectors each kind takes (ABI file, "Which selectors"). */
bool tcpstate_scope_fits(enum tcpstate_limit_type type, const struct tcpstate_scope *s)
{
	u8 sel = s->selectors;

	switch (type) {
	case TCPSTATE_LIMIT_SYN_CAP:
		return (sel & ~TCPSTATE_SCOPE_NETNS) == TCPSTATE_SCOPE_PORT;
	case TCPSTATE_LIMIT_TW_BUDGET:
		sel &= ~TCPSTATE_SCOPE_NETNS;
		return sel == 0 || sel == TCPSTATE_SCOPE_PORT || sel == TCPSTATE_SCOPE_REMOTE ||
		       s->selectors == 0;
	case TCPSTATE_LIMIT_ALERT:
		return (sel & TCPSTATE_SCOPE_STATE) && !(sel & TCPSTATE_SCOPE_REMOTE);
	default:
		return false;
	}
}

/*
 * A socket's remote end as a scope compares it: an IPv4 peer of a
 * dual-stack socket (::ffff:a.b.c.d) is the IPv4 address it stands for.
 */
void tcpstate_sock_remote(const struct tcpstate_sock *ts, struct in6_addr *addr, u8 *family)
{
	if (!(ts->flags & TCPSTATE_SOCK_INET6)) {
		*addr = ts->daddr;
		*family = AF_INET;
	} else if (ipv6_addr_v4mapped(&ts->daddr)) {
		memset(addr, 0, sizeof(*addr));
		addr->s6_addr32[0] = ts->daddr.s6_addr32[3];
		*family = AF_INET;
	} else {
		*addr = ts->daddr;
		*family = AF_INET6;
	}
}

/* The REMOTE part of tcpstate_scope_match(), out of line: rarer and dearer. */
bool tcpstate_scope_match_remote(const struct tcpstate_scope *scope,
				 const struct tcpstate_sock *ts)
{
	struct in6_addr raddr;
	u8 family;

	if (scope->rport != ts->dport)
		return false;
	tcpstate_sock_remote(ts, &raddr, &family);
	return family == scope->family && ipv6_addr_equal(&raddr, &scope->raddr);
}
