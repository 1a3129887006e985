// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * churn_checked.c - two threads of allocation churn that check their own data.
 *
 * Each thread keeps a ring of live blocks of mixed sizes (malloc, calloc,
 * realloc), fills each with a pattern derived from (thread, slot, generation)
 * and verifies the pattern before freeing it.  If anything watching the process
 * corrupted memory, registers or control flow, a check fails or the process
 * dies.  Runs until the "exit" file appears, then writes "result":
 *   OPERATIONS CORRUPTIONS
 * and exits 1 if any block was corrupted.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "workload.h"

#define RING 512
#define THREADS 2

struct block {
	unsigned char *data;
	size_t size;
	uint32_t generation;
};

static atomic_ulong operations, corruptions;
static atomic_int stop;

static unsigned char pattern(int thread, int slot, uint32_t generation, size_t i)
{
	return (unsigned char)(thread * 131 + slot * 17 + generation * 7 + i);
}

static void fill(struct block *b, int thread, int slot)
{
	for (size_t i = 0; i < b->size; i++)
		b->data[i] = pattern(thread, slot, b->generation, i);
}

static void verify(const struct block *b, int thread, int slot)
{
	for (size_t i = 0; i < b->size; i++) {
		if (b->data[i] != pattern(thread, slot, b->generation, i)) {
			atomic_fetch_add(&corruptions, 1);
			return;
		}
	}
}

static void *churn(void *arg)
{
	int thread = (int)(intptr_t)arg;
	struct block ring[RING] = { 0 };
	uint32_t seed = 12345 + thread, generation = 0;
	struct timespec pause = { 0, 50 * 1000 };

	for (unsigned long n = 0; !atomic_load(&stop); n++) {
		int slot = n % RING;
		struct block *b = &ring[slot];
		size_t size;

		seed = seed * 1103515245 + 12345;
		size = 16 + (seed >> 8) % 4096;
		if (b->data) {
			verify(b, thread, slot);
			if (seed & 0x10000) { /* keep the data, grow or shrink the block */
				unsigned char *moved = realloc(b->data, size);
				size_t kept = size < b->size ? size : b->size;

				for (size_t i = 0; i < kept && moved; i++)
					if (moved[i] != pattern(thread, slot, b->generation, i)) {
						atomic_fetch_add(&corruptions, 1);
						break;
					}
				b->data = moved;
			} else {
				free(b->data);
				b->data = (seed & 0x20000) ? calloc(1, size) : malloc(size);
			}
		} else {
			b->data = malloc(size);
		}
		b->size = size;
		b->generation = ++generation;
		fill(b, thread, slot);
		atomic_fetch_add(&operations, 1);
		if (n % 64 == 0)
			nanosleep(&pause, NULL);
	}
	for (int slot = 0; slot < RING; slot++) {
		if (ring[slot].data)
			verify(&ring[slot], thread, slot);
		free(ring[slot].data);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[THREADS];
	char path[1100];
	FILE *result;

	workload_start(argc, argv);
	for (int t = 0; t < THREADS; t++)
		pthread_create(&threads[t], NULL, churn, (void *)(intptr_t)t);
	workload_wait("exit");
	atomic_store(&stop, 1);
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	snprintf(path, sizeof(path), "%s/result", workload_dir);
	result = fopen(path, "w");
	if (!result)
		return 2;
	fprintf(result, "%lu %lu\n", atomic_load(&operations), atomic_load(&corruptions));
	fclose(result);
	return atomic_load(&corruptions) ? 1 : 0;
}
