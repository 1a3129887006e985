/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * workload.h - what every test workload shares: the handshake with the test
 * script, and the truth file.
 *
 * Handshake (files in the directory given as argv[1]):
 *   the workload writes "ready", waits for "go", does its allocations, writes
 *   "truth" and "done", waits for "exit", then exits 0.
 * The waits poll with nanosleep and the files are written with system calls:
 * nothing allocates, so a profiler attached between the steps sees exactly the
 * allocations of the work phase.
 *
 * Truth file: one line per allocating function,
 *   FUNCTION LIVE_BYTES LIVE_COUNT CHAIN
 * where CHAIN is the call chain from main to FUNCTION (root first, ';'), and
 * the numbers are what the function still holds when "done" is written.  The
 * workload computes them from what it actually did.
 */
#ifndef HEAPSCOPE_TEST_WORKLOAD_H
#define HEAPSCOPE_TEST_WORKLOAD_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

static char workload_dir[1024];

/* Keeps the compiler from eliding malloc/free pairs. */
static void *volatile workload_sink;

/* Write a file of the handshake with plain system calls: stdio would allocate
 * (its FILE and buffer) while a profiler may be counting. */
static inline void workload_write(const char *name, const char *text, size_t len)
{
	char path[1100];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", workload_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

static inline void workload_touch(const char *name)
{
	workload_write(name, "", 0);
}

static inline void workload_wait(const char *name)
{
	char path[1100];
	struct timespec pause = { 0, 5 * 1000 * 1000 };

	snprintf(path, sizeof(path), "%s/%s", workload_dir, name);
	while (access(path, F_OK) != 0)
		nanosleep(&pause, NULL);
}

static inline void workload_start(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		exit(2);
	}
	snprintf(workload_dir, sizeof(workload_dir), "%s", argv[1]);
	workload_touch("ready");
	workload_wait("go");
}

/*
 * Scenario workloads (the verdict tests) run their phase for PHASE_S seconds
 * (environment; default 6), paced by the clock: what they do is a function
 * of time however busy the machine is.  None of this allocates.
 */
static inline double workload_phase_s(void)
{
	const char *text = getenv("PHASE_S");

	return text ? atof(text) : 6;
}

static inline double workload_now_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

static inline void workload_nap_ms(long ms)
{
	struct timespec pause = { ms / 1000, (ms % 1000) * 1000 * 1000 };

	nanosleep(&pause, NULL);
}

/* Truth lines are collected in a static buffer and written at the end, so
 * writing them allocates nothing during the work phase. */
static char workload_truth[16384];
static size_t workload_truth_len;

static inline void workload_expect(const char *function, unsigned long long live_bytes,
				   unsigned long long live_count, const char *chain)
{
	workload_truth_len += snprintf(workload_truth + workload_truth_len,
				       sizeof(workload_truth) - workload_truth_len, "%s %llu %llu %s\n",
				       function, live_bytes, live_count, chain);
}

static inline void workload_finish(void)
{
	workload_write("truth", workload_truth, workload_truth_len);
	workload_touch("done");
	workload_wait("exit");
}

#endif
