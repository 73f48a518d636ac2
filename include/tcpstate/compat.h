/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels tcpstate supports lives here, with
 * the kernel change that made it necessary. The .c files stay free of
 * version checks. Ranges are half-open: [introduced, removed).
 *
 * Supported: Debian 12's 6.1 and 6.12, and the 6.12 debug kernel.
 */
#ifndef _TCPSTATE_COMPAT_H
#define _TCPSTATE_COMPAT_H

#include <linux/version.h>
#include <net/tcp_states.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "tcpstate supports Linux 6.1 and later"
#endif

/*
 * "tcp: Add TCP_BOUND_INACTIVE state" (v6.8) gave sockets that were bound
 * but not yet connected or listening a state of their own. Older kernels
 * never produce it; naming it here lets the state table stay one table.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
#define TCPSTATE_HAVE_BOUND_INACTIVE 0
#else /* LINUX_VERSION_CODE >= 6.8 */
#define TCPSTATE_HAVE_BOUND_INACTIVE 1
#endif /* LINUX_VERSION_CODE < 6.8 */

/*
 * Where a timewait sock is published in place of its full sock. The
 * series "net: tcp/dccp: prepare for tw_timer un-pinning" / "net: tcp:
 * un-pin the tw_timer" (v6.11) folded the timer arming into the hashing
 * and renamed inet_twsk_hashdance() to inet_twsk_hashdance_schedule().
 * Both take (tw, sk, hashinfo, ...) in the same registers, and at entry
 * the tw is complete and not yet visible to any other CPU.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#define TCPSTATE_TW_HASH_SYMBOL "inet_twsk_hashdance"
#else /* LINUX_VERSION_CODE >= 6.11 */
#define TCPSTATE_TW_HASH_SYMBOL "inet_twsk_hashdance_schedule"
#endif /* LINUX_VERSION_CODE < 6.11 */

/*
 * A hooked function's argument, in an ftrace callback. 6.12's struct
 * ftrace_regs is opaque, read through ftrace_regs_get_argument() (the
 * accessors "ftrace: Consolidate ftrace_regs accessor functions for archs
 * using pt_regs" made generic); 6.1 has no accessor, and on x86 its
 * struct ftrace_regs is a struct pt_regs whose argument registers
 * ftrace_caller saves. Keyed on the accessor, a macro wherever it exists,
 * since it reached each architecture in a different release.
 */
#ifdef ftrace_regs_get_argument
#define tcpstate_ftrace_arg(fregs, n) ftrace_regs_get_argument(fregs, n)
#else /* !ftrace_regs_get_argument */
#define tcpstate_ftrace_arg(fregs, n) regs_get_kernel_argument(&(fregs)->regs, n)
#endif /* ftrace_regs_get_argument */

/*
 * "bpf, net: Support SO_REUSEPORT sockets with bpf_sk_assign" (v6.6): TCP
 * takes a reuseport listener that bpf_sk_assign() put in skb->sk as its
 * whole group, and picks the member by hash (inet_steal_sock()). Before,
 * it queued on the assigned socket itself.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
#define TCPSTATE_HAVE_ASSIGNED_REUSEPORT 0
#else /* LINUX_VERSION_CODE >= 6.6 */
#define TCPSTATE_HAVE_ASSIGNED_REUSEPORT 1
#endif /* LINUX_VERSION_CODE < 6.6 */

/*
 * "kunit: test: Add vm_mmap() allocation resource manager" gave KUnit
 * kunit_vm_mmap(), user memory a test can read() into. It is in 6.12 and
 * not in 6.1; the cut is placed at 6.12, the first supported kernel known
 * to have it. Only the tests use it; without it they skip the read() cases.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define TCPSTATE_HAVE_KUNIT_VM_MMAP 0
#else /* LINUX_VERSION_CODE >= 6.12 */
#define TCPSTATE_HAVE_KUNIT_VM_MMAP 1
#endif /* LINUX_VERSION_CODE < 6.12 */

#endif /* _TCPSTATE_COMPAT_H */
