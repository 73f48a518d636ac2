/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the kernel socket a table entry stands for (module/lookup.c):
 * by its namespace and tuple in the established hash, which holds full,
 * request and timewait sockets alike. Used to kill a TIME_WAIT socket
 * (twbudget.c), to check an entry's socket still exists (sweep.c), and to
 * tell a child the kernel discarded from one that took its request's
 * place (engine.c).
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

/* Devices tcpstate_lookup_cookie() tries a bound socket on. */
#define TCPSTATE_LOOKUP_DEVICES_MAX 64

/*
 * The socket of cookie, found by its tuple on any device of net, with a
 * reference, or NULL; ERR_PTR(-E2BIG) if net has more devices than were
 * tried, so that "gone" and "not found" stay apart.
 */
struct sock *tcpstate_lookup_cookie(struct net *net, const struct tcpstate_tuple *t, u64 cookie);

/*
 * Whether the established hash holds, under the tuple of cookie's entry,
 * a socket other than sk with that cookie (a request sock still queued,
 * or a sibling child that took the request's place). False when the
 * table has no entry for cookie.
 */
bool tcpstate_cookie_held_by_other(const struct sock *sk, u64 cookie);

/* A namespace by inode number, keeping the last one asked for: see lookup.c. */
struct tcpstate_netns_cache {
	struct net *net;	/* referenced, or NULL: none of ino alive */
	u32 ino;		/* 0: nothing asked yet */
};

struct net *tcpstate_netns_cache_get(struct tcpstate_netns_cache *cache, u32 ino);
void tcpstate_netns_cache_put(struct tcpstate_netns_cache *cache);

/* Whether a namespace of inode ino exists and is not being dismantled. */
bool tcpstate_netns_alive(u32 ino);

#endif /* _TCPSTATE_LOOKUP_H */
