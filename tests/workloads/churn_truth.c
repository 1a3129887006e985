// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * churn_truth.c - allocation churn whose every call is known, so the truth is
 * exact however long it runs and whenever a profiler attaches or detaches
 * elsewhere.
 *
 * Each thread goes round: a 4 MiB block, a small fence right after it, the
 * block reallocated to 6 MiB (the fence keeps it from growing in place, so
 * realloc copies it: most of a round is spent inside realloc), then the block
 * is freed; the first rounds keep their fence and a small reallocated block.
 * At any instant a call is likely in flight.
 *
 * Handshake (workload.h), extended: after "go" the threads churn; "churning"
 * appears once each has done a round; they stop at "stop".  Then, besides
 * "truth" (what stays live, by function), "counts" says
 *   ALLOC_COUNT ALLOC_BYTES
 * for every block handed out since "go" (malloc, and realloc returning a
 * block), as heapscope counts allocations.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "workload.h"

#define THREADS 2
#define BIG_BYTES (4u << 20)
#define BIGGER_BYTES (6u << 20)
#define FENCE_BYTES 64u
#define SMALL_BYTES 32u
#define GROWN_BYTES 48u
#define KEPT_ROUNDS 200 /* rounds per thread that keep their fence and grown block */

struct churn {
	pthread_t thread;
	unsigned long long alloc_count, alloc_bytes;
	void *kept[2 * KEPT_ROUNDS];
	size_t kept_rounds;
	atomic_bool went_round;
};

static struct churn churns[THREADS];
static atomic_bool started, stopping;

NOINLINE static void *new_block(struct churn *c, size_t size)
{
	void *p = malloc(size);

	c->alloc_count++;
	c->alloc_bytes += size;
	return p;
}

NOINLINE static void *resize_block(struct churn *c, void *p, size_t size)
{
	p = realloc(p, size);
	c->alloc_count++;
	c->alloc_bytes += size;
	return p;
}

NOINLINE static void churn_round(struct churn *c)
{
	char *big = new_block(c, BIG_BYTES);
	char *fence = new_block(c, FENCE_BYTES);

	big = resize_block(c, big, BIGGER_BYTES);
	if (c->kept_rounds < KEPT_ROUNDS) {
		c->kept[2 * c->kept_rounds] = fence;
		c->kept[2 * c->kept_rounds + 1] =
			resize_block(c, new_block(c, SMALL_BYTES), GROWN_BYTES);
		c->kept_rounds++;
	} else {
		free(fence);
	}
	free(big);
}

NOINLINE static void *churn(void *arg)
{
	struct churn *c = arg;
	struct timespec nap = { 0, 1000 * 1000 };

	while (!atomic_load(&started))
		nanosleep(&nap, NULL);
	while (!atomic_load(&stopping)) {
		churn_round(c);
		atomic_store(&c->went_round, true);
		nanosleep(&nap, NULL); /* leave the CPU to the others now and then */
	}
	return NULL;
}

static bool every_thread_went_round(void)
{
	for (int t = 0; t < THREADS; t++)
		if (!atomic_load(&churns[t].went_round))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	unsigned long long kept = 0, alloc_count = 0, alloc_bytes = 0;
	char counts[64];

	/* Blocks this large are mmap()ed by default, and realloc moves those with
	 * mremap, without copying: keep them in the heap. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	/* Threads first: creating one allocates (its TLS), before anything is counted. */
	for (int t = 0; t < THREADS; t++)
		pthread_create(&churns[t].thread, NULL, churn, &churns[t]);
	workload_start(argc, argv);
	atomic_store(&started, true);
	while (!every_thread_went_round())
		workload_nap_ms(1);
	workload_touch("churning");
	workload_wait("stop");
	atomic_store(&stopping, true);
	for (int t = 0; t < THREADS; t++) {
		pthread_join(churns[t].thread, NULL);
		kept += churns[t].kept_rounds;
		alloc_count += churns[t].alloc_count;
		alloc_bytes += churns[t].alloc_bytes;
	}
	workload_expect("new_block", kept * FENCE_BYTES, kept, "churn;churn_round;new_block");
	workload_expect("resize_block", kept * GROWN_BYTES, kept, "churn;churn_round;resize_block");
	snprintf(counts, sizeof(counts), "%llu %llu\n", alloc_count, alloc_bytes);
	workload_write("counts", counts, strlen(counts));
	workload_finish();
	return 0;
}
