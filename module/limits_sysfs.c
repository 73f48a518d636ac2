// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/tcpstate/limits/: one directory per kind of limit, with the
 * add and remove control files, and one subdirectory per object with its
 * attributes. Documented in Documentation/ABI/testing/sysfs-kernel-tcpstate.
 *
 * Stores of a single value parse strictly and publish it with one
 * WRITE_ONCE(); readers (the engine, the netfilter hook, the worker) see
 * the old or the new value, never a mixture. Only stores that must
 * re-count (a prefix length, a first prefix cap) take the limits mutex,
 * and they give up with ENOENT on an object already removed.
 */
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <tcpstate/tcpstate.h>
#include <tcpstate/limits.h>

#define TCPSTATE_LIMIT_VALUE_MAX	((u32)INT_MAX)

static struct kobject *tcpstate_limits_kobj;
static struct kobject *tcpstate_kind_kobj[TCPSTATE_LIMIT_NR_TYPES];

static const char *const tcpstate_kind_dir[TCPSTATE_LIMIT_NR_TYPES] = {
	[TCPSTATE_LIMIT_SYN_CAP]	= "syn_caps",
	[TCPSTATE_LIMIT_TW_BUDGET]	= "tw_budgets",
	[TCPSTATE_LIMIT_ALERT]		= "alerts",
};

static struct tcpstate_limit *to_limit(struct kobject *kobj)
{
	return container_of(kobj, struct tcpstate_limit, kobj);
}

/* --- add and remove ------------------------------------------------------ */

static int tcpstate_kind_of(struct kobject *kobj)
{
	int type;

	for (type = 0; type < TCPSTATE_LIMIT_NR_TYPES; type++)
		if (tcpstate_kind_kobj[type] == kobj)
			return type;
	return -EINVAL;
}

static ssize_t add_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	int type = tcpstate_kind_of(kobj);
	int ret;

	if (type < 0)
		return type;
	ret = tcpstate_limit_add(type, buf);
	return ret ? ret : count;
}

static ssize_t remove_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int type = tcpstate_kind_of(kobj);
	int ret;

	if (type < 0)
		return type;
	ret = tcpstate_limit_remove(type, buf);
	return ret ? ret : count;
}

static struct kobj_attribute add_attr = __ATTR_WO(add);
static struct kobj_attribute remove_attr = __ATTR_WO(remove);

static struct attribute *tcpstate_kind_attrs[] = {
	&add_attr.attr,
	&remove_attr.attr,
	NULL,
};

static const struct attribute_group tcpstate_kind_group = {
	.attrs = tcpstate_kind_attrs,
};

/* --- object attributes --------------------------------------------------- */

/* The u32 fields behind the attributes below. */
static u32 *listener_max_field(struct kobject *kobj)
{
	return &to_limit(kobj)->syn.listener_max;
}

static u32 *prefix_max_field(struct kobject *kobj)
{
	return &to_limit(kobj)->syn.prefix_max;
}

static u32 *budget_field(struct kobject *kobj)
{
	return &to_limit(kobj)->tw.budget;
}

static u32 *threshold_field(struct kobject *kobj)
{
	return &to_limit(kobj)->alert.threshold;
}

static u32 *hysteresis_field(struct kobject *kobj)
{
	return &to_limit(kobj)->alert.hysteresis;
}

/*
 * show and store of the u32 field name##_field() returns, which takes
 * [min, TCPSTATE_LIMIT_VALUE_MAX]; after_store publishes the parsed value.
 */
#define TCPSTATE_LIMIT_U32_ATTR(name, min, after_store)				\
static ssize_t name##_show(struct kobject *kobj, struct kobj_attribute *attr,	\
			   char *buf)						\
{										\
	return sysfs_emit(buf, "%u\n", READ_ONCE(*name##_field(kobj)));	\
}										\
static ssize_t name##_store(struct kobject *kobj, struct kobj_attribute *attr,	\
			    const char *buf, size_t count)			\
{										\
	unsigned int value;							\
	int ret;								\
										\
	ret = tcpstate_parse_uint_range(buf, min, TCPSTATE_LIMIT_VALUE_MAX, &value); \
	if (ret)								\
		return ret;							\
	ret = after_store(to_limit(kobj), name##_field(kobj), value);		\
	return ret ? ret : count;						\
}										\
static struct kobj_attribute name##_attr = __ATTR_RW_MODE(name, 0644)

static int tcpstate_set_plain(struct tcpstate_limit *l, u32 *field, u32 value)
{
	WRITE_ONCE(*field, value);
	return 0;
}

/*
 * A first prefix cap needs the prefixes counted: none are kept without
 * one. Clearing it gives their table back.
 */
static int tcpstate_set_prefix_max(struct tcpstate_limit *l, u32 *field, u32 value)
{
	int ret = 0;
	u32 old;

	mutex_lock(&tcpstate_limits_mutex);
	old = *field;
	if (l->dead) {
		ret = -ENOENT;
	} else if (!old != !value) {
		WRITE_ONCE(*field, value);
		ret = tcpstate_syncap_recount(l);
		if (ret)
			WRITE_ONCE(*field, old);
	} else {
		WRITE_ONCE(*field, value);
	}
	mutex_unlock(&tcpstate_limits_mutex);
	return ret;
}

static int tcpstate_set_budget(struct tcpstate_limit *l, u32 *field, u32 value)
{
	WRITE_ONCE(*field, value);
	if (value && atomic_read(&l->count) > (int)value)
		tcpstate_twbudget_kick();
	return 0;
}

/* Lowering a threshold to or below the count is a crossing too. */
static int tcpstate_set_threshold(struct tcpstate_limit *l, u32 *field, u32 value)
{
	WRITE_ONCE(*field, value);
	tcpstate_alert_check(l);
	return 0;
}

TCPSTATE_LIMIT_U32_ATTR(listener_max, 0, tcpstate_set_plain);
TCPSTATE_LIMIT_U32_ATTR(prefix_max, 0, tcpstate_set_prefix_max);
TCPSTATE_LIMIT_U32_ATTR(budget, 0, tcpstate_set_budget);
TCPSTATE_LIMIT_U32_ATTR(threshold, 0, tcpstate_set_threshold);
TCPSTATE_LIMIT_U32_ATTR(hysteresis, 1, tcpstate_set_plain);

static ssize_t tcpstate_prefix_len_store(struct tcpstate_limit *l, u8 *field,
					 unsigned int min, unsigned int max,
					 const char *buf, size_t count)
{
	unsigned int len;
	u8 old;
	int ret;

	ret = tcpstate_parse_uint_range(buf, min, max, &len);
	if (ret)
		return ret;
	mutex_lock(&tcpstate_limits_mutex);
	if (l->dead) {
		ret = -ENOENT;
	} else if (*field != len) {
		old = *field;
		WRITE_ONCE(*field, len);
		ret = tcpstate_syncap_recount(l);
		if (ret)
			WRITE_ONCE(*field, old);
	}
	mutex_unlock(&tcpstate_limits_mutex);
	return ret ? ret : count;
}

static ssize_t prefix_len4_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_limit(kobj)->syn.prefix_len4));
}

static ssize_t prefix_len4_store(struct kobject *kobj, struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	struct tcpstate_limit *l = to_limit(kobj);

	return tcpstate_prefix_len_store(l, &l->syn.prefix_len4, 8, 32, buf, count);
}

static struct kobj_attribute prefix_len4_attr = __ATTR_RW_MODE(prefix_len4, 0644);

static ssize_t prefix_len6_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_limit(kobj)->syn.prefix_len6));
}

static ssize_t prefix_len6_store(struct kobject *kobj, struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	struct tcpstate_limit *l = to_limit(kobj);

	return tcpstate_prefix_len_store(l, &l->syn.prefix_len6, 32, 128, buf, count);
}

static struct kobj_attribute prefix_len6_attr = __ATTR_RW_MODE(prefix_len6, 0644);

static ssize_t fired_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", atomic64_read(&to_limit(kobj)->alert.fired));
}

static struct kobj_attribute fired_attr = __ATTR_RO_MODE(fired, 0444);

static ssize_t armed_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&to_limit(kobj)->alert.armed));
}

static struct kobj_attribute armed_attr = __ATTR_RO_MODE(armed, 0444);

static struct attribute *tcpstate_syn_cap_attrs[] = {
	&listener_max_attr.attr,
	&prefix_max_attr.attr,
	&prefix_len4_attr.attr,
	&prefix_len6_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tcpstate_syn_cap);

static struct attribute *tcpstate_tw_budget_attrs[] = {
	&budget_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tcpstate_tw_budget);

static struct attribute *tcpstate_alert_attrs[] = {
	&threshold_attr.attr,
	&hysteresis_attr.attr,
	&fired_attr.attr,
	&armed_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tcpstate_alert);

const struct kobj_type tcpstate_limit_ktypes[TCPSTATE_LIMIT_NR_TYPES] = {
	[TCPSTATE_LIMIT_SYN_CAP] = {
		.release = tcpstate_limit_release,
		.sysfs_ops = &kobj_sysfs_ops,
		.default_groups = tcpstate_syn_cap_groups,
	},
	[TCPSTATE_LIMIT_TW_BUDGET] = {
		.release = tcpstate_limit_release,
		.sysfs_ops = &kobj_sysfs_ops,
		.default_groups = tcpstate_tw_budget_groups,
	},
	[TCPSTATE_LIMIT_ALERT] = {
		.release = tcpstate_limit_release,
		.sysfs_ops = &kobj_sysfs_ops,
		.default_groups = tcpstate_alert_groups,
	},
};

/* Adds l's directory; alerts keep the nodes they notify. Limits mutex held. */
int tcpstate_limit_kobject_add(struct tcpstate_limit *l)
{
	int ret;

	ret = kobject_add(&l->kobj, tcpstate_kind_kobj[l->type], "%s", l->key);
	if (ret)
		return ret;
	if (l->type == TCPSTATE_LIMIT_ALERT) {
		l->alert.fired_kn = sysfs_get_dirent(l->kobj.sd, "fired");
		l->alert.armed_kn = sysfs_get_dirent(l->kobj.sd, "armed");
	}
	return 0;
}

/* The alert's nodes: put by the release, before the kobject goes. */
void tcpstate_limit_kobject_release(struct tcpstate_limit *l)
{
	if (l->type != TCPSTATE_LIMIT_ALERT)
		return;
	sysfs_put(l->alert.fired_kn);
	sysfs_put(l->alert.armed_kn);
	l->alert.fired_kn = NULL;
	l->alert.armed_kn = NULL;
}

/* --- init ---------------------------------------------------------------- */

int tcpstate_limits_sysfs_init(struct kobject *parent)
{
	int type, ret;

	tcpstate_limits_kobj = kobject_create_and_add("limits", parent);
	if (!tcpstate_limits_kobj)
		return -ENOMEM;
	for (type = 0; type < TCPSTATE_LIMIT_NR_TYPES; type++) {
		tcpstate_kind_kobj[type] = kobject_create_and_add(tcpstate_kind_dir[type],
								  tcpstate_limits_kobj);
		if (!tcpstate_kind_kobj[type]) {
			ret = -ENOMEM;
			goto out_uninit;
		}
		ret = sysfs_create_group(tcpstate_kind_kobj[type], &tcpstate_kind_group);
		if (ret)
			goto out_uninit;
	}
	return 0;

out_uninit:
	tcpstate_limits_sysfs_uninit();
	return ret;
}

/* First on unload: waits out writers of add and remove, and stops new ones. */
void tcpstate_limits_sysfs_remove_controls(void)
{
	int type;

	for (type = 0; type < TCPSTATE_LIMIT_NR_TYPES; type++)
		if (tcpstate_kind_kobj[type])
			sysfs_remove_group(tcpstate_kind_kobj[type], &tcpstate_kind_group);
}

/* After every object is gone. */
void tcpstate_limits_sysfs_uninit(void)
{
	int type;

	tcpstate_limits_sysfs_remove_controls();
	for (type = 0; type < TCPSTATE_LIMIT_NR_TYPES; type++) {
		kobject_put(tcpstate_kind_kobj[type]);
		tcpstate_kind_kobj[type] = NULL;
	}
	kobject_put(tcpstate_limits_kobj);
	tcpstate_limits_kobj = NULL;
}
