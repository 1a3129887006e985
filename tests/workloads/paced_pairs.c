// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * paced_pairs.c - malloc+free pairs with a known amount of application work
 * between them, for the overhead meter: its test (a hot loop the guard must
 * stop, a calm one it must leave alone) and tools/bench_overhead.sh (the
 * meter against the truth, the pace with and without heapscope).
 *
 * Environment:
 *   PACED_WORK_US    application work per pair, in microseconds of this
 *                    machine's CPU: turned into loop iterations by timing the
 *                    loop before "ready" (default 0: a tight malloc/free loop)
 *   PACED_WORK_ITERS the iterations themselves (overrides PACED_WORK_US), so a
 *                    run with heapscope does exactly the work of one without
 *   PACED_GAP_US     sleep between pairs (default 0)
 *   PACED_SECONDS    how long to run after "go" (default 0: until the file
 *                    "stop" appears, looked for every 10 ms)
 * Handshake as workload.h: "ready", wait for "go", run, write "result" and
 * "done", wait for "exit".  Result: "pairs N cpu_ns_per_pair X iters I".  CPU
 * time is the process's (user + kernel: probe traps run on it).
 */
#include <stdint.h>

#include "workload.h"

static volatile uint64_t work_sink;

/* A dependent chain the compiler cannot shorten: ~1 ns an iteration. */
static NOINLINE void work(uint64_t iters)
{
	uint64_t x = work_sink | 1;

	for (uint64_t i = 0; i < iters; i++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	work_sink = x;
}

static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Iterations per microsecond: the fastest of 5 timed runs (a preempted run is only slower). */
static double iters_per_us(void)
{
	double best_ns = 0;

	for (int run = 0; run < 5; run++) {
		double start = cpu_ns(), took;

		work(1000000);
		took = cpu_ns() - start;
		if (!best_ns || took < best_ns)
			best_ns = took;
	}
	return best_ns > 0 ? 1e6 / (best_ns / 1e3) : 1000;
}

static double env_number(const char *name, double fallback)
{
	const char *text = getenv(name);

	return text && *text ? atof(text) : fallback;
}

int main(int argc, char **argv)
{
	double work_us = env_number("PACED_WORK_US", 0), seconds = env_number("PACED_SECONDS", 0);
	long gap_us = (long)env_number("PACED_GAP_US", 0);
	uint64_t iters = (uint64_t)env_number("PACED_WORK_ITERS", -1);
	struct timespec gap = { gap_us / 1000000, (gap_us % 1000000) * 1000 };
	char path[1100], text[128];
	uint64_t pairs = 0;
	double start_cpu, deadline, next_look;
	int len;

	if (!getenv("PACED_WORK_ITERS"))
		iters = work_us > 0 ? (uint64_t)(work_us * iters_per_us()) : 0;
	workload_start(argc, argv);
	snprintf(path, sizeof(path), "%s/stop", workload_dir);
	start_cpu = cpu_ns();
	deadline = workload_now_s() + seconds;
	next_look = workload_now_s() + 0.01;
	for (;;) {
		void *block = malloc(64 + pairs % 512);

		*(volatile char *)block = 1;
		work(iters);
		free(block);
		pairs++;
		if (gap_us)
			nanosleep(&gap, NULL);
		if ((pairs & 63) && !gap_us)
			continue;
		if (seconds ? workload_now_s() >= deadline
			    : workload_now_s() >= next_look && access(path, F_OK) == 0)
			break;
		if (workload_now_s() >= next_look)
			next_look = workload_now_s() + 0.01;
	}
	len = snprintf(text, sizeof(text), "pairs %llu cpu_ns_per_pair %.1f iters %llu\n",
		       (unsigned long long)pairs, (cpu_ns() - start_cpu) / pairs,
		       (unsigned long long)iters);
	workload_write("result", text, (size_t)len);
	workload_touch("done");
	workload_wait("exit");
	return 0;
}
