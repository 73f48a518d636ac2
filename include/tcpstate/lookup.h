/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the kernel socket a table entry stands for (module/lookup.c):
 * by its namespace and tuple in the established hash, which holds full,
 * request and timewait sockets alike. Used to kill a TIME_WAIT socket
 * (twbudget.c) and to check an entry's socket still exists (sweep.c).
 */
#ifndef _TCPSTATE_LOOKUP_H
#define _TCPSTATE_LOOKUP_H

#include <linux/in6.h>
#include <linux/types.h>

struct net;
struct sock;

/* What a lookup needs of an entry, copied under the entry's lock. */
struct tcpstate_tuple {
	struct in6_addr local, remote;
	u64 entered_ns;		/* to tell, later, that the entry did not move */
	u32 netns_ino;
	u16 lport, rport;
	u8 state;
	bool inet6;
};

/* Copies cookie's entry; false if it is not in the table. */
bool tcpstate_tuple_of(u64 cookie, struct tcpstate_tuple *t);

/*
 * The socket with that tuple, with a reference (sock_gen_put()), or NULL.
 * dif: the device a bound socket is bound to; 0 finds unbound sockets.
 */
struct sock *tcpstate_lookup_established(struct net *net, const struct tcpstate_tuple *t,
					 int dif);

/* A namespace by inode number, keeping the last one found: see lookup.c. */
struct tcpstate_netns_cache {
	struct net *net;	/* referenced, or NULL */
	u32 ino;
};

struct net *tcpstate_netns_cache_get(struct tcpstate_netns_cache *cache, u32 ino);
void tcpstate_netns_cache_put(struct tcpstate_netns_cache *cache);

#endif /* _TCPSTATE_LOOKUP_H */
