// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP state numbers tcpstate tracks, checked against the kernel's own
 * at build time, and their printable names.
 */
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/compat.h>

static const char *const tcpstate_state_names[TCPSTATE_NR_STATES] =
	TCPSTATE_STATE_NAMES;

/* The UAPI numbering is the kernel's; a renumbering must break the build. */
#define TCPSTATE_ASSERT_SAME_STATE(name) \
	BUILD_BUG_ON((int)TCPSTATE_##name != (int)TCP_##name)

static void tcpstate_state_check_numbering(void)
{
	TCPSTATE_ASSERT_SAME_STATE(ESTABLISHED);
	TCPSTATE_ASSERT_SAME_STATE(SYN_SENT);
	TCPSTATE_ASSERT_SAME_STATE(SYN_RECV);
	TCPSTATE_ASSERT_SAME_STATE(FIN_WAIT1);
	TCPSTATE_ASSERT_SAME_STATE(FIN_WAIT2);
	TCPSTATE_ASSERT_SAME_STATE(TIME_WAIT);
	TCPSTATE_ASSERT_SAME_STATE(CLOSE);
	TCPSTATE_ASSERT_SAME_STATE(CLOSE_WAIT);
	TCPSTATE_ASSERT_SAME_STATE(LAST_ACK);
	TCPSTATE_ASSERT_SAME_STATE(LISTEN);
	TCPSTATE_ASSERT_SAME_STATE(CLOSING);
	TCPSTATE_ASSERT_SAME_STATE(NEW_SYN_RECV);
#if TCPSTATE_HAVE_BOUND_INACTIVE
	TCPSTATE_ASSERT_SAME_STATE(BOUND_INACTIVE);
	BUILD_BUG_ON((int)TCPSTATE_NR_STATES != (int)TCP_MAX_STATES);
#endif /* TCPSTATE_HAVE_BOUND_INACTIVE */
	BUILD_BUG_ON(ARRAY_SIZE(tcpstate_state_names) != TCPSTATE_NR_STATES);
}

/* Never NULL: an unknown number prints as UNKNOWN rather than crashing a reader. */
const char *tcpstate_state_name(int state)
{
	tcpstate_state_check_numbering();
	return tcpstate_state_valid(state) ? tcpstate_state_names[state] :
					     tcpstate_state_names[0];
}
