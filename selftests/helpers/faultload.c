// SPDX-License-Identifier: GPL-2.0
/*
 * faultload KO [PARAMS]: loads the module with each fault-injection point
 * of its init failing in turn (/proc/thread-self/fail-nth), to run every
 * error path of the load under KASAN and kmemleak.
 *
 * The points of one load are the loader's, then the init's (the ones
 * that can fail it, then those of the debugfs files it makes last, which
 * cannot), then a few of the loader's again. A first load without faults
 * counts them all. A bisection finds the first point after which the
 * loader reaches the init (the module_load trace event, which names the
 * module as a string, fires just before it), and from there the nth
 * point fails for n = 1, 2, ... until a load goes through with a debugfs
 * file missing: the fault was in the files, past every error path. Each
 * load must either
 *
 *   fail with ENOMEM, and leave no module, no debugfs and no sysfs
 *   directory behind, or
 *   succeed (the kernel made the allocation another way, or the fault
 *   was one the loader tolerates), and unload.
 *
 * Meanwhile a second thread opens the debugfs version file again and
 * again and holds it until the load in progress ends: a file that could
 * be opened during a load that then failed is counted, and its close
 * would run the freed module's code. Prints one summary line, or what
 * went wrong, and exits 0 or 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define TRACEFS		"/sys/kernel/tracing"
#define MODULE_DIR	"/sys/module/tcpstate"
#define DEBUGFS_DIR	"/sys/kernel/debug/tcpstate"
#define DEBUGFS_VERSION	DEBUGFS_DIR "/version"
#define SYSFS_DIR	"/sys/kernel/tcpstate"
#define PROBE_NTH	1000000

/* Odd while a load is in progress; the reader keys its opens on it. */
static atomic_uint load_seq;
static atomic_bool last_load_failed;
static atomic_bool done;
static atomic_uint opened_during_failed_loads;
/*
 * Held by the reader across its open() and by unload() across each
 * delete_module(): no open may land inside an unload. delete_module()
 * drops the module's last reference (try_release_module_ref()) before
 * it marks the module GOING (try_stop_module(), kernel/module/main.c,
 * 6.1 and 6.12 alike). A debugfs open between the two fails its
 * try_module_get() on a module that still looks live, and
 * full_proxy_open() (fs/debugfs/file.c) takes that for a module that
 * left its files behind: WARN "debugfs file owner did not clean up at
 * exit". It is the kernel's race, not ours, and the open fails with
 * ENXIO; but a reader that opens in a tight loop meets it every few
 * hundred unloads, and the WARN fails the guest's console check.
 */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		die(path);
	close(fd);
}

/* Whether the trace since the last clear shows the loader reaching the init. */
static int init_ran(void)
{
	static char buf[1 << 16];
	ssize_t n, len = 0;
	int fd = open(TRACEFS "/trace", O_RDONLY);

	if (fd < 0)
		die(TRACEFS "/trace");
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return !!strstr(buf, "module_load: tcpstate");
}

/* One load with the nth point failing (0: none); returns 0 or errno. */
static int load(int ko, const char *params, int nth, int *injected)
{
	char left[32] = "";
	int nth_fd = -1, err = 0;

	write_file(TRACEFS "/trace", "");
	if (nth) {
		nth_fd = open(FAIL_NTH, O_RDWR);
		if (nth_fd < 0 || dprintf(nth_fd, "%d", nth) < 0)
			die(FAIL_NTH);
	}
	atomic_fetch_add(&load_seq, 1);
	if (syscall(SYS_finit_module, ko, params, 0))
		err = errno;
	*injected = 0;
	if (nth) {
		/* Nothing between: the read must not meet the points left. */
		if (pread(nth_fd, left, sizeof(left) - 1, 0) <= 0)
			die(FAIL_NTH);
		*injected = nth - (int)strtol(left, NULL, 10);
		if (strtol(left, NULL, 10) && pwrite(nth_fd, "0", 1, 0) != 1)
			die(FAIL_NTH);
		close(nth_fd);
	}
	atomic_store(&last_load_failed, err != 0);
	atomic_fetch_add(&load_seq, 1);
	return err;
}

/* The reader may hold a file for a moment: the module is busy till then. */
static int unload(void)
{
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		long ret;
		int err;

		pthread_mutex_lock(&open_lock);
		ret = syscall(SYS_delete_module, "tcpstate", O_NONBLOCK);
		err = errno;
		pthread_mutex_unlock(&open_lock);
		if (!ret)
			return 0;
		errno = err;
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			break;
		usleep(1000);
	}
	perror("delete_module");
	return 1;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int debugfs_entries;

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path, (void)st, (void)type, (void)ftw;
	debugfs_entries++;
	return 0;
}

/* Files and directories under the module's debugfs directory. */
static int debugfs_tree_size(void)
{
	debugfs_entries = 0;
	if (nftw(DEBUGFS_DIR, count_entry, 16, FTW_PHYS))
		return -1;
	return debugfs_entries;
}

static void *reader(void *unused)
{
	(void)unused;
	while (!atomic_load(&done)) {
		unsigned int seq = atomic_load(&load_seq);
		int fd;

		pthread_mutex_lock(&open_lock);
		fd = open(DEBUGFS_VERSION, O_RDONLY);
		pthread_mutex_unlock(&open_lock);

		if (fd < 0) {
			usleep(100);
			continue;
		}
		/* Opened during a load: hold it until the load's outcome is known. */
		if (seq & 1) {
			while (atomic_load(&load_seq) == seq)
				usleep(100);
			if (atomic_load(&last_load_failed))
				atomic_fetch_add(&opened_during_failed_loads, 1);
		}
		close(fd);
		/* Room for unload() to take open_lock: the mutex is not fair. */
		usleep(100);
	}
	return NULL;
}

/* What a load with its nth point failing did; see the comment at the top. */
enum outcome { FAILED_IN_LOADER, FAILED_IN_INIT, LOADED_WHOLE, LOADED_PARTLY, WRONG };

static enum outcome try_load(int ko, const char *params, int nth, int tree_size)
{
	int injected, err = load(ko, params, nth, &injected);
	int reached_init = init_ran(), size;

	if (err) {
		if (err == ENOMEM && !exists(MODULE_DIR) && !exists(DEBUGFS_DIR) &&
		    !exists(SYSFS_DIR))
			return reached_init ? FAILED_IN_INIT : FAILED_IN_LOADER;
		printf("# fault %d: %s, module %s, debugfs %s, sysfs %s\n", nth, strerror(err),
		       exists(MODULE_DIR) ? "present" : "gone",
		       exists(DEBUGFS_DIR) ? "present" : "gone",
		       exists(SYSFS_DIR) ? "present" : "gone");
		return WRONG;
	}
	size = debugfs_tree_size();
	if (unload())
		return WRONG;
	if (!reached_init) {
		printf("# fault %d: loaded without a module_load event\n", nth);
		return WRONG;
	}
	return size == tree_size ? LOADED_WHOLE : LOADED_PARTLY;
}

int main(int argc, char **argv)
{
	const char *params = argc > 2 ? argv[2] : "";
	int ko, err, injected, total = 0, tree_size, lo = 0, hi, nth = 0, rc = 1;
	int loader = 0, failed = 0, loaded = 0;
	enum outcome outcome = WRONG;
	pthread_t thread;

	if (argc < 2) {
		fprintf(stderr, "usage: %s KO [PARAMS]\n", argv[0]);
		return 2;
	}
	ko = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (ko < 0)
		die(argv[1]);
	write_file(TRACEFS "/events/module/module_load/enable", "1");
	if (pthread_create(&thread, NULL, reader, NULL))
		die("pthread_create");

	err = load(ko, params, PROBE_NTH, &injected);
	tree_size = debugfs_tree_size();
	if (err || !init_ran() || tree_size <= 0) {
		printf("# load without faults: %s\n",
		       err ? strerror(err) : "no module_load event or debugfs");
		goto out;
	}
	total = injected;
	if (unload())
		goto out;

	/* The first point whose failure still lets the loader reach the init. */
	for (lo = 1, hi = total; lo < hi;) {
		nth = lo + (hi - lo) / 2;
		outcome = try_load(ko, params, nth, tree_size);
		if (outcome == WRONG)
			goto out;
		if (outcome == FAILED_IN_LOADER)
			lo = nth + 1;
		else
			hi = nth;
	}
	for (nth = lo; nth <= total; nth++) {
		outcome = try_load(ko, params, nth, tree_size);
		if (outcome == WRONG || outcome == LOADED_PARTLY)
			break;
		loader += outcome == FAILED_IN_LOADER;
		failed += outcome == FAILED_IN_INIT;
		loaded += outcome == LOADED_WHOLE;
	}
	if (outcome == LOADED_PARTLY)
		rc = 0;
	else if (outcome != WRONG)
		printf("# no fault left a debugfs file out: the walk never reached them\n");
out:
	atomic_store(&done, true);
	pthread_join(thread, NULL);
	write_file(TRACEFS "/events/module/module_load/enable", "0");
	printf("# faultload: %d points in a load, from point %d on:\n", total, lo);
	printf("#   %d loads failed in the loader, %d in the init, %d loaded\n",
	       loader, failed, loaded);
	printf("#   until fault %d left a debugfs file out\n", nth);
	printf("#   debugfs files open during failed loads: %u\n",
	       atomic_load(&opened_during_failed_loads));
	if (atomic_load(&opened_during_failed_loads))
		rc = 1;
	return rc;
}
