// SPDX-License-Identifier: GPL-2.0
/*
 * The from x to transition matrix: one set of u64 counters per CPU, so
 * that the hook bumps a counter with one this_cpu op and no lock
 * (tcpstate_matrix_count(), inline in tcpstate.h), and a reader sums the
 * CPUs when it wants a figure.
 *
 * A sum taken while hooks run is not a snapshot: each cell is exact on
 * its own, cells read a moment apart may differ by in-flight events.
 */
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include <tcpstate/tcpstate.h>

/*
 * Plain loads of other CPUs' u64 cells: tcpstate builds for x86_64 only,
 * where such a load cannot tear.
 */
u64 tcpstate_matrix_read(const struct tcpstate_matrix *m, int from, int to)
{
	u64 sum = 0;
	int cpu;

	if (!tcpstate_state_valid(from) || !tcpstate_state_valid(to))
		return 0;
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(m->cells, cpu)->count[from][to]);
	return sum;
}

u64 tcpstate_matrix_read_invalid(const struct tcpstate_matrix *m)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(m->cells, cpu)->invalid);
	return sum;
}

/*
 * Counts that race with the reset may survive it; a reset is a line drawn
 * for a human, not a barrier.
 */
void tcpstate_matrix_reset(struct tcpstate_matrix *m)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(m->cells, cpu), 0, sizeof(*m->cells));
}
