// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/tcpstate/: the tuning interface. One value per file; a
 * store parses strictly and changes nothing unless the whole write is
 * valid. See Documentation/ABI/testing/sysfs-kernel-tcpstate.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/table.h>
#include <tcpstate/engine.h>
#include <tcpstate/log.h>
#include <tcpstate/netns.h>

static struct kobject *tcpstate_kobj;

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(tcpstate_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool enabled;
	int ret;

	ret = tcpstate_parse_bool01(buf, &enabled);
	if (ret)
		return ret;
	WRITE_ONCE(tcpstate_enabled, enabled);
	return count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW_MODE(enabled, 0644);

static ssize_t max_sockets_show(struct kobject *kobj, struct kobj_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", tcpstate_table_get_max());
}

/* Lowering it below the current count evicts nothing: new sockets wait. */
static ssize_t max_sockets_store(struct kobject *kobj, struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	unsigned int max;
	int ret;

	ret = tcpstate_parse_uint_range(buf, 1, TCPSTATE_MAX_SOCKETS_LIMIT, &max);
	if (ret)
		return ret;
	tcpstate_table_set_max(max);
	return count;
}

static struct kobj_attribute max_sockets_attr = __ATTR_RW_MODE(max_sockets, 0644);

static ssize_t log_size_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", tcpstate_log_records_per_cpu(&tcpstate_log));
}

/* Records per CPU, rounded up to a power of two; unread records are lost (counted). */
static ssize_t log_size_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	unsigned int records;
	int ret;

	ret = tcpstate_parse_uint_range(buf, TCPSTATE_LOG_MIN_RECORDS,
					TCPSTATE_LOG_MAX_RECORDS, &records);
	if (ret)
		return ret;
	ret = tcpstate_log_resize(&tcpstate_log, records);
	return ret ? ret : count;
}

static struct kobj_attribute log_size_attr = __ATTR_RW_MODE(log_size, 0644);

/* Write-only: "1" clears counters and histograms; gauges are state and stay. */
static ssize_t reset_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	bool reset;
	int ret;

	ret = tcpstate_parse_bool01(buf, &reset);
	if (ret)
		return ret;
	if (!reset)
		return -EINVAL;
	tcpstate_engine_reset();
	tcpstate_netns_reset();
	return count;
}

static struct kobj_attribute reset_attr = __ATTR_WO(reset);

static struct attribute *tcpstate_attrs[] = {
	&enabled_attr.attr,
	&max_sockets_attr.attr,
	&log_size_attr.attr,
	&reset_attr.attr,
	NULL,
};

static const struct attribute_group tcpstate_attr_group = {
	.attrs = tcpstate_attrs,
};

int tcpstate_sysfs_init(void)
{
	int ret;

	tcpstate_kobj = kobject_create_and_add("tcpstate", kernel_kobj);
	if (!tcpstate_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(tcpstate_kobj, &tcpstate_attr_group);
	if (ret) {
		kobject_put(tcpstate_kobj);
		tcpstate_kobj = NULL;
	}
	return ret;
}

/* The parent of limits/ (limits_sysfs.c). */
struct kobject *tcpstate_sysfs_kobject(void)
{
	return tcpstate_kobj;
}

void tcpstate_sysfs_uninit(void)
{
	sysfs_remove_group(tcpstate_kobj, &tcpstate_attr_group);
	kobject_put(tcpstate_kobj);
	tcpstate_kobj = NULL;
}
