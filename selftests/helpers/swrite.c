// SPDX-License-Identifier: GPL-2.0
/*
 * swrite FILE DATA: write DATA to FILE in a single write(2) and print OK,
 * or the errno's name (EINVAL, ERANGE, ...). Shell redirection cannot tell
 * a test which error the kernel returned; this can.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: swrite FILE DATA\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		printf("open:%s\n", strerrorname_np(errno));
		return 0;
	}
	n = write(fd, argv[2], strlen(argv[2]));
	if (n < 0)
		printf("%s\n", strerrorname_np(errno));
	else if ((size_t)n != strlen(argv[2]))
		printf("SHORT:%zd\n", n);
	else
		printf("OK\n");
	close(fd);
	return 0;
}
