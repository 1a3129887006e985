// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fork_children.c - a server that forks a short-lived child now and then, for
 * --follow's fork event: CHILDREN (environment; 10) children, FORK_EVERY_MS (200) apart,
 * each of which allocates one block of CHILD_BYTES (777) every millisecond of its CPU
 * time, keeps it, and exits after CHILD_MS (30) of them (libc mapped, never exec()ed).
 *
 * Each child writes DIR/child.PID: one line per block, the wall-clock microseconds from
 * its fork to that block's malloc.  A session that attached the child late sees its last
 * blocks only: if it recorded k of n, probes were live in the child by the time of
 * block n - k (the attach latency, fork to probes live, to within one block).  The
 * parent allocates nothing during the phase; its truth is its table (serve).
 */
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include "workload.h"

#define TABLE_BYTES 4096
#define MAX_BLOCKS  4096

static void *volatile table;
static void *volatile blocks[MAX_BLOCKS];

static long env_or(const char *name, long fallback)
{
	const char *text = getenv(name);

	return text ? atol(text) : fallback;
}

NOINLINE static void serve(void)
{
	table = malloc(TABLE_BYTES);
	memset(table, 1, TABLE_BYTES);
}

/* CPU time this thread has run, in seconds. */
static double cpu_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

/*
 * The child: a block per millisecond of its own CPU time, for child_ms of it, each
 * block's wall time since the fork written down; then exit.  Its life is counted in CPU
 * time, as heapscope's work to attach it is, so it is as short relative to that work on
 * a loaded machine as on an idle one.
 */
NOINLINE static void child_work(double forked_s, long child_ms, long bytes)
{
	static char lines[MAX_BLOCKS * 12];
	double started = cpu_s();
	size_t len = 0;
	char name[64];
	int n = 0;

	while (n < MAX_BLOCKS && n < child_ms) {
		while (cpu_s() - started < n / 1e3)
			; /* spin to the next millisecond of CPU */
		blocks[n] = malloc(bytes);
		memset(blocks[n], n, bytes);
		len += snprintf(lines + len, sizeof(lines) - len, "%.0f\n",
				(workload_now_s() - forked_s) * 1e6);
		n++;
	}
	snprintf(name, sizeof(name), "child.%d", (int)getpid());
	workload_write(name, lines, len);
	_exit(0);
}

int main(int argc, char **argv)
{
	long children = env_or("CHILDREN", 10), every_ms = env_or("FORK_EVERY_MS", 200);
	long child_ms = env_or("CHILD_MS", 30), bytes = env_or("CHILD_BYTES", 777);
	int forked = 0;

	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	workload_start(argc, argv);
	serve();
	for (long i = 0; i < children; i++) {
		double before = workload_now_s();
		pid_t child = fork();

		if (child == 0)
			child_work(before, child_ms, bytes);
		forked += child > 0;
		workload_nap_ms(every_ms);
	}
	workload_expect("serve", TABLE_BYTES, 1, "main;serve");
	workload_finish();
	printf("%d\n", forked);
	return 0;
}
