// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_churn ADDR COUNT: open and close COUNT TCP connections to a
 * listener of its own on ADDR (IPv4 or IPv6 literal), one at a time.
 * The client closes first (active close), then the accepted socket, so
 * every connection makes the same transitions in the same order:
 *
 *   client: CLOSE>SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>(TIME_WAIT)
 *   server: LISTEN>SYN_RECV>ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE
 *
 * Waits for each server socket to see the FIN before closing it, so no
 * close races into a RST. Exits 0 only if every connection completed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int lfd, cfd, afd, i, count;
	char byte;

	if (argc != 3) {
		fprintf(stderr, "usage: tcp_churn ADDR COUNT\n");
		return 2;
	}
	count = atoi(argv[2]);
	if (inet_pton(AF_INET, argv[1], &sin->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "tcp_churn: bad address %s\n", argv[1]);
		return 2;
	}

	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) ||
	    listen(lfd, 128) || getsockname(lfd, (struct sockaddr *)&ss, &len)) {
		perror("tcp_churn: listener");
		return 1;
	}
	for (i = 0; i < count; i++) {
		cfd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (cfd < 0 || connect(cfd, (struct sockaddr *)&ss, len)) {
			perror("tcp_churn: connect");
			return 1;
		}
		afd = accept(lfd, NULL, NULL);
		if (afd < 0) {
			perror("tcp_churn: accept");
			return 1;
		}
		close(cfd);
		if (read(afd, &byte, 1) != 0) {	/* EOF: the FIN arrived */
			fprintf(stderr, "tcp_churn: expected EOF\n");
			return 1;
		}
		close(afd);
	}
	close(lfd);
	return 0;
}
