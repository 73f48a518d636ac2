// SPDX-License-Identifier: GPL-2.0
/*
 * conn_rate ADDR CONNECTIONS THREADS: the connection-rate workload of
 * bench/conn-rate. THREADS client threads each connect to a listener of
 * our own on ADDR, and THREADS server threads accept and close, until
 * CONNECTIONS connections have completed; prints "<connections> <seconds>
 * <conn/s>". The server closes first, so TIME_WAIT lands on the server
 * side and clients do not run out of ephemeral ports.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_storage server_addr;
static socklen_t server_len;
static int listen_fd;
static atomic_long remaining;
static atomic_long failures;

static void *client(void *arg __attribute__((unused)))
{
	char byte;
	int fd;

	while (atomic_fetch_sub(&remaining, 1) > 0) {
		fd = socket(server_addr.ss_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&server_addr, server_len)) {
			atomic_fetch_add(&failures, 1);
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (read(fd, &byte, 1) != 0)	/* wait for the server's FIN */
			atomic_fetch_add(&failures, 1);
		close(fd);
	}
	return NULL;
}

static void *server(void *arg __attribute__((unused)))
{
	int fd;

	for (;;) {
		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			return NULL;	/* listener shut down: done */
		close(fd);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&server_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&server_addr;
	pthread_t *clients, *servers;
	struct timespec t0, t1;
	long total;
	int i, threads, one = 1;
	double secs;

	if (argc != 4) {
		fprintf(stderr, "usage: conn_rate ADDR CONNECTIONS THREADS\n");
		return 2;
	}
	total = atol(argv[2]);
	threads = atoi(argv[3]);
	if (inet_pton(AF_INET, argv[1], &sin->sin_addr) == 1) {
		server_addr.ss_family = AF_INET;
		server_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) == 1) {
		server_addr.ss_family = AF_INET6;
		server_len = sizeof(*sin6);
	} else {
		fprintf(stderr, "conn_rate: bad address\n");
		return 2;
	}
	listen_fd = socket(server_addr.ss_family, SOCK_STREAM, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *)&server_addr, server_len) ||
	    listen(listen_fd, 4096) ||
	    getsockname(listen_fd, (struct sockaddr *)&server_addr, &server_len)) {
		perror("conn_rate: listener");
		return 1;
	}
	atomic_store(&remaining, total);
	clients = calloc(threads, sizeof(*clients));
	servers = calloc(threads, sizeof(*servers));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++) {
		pthread_create(&servers[i], NULL, server, NULL);
		pthread_create(&clients[i], NULL, client, NULL);
	}
	for (i = 0; i < threads; i++)
		pthread_join(clients[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	shutdown(listen_fd, SHUT_RDWR);
	for (i = 0; i < threads; i++)
		pthread_join(servers[i], NULL);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (atomic_load(&failures)) {
		fprintf(stderr, "conn_rate: %ld failures\n", atomic_load(&failures));
		return 1;
	}
	printf("%ld %.3f %.1f\n", total, secs, total / secs);
	return 0;
}
