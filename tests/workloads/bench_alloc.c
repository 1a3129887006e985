// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_alloc.c - the malloc/free microbenchmark behind `make bench`.
 *
 * Each thread keeps a ring of live blocks and, for a fixed time, frees the
 * oldest and allocates a new one of a mixed size in its place: one malloc+free
 * pair per step.  A phase reports the CPU time a pair costs its thread (user
 * and kernel: the probes' traps and BPF programs run on it), and the wall time,
 * over all its threads; phases run for each thread count, round after round, so a tracer
 * attached once is measured at every count and drift shows as spread.
 * Same handshake as the test workloads (workload.h): "ready", wait for "go",
 * run, write "result", "done", wait for "exit".
 *
 * Environment: BENCH_THREADS ("1 2": thread counts), BENCH_ROUNDS (3),
 * BENCH_SECONDS (0.5 per phase), BENCH_RING (1024 live blocks per thread),
 * BENCH_HOLD (0: at the end, allocate this many 32-byte blocks and keep them,
 * for the collector's memory per live block).
 * Result file: one line "phase THREADS CPU_NS WALL_NS PAIRS" per phase, then
 * "held N".
 */
#include <pthread.h>
#include <stdint.h>

#include "workload.h"

#define SIZE_TABLE 4096 /* sizes drawn once per thread, then cycled */

/* Built with BENCH_NEW (bench_newdelete, linked with libstdc++), a pair is operator new +
 * operator delete, called by their mangled names. */
#ifdef BENCH_NEW
void *_Znwm(size_t size);
void _ZdlPv(void *block);
#define pair_alloc(size) _Znwm(size)
#define pair_free(block) _ZdlPv(block)
#else
#define pair_alloc(size) malloc(size)
#define pair_free(block) free(block)
#endif

struct bench_thread {
	pthread_t thread;
	double seconds;
	size_t ring_slots;	/* a power of two */
	pthread_barrier_t *start;
	uint64_t pairs;
	double elapsed_ns; /* wall */
	double cpu_ns;	   /* the thread's CPU time, user + kernel (probe handling included) */
};

static double env_number(const char *name, double fallback)
{
	const char *text = getenv(name);

	return text && *text ? atof(text) : fallback;
}

static double clock_ns(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Mostly small blocks, some medium, a few large (below glibc's mmap threshold). */
static void draw_sizes(uint32_t *sizes, uint64_t seed)
{
	for (int i = 0; i < SIZE_TABLE; i++) {
		uint32_t r;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		r = (uint32_t)seed;
		if (r % 100 < 70)
			sizes[i] = 16 + r % 113;
		else if (r % 100 < 95)
			sizes[i] = 129 + r % 896;
		else
			sizes[i] = 1025 + r % 15360;
	}
}

static void *run_pairs(void *arg)
{
	struct bench_thread *t = arg;
	uint32_t sizes[SIZE_TABLE];
	void **ring = calloc(t->ring_slots, sizeof(*ring));
	uint64_t i = 0;
	double start, start_cpu, deadline;

	draw_sizes(sizes, 0x9e3779b97f4a7c15ull ^ (uintptr_t)t);
	for (size_t s = 0; s < t->ring_slots; s++)
		ring[s] = pair_alloc(sizes[s % SIZE_TABLE]);
	pthread_barrier_wait(t->start);
	start = clock_ns(CLOCK_MONOTONIC);
	start_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	deadline = start + t->seconds * 1e9;
	for (;;) {
		for (int step = 0; step < 256; step++, i++) {
			size_t slot = i & (t->ring_slots - 1);

			pair_free(ring[slot]);
			ring[slot] = pair_alloc(sizes[i % SIZE_TABLE]);
			*(volatile char *)ring[slot] = 1;
		}
		if (clock_ns(CLOCK_MONOTONIC) >= deadline)
			break;
	}
	t->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - start_cpu;
	t->elapsed_ns = clock_ns(CLOCK_MONOTONIC) - start;
	t->pairs = i;
	for (size_t s = 0; s < t->ring_slots; s++)
		pair_free(ring[s]);
	free(ring);
	return NULL;
}

/* One phase: threads run pairs for the same time; sets the CPU and wall time a
 * pair takes in a thread, over all threads. */
static void run_phase(int threads, double seconds, size_t ring, double *cpu_ns, double *wall_ns,
		      uint64_t *pairs)
{
	struct bench_thread t[threads];
	pthread_barrier_t start;
	double elapsed_ns = 0, cpu_sum_ns = 0;

	memset(t, 0, sizeof(t));
	pthread_barrier_init(&start, NULL, threads);
	for (int i = 0; i < threads; i++) {
		t[i].seconds = seconds;
		t[i].ring_slots = ring;
		t[i].start = &start;
		pthread_create(&t[i].thread, NULL, run_pairs, &t[i]);
	}
	*pairs = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i].thread, NULL);
		elapsed_ns += t[i].elapsed_ns;
		cpu_sum_ns += t[i].cpu_ns;
		*pairs += t[i].pairs;
	}
	pthread_barrier_destroy(&start);
	*wall_ns = *pairs ? elapsed_ns / *pairs : 0;
	*cpu_ns = *pairs ? cpu_sum_ns / *pairs : 0;
}

int main(int argc, char **argv)
{
	const char *counts = getenv("BENCH_THREADS") ? getenv("BENCH_THREADS") : "1 2";
	int rounds = (int)env_number("BENCH_ROUNDS", 3);
	double seconds = env_number("BENCH_SECONDS", 0.5);
	size_t ring = (size_t)env_number("BENCH_RING", 1024), hold = env_number("BENCH_HOLD", 0);
	void **held = calloc(hold ? hold : 1, sizeof(*held));
	char path[1100];
	FILE *result;

	if (!held || ring == 0 || (ring & (ring - 1))) {
		fprintf(stderr, "bench_alloc: BENCH_RING must be a power of two\n");
		return 2;
	}
	workload_start(argc, argv);
	snprintf(path, sizeof(path), "%s/result", workload_dir);
	result = fopen(path, "w");
	if (!result) {
		perror(path);
		return 1;
	}
	for (int round = 0; round < rounds; round++) {
		for (const char *c = counts; *c;) {
			char *end;
			int threads = (int)strtol(c, &end, 10);
			uint64_t pairs;
			double cpu_ns, wall_ns;

			if (end == c)
				break;
			c = end;
			if (threads < 1 || threads > 64)
				continue;
			run_phase(threads, seconds, ring, &cpu_ns, &wall_ns, &pairs);
			fprintf(result, "phase %d %.1f %.1f %llu\n", threads, cpu_ns, wall_ns,
				(unsigned long long)pairs);
		}
	}
	for (size_t i = 0; i < hold; i++)
		held[i] = malloc(32);
	fprintf(result, "held %zu\n", hold);
	fclose(result);
	workload_touch("done");
	workload_wait("exit");
	return 0;
}
