/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-listener figures the kernel does not keep: SYNs seen and the
 * high-water mark of the half-open count. Owned by module/listeners.c.
 */
#ifndef _TCPSTATE_LISTENERS_H
#define _TCPSTATE_LISTENERS_H

#include <net/sock.h>

struct seq_file;

int tcpstate_listeners_init(void);
void tcpstate_listeners_uninit(void);

/* From the hooks: a socket started or stopped listening. */
void tcpstate_listener_start(struct sock *sk);
void tcpstate_listener_stop(struct sock *sk);
/* A SYN reached the listener; queued says whether it became a request sock. */
void tcpstate_listener_syn(struct sock *sk);
void tcpstate_listener_queued(struct sock *sk);

/* debugfs listeners: of one namespace, or of all when net is NULL */
int tcpstate_listeners_show(struct seq_file *s, const struct net *net);

#endif /* _TCPSTATE_LISTENERS_H */
