// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parsers for what user space writes to sysfs. Each returns 0 and
 * fills *out, or returns an error and leaves *out untouched, so a store
 * method can parse first and change nothing on failure.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <tcpstate/tcpstate.h>

/*
 * Exactly "0" or "1", with the newline echo adds. Unlike kstrtobool this
 * refuses "y", "on" and friends: one spelling per value keeps scripts
 * honest and the ABI document short.
 */
int tcpstate_parse_bool01(const char *buf, bool *out)
{
	if (sysfs_streq(buf, "0"))
		*out = false;
	else if (sysfs_streq(buf, "1"))
		*out = true;
	else
		return -EINVAL;
	return 0;
}
