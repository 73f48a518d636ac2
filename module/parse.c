// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parsers for what user space writes to sysfs. Each returns 0 and
 * fills *out, or returns an error and leaves *out untouched, so a store
 * method can parse first and change nothing on failure.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kstrtox.h>
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

/*
 * A decimal unsigned int in [min, max]: -EINVAL if it is not one (sign,
 * garbage, empty), -ERANGE if it is one but out of bounds or overflows.
 */
int tcpstate_parse_uint_range(const char *buf, unsigned int min,
			      unsigned int max, unsigned int *out)
{
	unsigned int v;
	int ret;

	if (buf[0] == '+' || buf[0] == '-')
		return -EINVAL;
	ret = kstrtouint(buf, 10, &v);
	if (ret)
		return ret;	/* -EINVAL, or -ERANGE on overflow */
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
