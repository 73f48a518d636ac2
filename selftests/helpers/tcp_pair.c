// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_pair: TCP connections between two network namespaces, made by one
 * process so every step happens in a known order. Sockets are created in
 * the namespace they belong to (setns before socket()); a listener's
 * children are in the server namespace.
 *
 *   tcp_pair [-x CMD] [-r READY] [-R] [-D SECONDS] CLIENT_NS SERVER_NS ADDR
 *            SPEC...
 *
 * CLIENT_NS and SERVER_NS are names under /run/netns, ADDR the server's
 * IPv4 or IPv6 address. Each SPEC is KIND:PORT:COUNT and runs in order.
 * -D sets TCP_DEFER_ACCEPT to SECONDS on every listener: a bare third ACK
 * then leaves the request sock in SYN_RECV, marked acked, and no SYN-ACK
 * is retransmitted for it until the period is nearly over.
 *
 * Scenarios, run to completion, one connection at a time unless said;
 * a listener of their own on PORT (none for refused and silent) is
 * closed at the end:
 *
 *   client_close  client closes, server reads EOF and closes
 *   server_close  server closes, client reads EOF and closes
 *   half_close    client shutdown(SHUT_WR); server reads EOF, sends
 *                 16 x 4 KiB that the client reads, then closes; client
 *                 reads EOF and closes
 *   rst           client closes with SO_LINGER {1, 0} (RST); server
 *                 reads ECONNRESET and closes
 *   sim_close     all COUNT pairs established, CMD run (-x, e.g. a netem
 *                 delay so FINs cross), then both ends shutdown(SHUT_WR)
 *                 back to back; each reads EOF, then both close
 *   unaccepted    all COUNT pairs connected and queued, none accepted;
 *                 the listener closes, which resets them: each client
 *                 reads ECONNRESET and closes
 *   refused       connect to a port nobody listens on: ECONNREFUSED
 *   silent        COUNT connects at once to a port whose SYNs are dropped
 *                 by the caller: each must fail with ETIMEDOUT
 *
 * Held states: set up, then READY (-r) is created and the process waits
 * for a signal; its sockets close when it exits, with RST if -R. A
 * listener on PORT is shared by every held SPEC of that port:
 *
 *   established   pairs left open
 *   fin_wait2     client closes, server reads EOF and keeps its socket:
 *                 an orphaned FIN_WAIT2 (timewait sock) and a CLOSE_WAIT
 *   half_closed   client shutdown(SHUT_WR), server reads EOF: a full
 *                 FIN_WAIT2 and a CLOSE_WAIT
 *   fin_wait1     client shutdown(SHUT_WR) whose FIN the caller drops
 *   last_ack      as fin_wait2, then the server closes too and the caller
 *                 drops its FIN: LAST_ACK and an orphaned FIN_WAIT2
 *   syn_sent      non-blocking connects to a port with no listener whose
 *                 SYNs the caller drops
 *   syn_recv      non-blocking connects to a listener whose SYN-ACKs the
 *                 caller drops: SYN_SENT here, SYN_RECV there
 *   listen        COUNT idle listeners on PORT .. PORT + COUNT - 1
 *
 * Exits 0 only if everything behaved as described; any surprise is
 * printed and exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_FDS		65536
#define LISTEN_BACKLOG	4096
#define HALF_CLOSE_CHUNKS 16
#define CHUNK_BYTES	4096
/* A run-to-completion scenario that takes longer than this is hung. */
#define SCENARIO_TIMEOUT_S 120

static int cli_ns, srv_ns;
static struct sockaddr_storage srv_addr;
static socklen_t srv_len;
static const char *before_close_cmd;
static int rst_on_exit;
static int defer_accept_s;

/* Every fd held until exit, so -R can arm SO_LINGER {1, 0} on each. */
static int held[MAX_FDS];
static int nr_held;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "tcp_pair: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static int open_ns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	return fd;
}

static void enter_ns(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns");
}

static void set_port(int port)
{
	if (srv_addr.ss_family == AF_INET)
		((struct sockaddr_in *)&srv_addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&srv_addr)->sin6_port = htons(port);
}

static void hold(int fd)
{
	if (nr_held == MAX_FDS)
		fail("%s", "too many sockets");
	held[nr_held++] = fd;
}

static void set_linger0(int fd)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)))
		die("SO_LINGER");
}

static int make_listener(int port)
{
	int fd, one = 1;

	enter_ns(srv_ns);
	set_port(port);
	fd = socket(srv_addr.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A v6 listener must not take the v4 port of a v4 run of the same test. */
	if (srv_addr.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		die("IPV6_V6ONLY");
	if (defer_accept_s &&
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_accept_s,
		       sizeof(defer_accept_s)))
		die("TCP_DEFER_ACCEPT");
	if (bind(fd, (struct sockaddr *)&srv_addr, srv_len) ||
	    listen(fd, LISTEN_BACKLOG))
		die("listener");
	return fd;
}

static int client_socket(int port, int nonblock)
{
	int fd;

	enter_ns(cli_ns);
	set_port(port);
	fd = socket(srv_addr.ss_family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		die("socket");
	return fd;
}

static int do_connect(int port)
{
	int fd = client_socket(port, 0);

	if (connect(fd, (struct sockaddr *)&srv_addr, srv_len))
		die("connect");
	return fd;
}

/* An established pair on PORT: the client fd, the accepted fd in *afd. */
static int make_pair(int lfd, int port, int *afd)
{
	int cfd = do_connect(port);

	*afd = accept(lfd, NULL, NULL);
	if (*afd < 0)
		die("accept");
	return cfd;
}

static void expect_eof(int fd, const char *who)
{
	char byte;
	ssize_t n = read(fd, &byte, 1);

	if (n != 0) {
		if (n < 0)
			perror("read");
		fail("%s: expected EOF", who);
	}
}

static void read_exactly(int fd, size_t len)
{
	char buf[CHUNK_BYTES];
	ssize_t n;

	while (len) {
		n = read(fd, buf, len < sizeof(buf) ? len : sizeof(buf));
		if (n <= 0)
			fail("%s", "half_close: client lost data after its shutdown");
		len -= n;
	}
}

static void write_all(int fd, size_t len)
{
	char buf[CHUNK_BYTES];
	ssize_t n;

	memset(buf, 'x', sizeof(buf));
	while (len) {
		n = write(fd, buf, len < sizeof(buf) ? len : sizeof(buf));
		if (n <= 0)
			die("write");
		len -= n;
	}
}

static void scenario_simple(const char *kind, int port, int count)
{
	int lfd = make_listener(port), cfd, afd, i, k;
	char byte;

	for (i = 0; i < count; i++) {
		cfd = make_pair(lfd, port, &afd);
		if (!strcmp(kind, "client_close")) {
			close(cfd);
			expect_eof(afd, "server");
			close(afd);
		} else if (!strcmp(kind, "server_close")) {
			close(afd);
			expect_eof(cfd, "client");
			close(cfd);
		} else if (!strcmp(kind, "half_close")) {
			if (shutdown(cfd, SHUT_WR))
				die("shutdown");
			expect_eof(afd, "server");
			for (k = 0; k < HALF_CLOSE_CHUNKS; k++) {
				write_all(afd, CHUNK_BYTES);
				read_exactly(cfd, CHUNK_BYTES);
			}
			close(afd);
			expect_eof(cfd, "client");
			close(cfd);
		} else {	/* rst */
			set_linger0(cfd);
			close(cfd);
			if (read(afd, &byte, 1) != -1 || errno != ECONNRESET)
				fail("%s", "rst: server did not see ECONNRESET");
			close(afd);
		}
	}
	close(lfd);
}

static void scenario_sim_close(int port, int count)
{
	int lfd = make_listener(port), *cfd, *afd, i;

	cfd = calloc(count, sizeof(*cfd));
	afd = calloc(count, sizeof(*afd));
	if (!cfd || !afd)
		die("calloc");
	for (i = 0; i < count; i++)
		cfd[i] = make_pair(lfd, port, &afd[i]);
	if (before_close_cmd && system(before_close_cmd))
		fail("sim_close: %s failed", before_close_cmd);
	for (i = 0; i < count; i++)
		if (shutdown(cfd[i], SHUT_WR) || shutdown(afd[i], SHUT_WR))
			die("shutdown");
	for (i = 0; i < count; i++) {
		expect_eof(cfd[i], "client");
		expect_eof(afd[i], "server");
	}
	for (i = 0; i < count; i++) {
		close(cfd[i]);
		close(afd[i]);
	}
	close(lfd);
	free(cfd);
	free(afd);
}

/* A listener's accept queue length, as TCP_INFO reports it. */
static unsigned int accept_queue_len(int lfd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		die("TCP_INFO");
	return ti.tcpi_unacked;
}

static void scenario_unaccepted(int port, int count)
{
	int lfd = make_listener(port), *cfd, i;
	char byte;

	cfd = calloc(count, sizeof(*cfd));
	if (!cfd)
		die("calloc");
	for (i = 0; i < count; i++)
		cfd[i] = do_connect(port);
	/* connect() returns before the server has its child: wait for all. */
	while (accept_queue_len(lfd) < (unsigned int)count)
		usleep(1000);
	close(lfd);
	for (i = 0; i < count; i++) {
		if (read(cfd[i], &byte, 1) != -1 || errno != ECONNRESET)
			fail("%s", "unaccepted: client did not see ECONNRESET");
		close(cfd[i]);
	}
	free(cfd);
}

static void scenario_refused(int port, int count)
{
	int i, fd;

	for (i = 0; i < count; i++) {
		fd = client_socket(port, 0);
		if (connect(fd, (struct sockaddr *)&srv_addr, srv_len) == 0 ||
		    errno != ECONNREFUSED)
			fail("%s", "refused: connect did not fail with ECONNREFUSED");
		close(fd);
	}
}

/* Non-blocking connects; the caller makes their SYNs (or SYN-ACKs) vanish. */
static int *start_connects(int port, int count)
{
	int *fd = calloc(count, sizeof(*fd)), i;

	if (!fd)
		die("calloc");
	for (i = 0; i < count; i++) {
		fd[i] = client_socket(port, 1);
		if (connect(fd[i], (struct sockaddr *)&srv_addr, srv_len) == 0 ||
		    errno != EINPROGRESS)
			die("non-blocking connect");
	}
	return fd;
}

static void scenario_silent(int port, int count)
{
	int *fd = start_connects(port, count), i, err;
	socklen_t len = sizeof(err);
	struct pollfd pfd;

	for (i = 0; i < count; i++) {
		pfd.fd = fd[i];
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) != 1)
			die("poll");
		if (getsockopt(fd[i], SOL_SOCKET, SO_ERROR, &err, &len))
			die("SO_ERROR");
		if (err != ETIMEDOUT) {
			errno = err;
			perror("connect");
			fail("%s", "silent: connect did not time out");
		}
		close(fd[i]);
	}
	free(fd);
}

struct listener {
	int port;
	int fd;
};

static struct listener listeners[64];
static int nr_listeners;

static int held_listener(int port)
{
	int i;

	for (i = 0; i < nr_listeners; i++)
		if (listeners[i].port == port)
			return listeners[i].fd;
	if (nr_listeners == (int)ARRAY_SIZE(listeners))
		fail("%s", "too many listener ports");
	listeners[nr_listeners].port = port;
	listeners[nr_listeners].fd = make_listener(port);
	hold(listeners[nr_listeners].fd);
	return listeners[nr_listeners++].fd;
}

static void held_state(const char *kind, int port, int count)
{
	int i, cfd, afd, *fds;

	if (!strcmp(kind, "listen")) {
		for (i = 0; i < count; i++)
			held_listener(port + i);
		return;
	}
	if (!strcmp(kind, "syn_sent") || !strcmp(kind, "syn_recv")) {
		if (!strcmp(kind, "syn_recv"))
			held_listener(port);
		fds = start_connects(port, count);
		for (i = 0; i < count; i++)
			hold(fds[i]);
		free(fds);
		return;
	}
	for (i = 0; i < count; i++) {
		cfd = make_pair(held_listener(port), port, &afd);
		if (!strcmp(kind, "established")) {
			hold(cfd);
			hold(afd);
		} else if (!strcmp(kind, "fin_wait2")) {
			close(cfd);
			expect_eof(afd, "server");
			hold(afd);
		} else if (!strcmp(kind, "half_closed")) {
			if (shutdown(cfd, SHUT_WR))
				die("shutdown");
			expect_eof(afd, "server");
			hold(cfd);
			hold(afd);
		} else if (!strcmp(kind, "fin_wait1")) {
			if (shutdown(cfd, SHUT_WR))
				die("shutdown");
			hold(cfd);
			hold(afd);
		} else if (!strcmp(kind, "last_ack")) {
			close(cfd);
			expect_eof(afd, "server");
			close(afd);
		} else {
			fail("unknown kind %s", kind);
		}
	}
}

static int is_scenario(const char *kind)
{
	static const char *const names[] = {
		"client_close", "server_close", "half_close", "rst", "sim_close",
		"unaccepted", "refused", "silent",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(kind, names[i]))
			return 1;
	return 0;
}

static void usage(void)
{
	fputs("Usage: tcp_pair [-x CMD] [-r READY] [-R] [-D SECONDS] CLIENT_NS\n"
	      "                SERVER_NS ADDR KIND:PORT:COUNT...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct rlimit rl = { MAX_FDS + 64, MAX_FDS + 64 };
	const char *ready = NULL;
	int opt, i, port, count, held_any = 0;
	char kind[32];
	sigset_t sigs;
	int sig;

	while ((opt = getopt(argc, argv, "x:r:RD:")) != -1) {
		switch (opt) {
		case 'x':
			before_close_cmd = optarg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'R':
			rst_on_exit = 1;
			break;
		case 'D':
			defer_accept_s = atoi(optarg);
			if (defer_accept_s < 1)
				fail("bad defer period %s", optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 4)
		usage();
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	cli_ns = open_ns(argv[optind]);
	srv_ns = open_ns(argv[optind + 1]);
	memset(&srv_addr, 0, sizeof(srv_addr));
	if (inet_pton(AF_INET, argv[optind + 2],
		      &((struct sockaddr_in *)&srv_addr)->sin_addr) == 1) {
		srv_addr.ss_family = AF_INET;
		srv_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[optind + 2],
			     &((struct sockaddr_in6 *)&srv_addr)->sin6_addr) == 1) {
		srv_addr.ss_family = AF_INET6;
		srv_len = sizeof(struct sockaddr_in6);
	} else {
		fail("bad address %s", argv[optind + 2]);
	}

	for (i = optind + 3; i < argc; i++) {
		if (sscanf(argv[i], "%31[a-z_0-9]:%d:%d", kind, &port, &count) != 3 ||
		    count < 1 || port < 1 || port > 65535)
			fail("bad spec %s", argv[i]);
		if (is_scenario(kind)) {
			alarm(SCENARIO_TIMEOUT_S);
			if (!strcmp(kind, "sim_close"))
				scenario_sim_close(port, count);
			else if (!strcmp(kind, "unaccepted"))
				scenario_unaccepted(port, count);
			else if (!strcmp(kind, "refused"))
				scenario_refused(port, count);
			else if (!strcmp(kind, "silent"))
				scenario_silent(port, count);
			else
				scenario_simple(kind, port, count);
			alarm(0);
		} else {
			held_state(kind, port, count);
			held_any = 1;
		}
	}
	if (!held_any && !ready)
		return 0;

	if (rst_on_exit)
		for (i = 0; i < nr_held; i++)
			set_linger0(held[i]);
	/* Wait for the end in sigwait, so the exit closes the sockets. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f)
			die(ready);
		fclose(f);
	}
	sigwait(&sigs, &sig);
	return 0;
}
