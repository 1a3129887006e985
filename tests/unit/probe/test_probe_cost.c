// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_probe_cost.c - user/probe/probe_cost.c for real (root: uprobes and BPF): the
 * calibration measures a positive cost for every kind and leaves nothing behind (no perf
 * event, no program fd, no child when it ran in one), and the statistics fd leaves kernel.bpf_stats_enabled as it was.
 * Timings are not asserted, only their order where it holds by construction.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "probe/probe_cost.h"

/* Open fds of this process whose link target starts with prefix. */
static int own_fds(const char *prefix)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	char path[300], target[256];
	int count = 0;

	if (!dir)
		return -1;
	while ((entry = readdir(dir))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", entry->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		count += strncmp(target, prefix, strlen(prefix)) == 0;
	}
	closedir(dir);
	return count;
}

static char stats_sysctl(void)
{
	char value = '?';
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY);

	if (fd >= 0 && read(fd, &value, 1) != 1)
		value = '?';
	if (fd >= 0)
		close(fd);
	return value;
}

static void test_calibration(void)
{
	struct hs_probe_cost cost;
	int err = hs_probe_cost_calibrate(&cost);

	CHECK_EQ(err, 0);
	if (err)
		return;
	CHECK(cost.emulated_ns > 0);
	CHECK(cost.stepped_ns >= cost.emulated_ns);
	CHECK(cost.return_ns > 0);
	CHECK(cost.cpu_ms > 0);
	CHECK_EQ(own_fds("anon_inode:[perf_event]"), 0);
	CHECK_EQ(own_fds("anon_inode:bpf-prog"), 0);
	fprintf(stderr, "  calibration: %.2f us emulated, %.2f us single-stepped, return +%.2f us "
		"(%.0f ms CPU)\n", cost.emulated_ns / 1e3, cost.stepped_ns / 1e3,
		cost.return_ns / 1e3, cost.cpu_ms);
}

/* In a child: the same figures, nothing of it left here (no fd, no child). */
static void test_calibration_apart(void)
{
	struct hs_probe_cost cost;
	int pipes = own_fds("pipe:"); /* stdio may be pipes */

	CHECK_EQ(hs_probe_cost_calibrate_apart(&cost), 0);
	CHECK(cost.emulated_ns > 0 && cost.stepped_ns >= cost.emulated_ns && cost.return_ns > 0);
	CHECK_EQ(own_fds("anon_inode:[perf_event]"), 0);
	CHECK_EQ(own_fds("pipe:"), pipes);
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

static void test_stats_fd(void)
{
	char before = stats_sysctl();
	int fd = hs_bpf_stats_enable();
	struct hs_program_totals totals;

	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_EQ(stats_sysctl(), before);
	CHECK_EQ(hs_program_totals(NULL, &totals), -EINVAL);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "  skipped: uprobes and BPF need root\n");
		return check_summary();
	}
	TEST(test_calibration);
	TEST(test_calibration_apart);
	TEST(test_stats_fd);
	return check_summary();
}
