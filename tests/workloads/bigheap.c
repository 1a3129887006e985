// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bigheap.c - a large glibc heap for `make bench`: BIGHEAP_MIB (default 1024) MiB in blocks
 * of BIGHEAP_BLOCK bytes (default 512), every other one freed (free chunks that cannot
 * coalesce: a million of them for the defaults), then a steady malloc+free loop whose pace
 * is the target's speed while heapscope inspects it.
 *
 *   bigheap DIR     writes DIR/ready when the heap is built; then, every 100 ms, one line
 *                   "pace N" (loop iterations in that 100 ms) to stdout; exits on DIR/exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t mib = getenv("BIGHEAP_MIB") ? strtoul(getenv("BIGHEAP_MIB"), NULL, 10) : 1024;
	size_t block = getenv("BIGHEAP_BLOCK") ? strtoul(getenv("BIGHEAP_BLOCK"), NULL, 10) : 512;
	size_t count = (mib << 20) / block;
	char path[4096];
	void **blocks;
	FILE *ready;

	if (argc < 2 || !(blocks = malloc(count * sizeof(*blocks))))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < count; i++) {
		blocks[i] = malloc(block);
		memset(blocks[i], 1, block);
	}
	for (size_t i = 0; i < count; i += 2)
		free(blocks[i]);
	snprintf(path, sizeof(path), "%s/ready", argv[1]);
	ready = fopen(path, "w");
	if (!ready)
		return 2;
	fclose(ready);
	snprintf(path, sizeof(path), "%s/exit", argv[1]);
	for (;;) {
		double until = now_s() + 0.1;
		unsigned long iterations = 0;

		while (now_s() < until) {
			for (int i = 0; i < 100; i++) {
				void *p = malloc(64 + (iterations & 255));

				*(volatile char *)p = 1;
				free(p);
			}
			iterations++;
		}
		printf("pace %lu\n", iterations);
		if (access(path, F_OK) == 0)
			return 0;
	}
}
