/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between tcpstate's files. Each subsystem has an
 * init/uninit pair that main.c calls in order on load and in reverse on
 * unload; everything a hook touches is set up before the hooks are
 * registered and torn down only after they are gone.
 */
#ifndef _TCPSTATE_TCPSTATE_H
#define _TCPSTATE_TCPSTATE_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/percpu.h>
#include <uapi/tcpstate.h>

#define TCPSTATE_VERSION "0.1.0"

/*
 * state.c: names of the kernel's TCP state numbers. The hot path's
 * helpers here are inline: every transition calls them several times,
 * and a call costs more than they do.
 */
static inline bool tcpstate_state_valid(int state)
{
	return state > 0 && state < TCPSTATE_NR_STATES;
}

const char *tcpstate_state_name(int state);

/* matrix.c: per-CPU from x to transition counters */
struct tcpstate_matrix_cells {
	u64 count[TCPSTATE_NR_STATES][TCPSTATE_NR_STATES];
	u64 invalid;	/* transitions naming a state we do not know */
};

/* The cells live in the engine's per-CPU counters (tcpstate_counters_init()). */
struct tcpstate_matrix {
	struct tcpstate_matrix_cells __percpu *cells;
};

/* Hot path: from the state-change hooks in any context, no lock. */
static inline void tcpstate_matrix_count(struct tcpstate_matrix *m, int from, int to)
{
	if (unlikely(!tcpstate_state_valid(from) || !tcpstate_state_valid(to))) {
		this_cpu_inc(m->cells->invalid);
		return;
	}
	this_cpu_inc(m->cells->count[from][to]);
}

u64 tcpstate_matrix_read(const struct tcpstate_matrix *m, int from, int to);
u64 tcpstate_matrix_read_invalid(const struct tcpstate_matrix *m);
void tcpstate_matrix_reset(struct tcpstate_matrix *m);

/* parse.c: strict parsers for sysfs writes */
int tcpstate_parse_bool01(const char *buf, bool *out);
int tcpstate_parse_uint_range(const char *buf, unsigned int min,
			      unsigned int max, unsigned int *out);

/* main.c: the module's global state */
struct tcpstate_log;
extern struct tcpstate_log tcpstate_log;
extern bool tcpstate_enabled;

/* hooks.c */
int tcpstate_hooks_init(void);
void tcpstate_hooks_uninit(void);
unsigned long tcpstate_hooks_nmissed(void);

/* adopt.c: sockets that exist at load; call after tcpstate_hooks_init() */
struct sock;
struct tcpstate_listener_walk {
	void (*fn)(struct sock *sk, void *arg);	/* under a bucket lock: no sleeping */
	void *arg;
};

void tcpstate_adopt_existing(void);

/* sweep.c: entries whose socket is gone; start after adoption */
void tcpstate_sweep_start(void);
void tcpstate_sweep_stop(void);
void tcpstate_walk_listeners(const struct tcpstate_listener_walk *walk);

/* debugfs.c */
struct dentry;
int tcpstate_debugfs_init(void);
void tcpstate_debugfs_publish(void);
void tcpstate_debugfs_uninit(void);

/* sysfs.c */
struct kobject;
int tcpstate_sysfs_init(void);
void tcpstate_sysfs_uninit(void);
struct kobject *tcpstate_sysfs_kobject(void);

#endif /* _TCPSTATE_TCPSTATE_H */
