// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: raw TCP SYNs from spoofed sources, over IPv4 or IPv6.
 * hping3 does the IPv4 floods; it has no IPv6, hence this.
 *
 *   synflood (-a SRC | -A PREFIX/LEN) [-c COUNT] [-r RATE] [-p PORT] DST DPORT
 *
 *   -a SRC         every SYN from SRC
 *   -A PREFIX/LEN  each SYN from a random address within PREFIX/LEN
 *                  (10.66.0.0/16, fd66::/64): the host bits are random
 *   -c COUNT       SYNs to send (default 1; 0: until SIGINT or SIGTERM)
 *   -r RATE        SYNs per second (default 0: as fast as possible)
 *   -p PORT        first source port (default random); each SYN takes the
 *                  next, wrapping from 65535 to 1024, so no two of up to
 *                  64512 SYNs share a source address and port
 *
 * DST's family decides the family; SRC and PREFIX must be of the same one.
 * Headers are built by hand on a raw socket (IPPROTO_RAW: the kernel takes
 * our IP header as is), so the source needs to be no address of this host.
 * The TCP checksum covers the pseudo-header (RFC 793, RFC 8200 8.1): IPv6
 * raw sockets have no IP_HDRINCL checksum help, and IPv4 fills in only the
 * IP header's.
 *
 * Prints "sent N failed M" on stdout: N SYNs the kernel took, M refused
 * (ENOBUFS when a queue on the way is full; those are not retried).
 * Exits 0 when it could run, 1 on a setup error, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC	1000000000ULL
#define FIRST_PORT	1024		/* lowest source port used */
#define TTL		64
#define TCP_WINDOW	64240		/* what Linux offers in its own SYNs */
#define MSS		1460		/* bytes, the SYN's only option */
#define TCPOPT_MSS_LEN	4

/* A SYN with one option (MSS): 24 bytes of TCP after the IP header. */
struct syn_tcp {
	struct tcphdr th;
	__u8 opt[TCPOPT_MSS_LEN];
};

struct syn4 {
	struct iphdr ip;
	struct syn_tcp tcp;
};

struct syn6 {
	struct ip6_hdr ip;
	struct syn_tcp tcp;
};

/* Headers of 4-byte multiples: the structs have no padding to send. */
static_assert(sizeof(struct syn_tcp) == 24, "TCP header with MSS option");
static_assert(sizeof(struct syn4) == 20 + 24, "IPv4 SYN");
static_assert(sizeof(struct syn6) == 40 + 24, "IPv6 SYN");

static int family;
static union {
	struct in_addr v4;
	struct in6_addr v6;
} src, dst;
static int src_len;		/* prefix bits kept; the rest are random */
static __u64 rng_state;
static atomic_bool stop;	/* set by SIGINT or SIGTERM: stop sending */

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: synflood (-a SRC | -A PREFIX/LEN) [-c COUNT] [-r RATE] [-p PORT] DST DPORT\n");
	exit(2);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* xorshift64*: fast, and good enough to scatter addresses and ports. */
static __u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned long parse_ulong(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		bad_usage();
	return v;
}

/* ADDR into src, of DST's family; with "/LEN", LEN into src_len. */
static void parse_src(const char *arg, int with_len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	int max = family == AF_INET ? 32 : 128;

	snprintf(buf, sizeof(buf), "%s", arg);
	slash = strchr(buf, '/');
	if (with_len != !!slash)
		bad_usage();
	if (slash) {
		*slash = '\0';
		src_len = parse_ulong(slash + 1, max);
	} else {
		src_len = max;
	}
	if (inet_pton(family, buf, &src) != 1)
		bad_usage();
}

/* src with every bit past src_len random. */
static void random_src(void *out)
{
	__u8 *a = out;
	int bytes = family == AF_INET ? 4 : 16, i, keep;

	memcpy(a, &src, bytes);
	for (i = 0; i < bytes; i++) {
		keep = src_len - i * 8;
		if (keep >= 8)
			continue;
		if (keep < 0)
			keep = 0;
		a[i] = (a[i] & (0xff00 >> keep)) | (rng() & (0xff >> keep));
	}
}

static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * The TCP checksum: the pseudo-header (addresses, protocol, TCP length;
 * its field order does not matter to a one's-complement sum) and the
 * segment with its checksum field zero.
 */
static void tcp_csum(struct syn_tcp *t, const void *saddr, const void *daddr,
		     size_t alen)
{
	__u32 sum = IPPROTO_TCP + sizeof(*t);

	t->th.check = 0;
	sum = csum_add(sum, saddr, alen);
	sum = csum_add(sum, daddr, alen);
	sum = csum_add(sum, t, sizeof(*t));
	t->th.check = csum_fold(sum);
}

static void fill_tcp(struct syn_tcp *t, __u16 sport, __u16 dport)
{
	memset(t, 0, sizeof(*t));
	t->th.source = htons(sport);
	t->th.dest = htons(dport);
	t->th.seq = htonl(rng());
	t->th.doff = sizeof(*t) / 4;
	t->th.syn = 1;
	t->th.window = htons(TCP_WINDOW);
	t->opt[0] = TCPOPT_MAXSEG;
	t->opt[1] = TCPOPT_MSS_LEN;
	t->opt[2] = MSS >> 8;
	t->opt[3] = MSS & 0xff;
}

/* Build one SYN in buf; return its length. */
static size_t build_syn(void *buf, __u16 sport, __u16 dport)
{
	struct syn6 *p6;

	if (family == AF_INET) {
		struct syn4 *p = buf;

		memset(&p->ip, 0, sizeof(p->ip));
		p->ip.version = 4;
		p->ip.ihl = sizeof(p->ip) / 4;
		p->ip.tot_len = htons(sizeof(*p));
		p->ip.id = htons(rng());
		p->ip.ttl = TTL;
		p->ip.protocol = IPPROTO_TCP;
		random_src(&p->ip.saddr);
		p->ip.daddr = dst.v4.s_addr;
		/* The kernel fills in the IP header checksum. */
		fill_tcp(&p->tcp, sport, dport);
		tcp_csum(&p->tcp, &p->ip.saddr, &p->ip.daddr, 4);
		return sizeof(*p);
	}
	p6 = buf;
	memset(&p6->ip, 0, sizeof(p6->ip));
	p6->ip.ip6_flow = htonl(6 << 28);
	p6->ip.ip6_plen = htons(sizeof(p6->tcp));
	p6->ip.ip6_nxt = IPPROTO_TCP;
	p6->ip.ip6_hlim = TTL;
	random_src(&p6->ip.ip6_src);
	p6->ip.ip6_dst = dst.v6;
	fill_tcp(&p6->tcp, sport, dport);
	tcp_csum(&p6->tcp, &p6->ip.ip6_src, &p6->ip.ip6_dst, 16);
	return sizeof(*p6);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_until(__u64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !atomic_load(&stop))
		;
}

int main(int argc, char **argv)
{
	unsigned long count = 1, rate = 0, sent = 0, failed = 0, i;
	const char *src_arg = NULL;
	int with_len = 0, port = -1, dport, fd, opt;
	struct sockaddr_storage ss = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	union {
		struct syn4 v4;
		struct syn6 v6;
	} pkt;
	__u64 start;
	socklen_t sslen;
	size_t len;

	while ((opt = getopt(argc, argv, "a:A:c:r:p:")) != -1) {
		switch (opt) {
		case 'a':
		case 'A':
			if (src_arg)
				bad_usage();
			src_arg = optarg;
			with_len = opt == 'A';
			break;
		case 'c':
			count = parse_ulong(optarg, ~0UL);
			break;
		case 'r':
			rate = parse_ulong(optarg, NSEC_PER_SEC);
			break;
		case 'p':
			port = parse_ulong(optarg, 65535);
			if (port < FIRST_PORT)
				bad_usage();
			break;
		default:
			bad_usage();
		}
	}
	if (!src_arg || argc - optind != 2)
		bad_usage();
	if (inet_pton(AF_INET, argv[optind], &dst) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, argv[optind], &dst) == 1)
		family = AF_INET6;
	else
		bad_usage();
	dport = parse_ulong(argv[optind + 1], 65535);
	parse_src(src_arg, with_len);

	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		die("getrandom");
	rng_state |= 1;		/* xorshift never leaves 0 */
	if (port < 0)
		port = FIRST_PORT + rng() % (65536 - FIRST_PORT);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = dst.v4;
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		/* sin6_port must stay 0: it names the protocol for raw sockets. */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = dst.v6;
		sslen = sizeof(*sin6);
	}
	/* IPPROTO_RAW implies a header of our own, for both families. */
	fd = socket(family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		die("socket");

	/* No SA_RESTART: a signal ends the sleep and the loop. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		die("sigaction");

	start = now_ns();
	for (i = 0; (!count || i < count) && !atomic_load(&stop); i++) {
		if (rate)
			sleep_until(start + i * NSEC_PER_SEC / rate);
		if (atomic_load(&stop))
			break;
		len = build_syn(&pkt, port, dport);
		if (sendto(fd, &pkt, len, 0, (struct sockaddr *)&ss, sslen) == (ssize_t)len) {
			sent++;
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
			failed++;
		} else {
			perror("sendto");
			return 1;
		}
		port = port == 65535 ? FIRST_PORT : port + 1;
	}
	printf("sent %lu failed %lu\n", sent, failed);
	return 0;
}
