// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unwind_loop.c - what `make bench-unwind` measures: malloc/free pairs at a
 * fixed stack depth, timed by the target's own clock, so the cost a profiler
 * adds per allocation is the difference between runs with and without it.
 *
 * Usage: unwind_loop DIR PAIRS DEPTH.  Handshake as the test workloads
 * (tests/workloads/workload.h): "ready", wait for "go", run, write
 * "result" ("NS_PER_PAIR"), "done", wait for "exit".
 */
#include <time.h>

#include "workload.h"

static double now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1e9 + now.tv_nsec;
}

NOINLINE static double allocate(long pairs)
{
	double started = now_ns();

	for (long i = 0; i < pairs; i++) {
		workload_sink = malloc(32 + (i & 63));
		free(workload_sink);
	}
	return (now_ns() - started) / pairs;
}

/* depth frames between main and the loop, each a real call (no tail calls) */
NOINLINE static double descend(int depth, long pairs)
{
	double ns = depth > 0 ? descend(depth - 1, pairs) : allocate(pairs);

	workload_sink = &ns;
	return ns;
}

int main(int argc, char **argv)
{
	long pairs = argc > 2 ? atol(argv[2]) : 100000;
	int depth = argc > 3 ? atoi(argv[3]) : 10;
	char path[1100];
	FILE *result;
	double ns;

	workload_start(argc, argv);
	ns = descend(depth, pairs);
	snprintf(path, sizeof(path), "%s/result", argv[1]);
	result = fopen(path, "w");
	if (!result)
		return 1;
	fprintf(result, "%.0f\n", ns);
	fclose(result);
	workload_finish();
	return 0;
}
