// SPDX-License-Identifier: GPL-2.0
/*
 * faultloop FILE VALUE UNDO_FILE UNDO_VALUE: writes VALUE to the sysfs
 * FILE with its 1st, 2nd, 3rd... fault-injection point failing
 * (/proc/thread-self/fail-nth), until a write meets no more points.
 * After each, the configuration (every readable file under
 * /sys/kernel/tcpstate but the alerts' fired counters, and debugfs
 * limits without its counts) is read back and compared:
 *
 *   ENOMEM, the fault injected      the configuration as before
 *   success, the fault injected     as after the same write without faults
 *                                   (an allocation the kernel made another
 *                                   way); UNDO_VALUE to UNDO_FILE restores it
 *   anything else                   a failure
 *
 * First the write runs without faults, and the undo must restore the
 * configuration it found. Prints one summary line, or what went wrong,
 * and exits 0 or 1. One process for the whole loop: on the debug kernel
 * under TCG a process costs most of a second, and the writes hundreds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYSFS		"/sys/kernel/tcpstate"
#define DEBUGFS_LIMITS	"/sys/kernel/debug/tcpstate/limits"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_NTH		1000

struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf) {
			perror("realloc");
			exit(2);
		}
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* Appends "path: content" of a readable file, or the path of another. */
static void snap_file(struct text *t, const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	text_str(t, path);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		text_str(t, "\n");	/* write-only: add, remove, reset */
		return;
	}
	text_str(t, ": ");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		text_add(t, buf, n);
	if (t->buf[t->len - 1] != '\n')
		text_str(t, "\n");
	close(fd);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void snap_tree(struct text *t, const char *dir)
{
	struct dirent **names;
	char path[4096];
	int i, n;

	n = scandir(dir, &names, NULL, by_name);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (strcmp(name, ".") && strcmp(name, "..") && strcmp(name, "fired")) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (names[i]->d_type == DT_DIR)
				snap_tree(t, path);
			else
				snap_file(t, path);
		}
		free(names[i]);
	}
	free(names);
}

/* debugfs limits, the columns that are configuration: type, key, state, limit. */
static void snap_limits(struct text *t)
{
	char line[1024], type[64], key[512], state[32], count[32], high[32], limit[32];
	FILE *f = fopen(DEBUGFS_LIMITS, "r");

	if (!f) {
		text_str(t, "no debugfs limits\n");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %511s %31s %31s %31s %31s", type, key, state, count,
			   high, limit) != 6 || !strcmp(type, "syn_prefix"))
			continue;
		snprintf(line, sizeof(line), "limits: %s %s %s %s\n", type, key, state, limit);
		text_str(t, line);
	}
	fclose(f);
}

static char *config(void)
{
	struct text t = { 0 };

	/* Every line between newlines, for print_missing(). */
	text_str(&t, "\n");
	snap_tree(&t, SYSFS);
	snap_limits(&t);
	return t.buf;
}

/* The write; with nth > 0, its nth fault point fails. *injected: it did. */
static int swrite(const char *file, const char *value, int nth, int *injected)
{
	char left[32] = "";
	int fd, nth_fd = -1, err = 0;
	ssize_t n;

	fd = open(file, O_WRONLY);
	if (fd < 0)
		return errno;
	if (nth) {
		nth_fd = open(FAIL_NTH, O_RDWR);
		if (nth_fd < 0 || dprintf(nth_fd, "%d", nth) < 0) {
			perror(FAIL_NTH);
			exit(2);
		}
	}
	n = write(fd, value, strlen(value));
	if (n < 0)
		err = errno;
	else if ((size_t)n != strlen(value))
		err = EIO;
	if (nth) {
		/* Nothing between: the read must not meet the points left. */
		if (pread(nth_fd, left, sizeof(left) - 1, 0) <= 0) {
			perror(FAIL_NTH);
			exit(2);
		}
		*injected = strtol(left, NULL, 10) == 0;
		if (!*injected && pwrite(nth_fd, "0", 1, 0) != 1) {
			perror(FAIL_NTH);
			exit(2);
		}
		close(nth_fd);
	}
	close(fd);
	return err;
}

/* Prints, as KTAP diagnostics, the lines of a that b lacks (see config()). */
static void print_missing(const char *a, const char *b, char mark)
{
	const char *line, *end;
	char needle[8192];
	int len;

	for (line = a + 1; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		len = snprintf(needle, sizeof(needle), "\n%.*s\n", (int)(end - line), line);
		if (!strstr(b, needle))
			printf("# %c %.*s\n", mark, len - 2, needle + 1);
		if (!*end)
			break;
	}
}

static int fail(const char *what, int nth, const char *expected, const char *now)
{
	printf("# fault %d: %s\n", nth, what);
	if (expected && now) {
		print_missing(expected, now, '-');
		print_missing(now, expected, '+');
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *file, *value, *undo_file, *undo_value;
	char *before, *after, *now;
	int nth, err, injected, nomem = 0, succeeded = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: faultloop FILE VALUE UNDO_FILE UNDO_VALUE\n");
		return 2;
	}
	file = argv[1];
	value = argv[2];
	undo_file = argv[3];
	undo_value = argv[4];

	before = config();
	err = swrite(file, value, 0, &injected);
	if (err)
		return fail(strerrorname_np(err), 0, NULL, NULL);
	after = config();
	if (swrite(undo_file, undo_value, 0, &injected))
		return fail("the undo failed", 0, NULL, NULL);
	now = config();
	if (strcmp(now, before))
		return fail("the undo did not restore the configuration", 0, before, now);
	free(now);

	for (nth = 1; nth <= MAX_NTH; nth++) {
		injected = 0;
		err = swrite(file, value, nth, &injected);
		now = config();
		if (!err && !injected) {
			if (strcmp(now, after))
				return fail("no fault, yet another configuration", nth, after, now);
			printf("# %d fault points: %d failed with ENOMEM, %d succeeded anyway\n",
			       nth - 1, nomem, succeeded);
			return swrite(undo_file, undo_value, 0, &injected) ?
			       fail("the undo failed", nth, NULL, NULL) : 0;
		}
		if (!injected)
			return fail(strerrorname_np(err), nth, NULL, NULL);
		if (err == ENOMEM) {
			if (strcmp(now, before))
				return fail("ENOMEM, but the configuration changed", nth,
					    before, now);
			nomem++;
		} else if (!err) {
			if (strcmp(now, after))
				return fail("succeeded, but left another configuration", nth,
					    after, now);
			if (swrite(undo_file, undo_value, 0, &injected))
				return fail("the undo failed", nth, NULL, NULL);
			succeeded++;
		} else {
			return fail(strerrorname_np(err), nth, NULL, NULL);
		}
		free(now);
	}
	printf("# more than %d fault points\n", MAX_NTH);
	return 1;
}
