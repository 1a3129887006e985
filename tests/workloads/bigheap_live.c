// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bigheap_live.c - a large live heap for the leak check's cost and its pause bound.
 *
 * BIGHEAP_MIB (default 1024) MiB in 1 KiB blocks, written through (resident), each holding a
 * pointer to the one before and non-pointer words; one block in 64 is left out of the chain
 * (unreachable).  Writes "ready" with the truth line "BLOCKS LEAKED_BLOCKS", waits for
 * "exit".
 */
#include <stdint.h>

#include "workload.h"

#define BLOCK_BYTES 1024

void **g_last; /* global: the chain's root */

int main(int argc, char **argv)
{
	const char *mib_text = getenv("BIGHEAP_MIB");
	uint64_t mib = mib_text ? strtoull(mib_text, NULL, 10) : 1024;
	uint64_t blocks = mib * 1024 * 1024 / BLOCK_BYTES, leaked = 0;
	char line[64];
	int len;

	if (argc < 2)
		return 2;
	snprintf(workload_dir, sizeof(workload_dir), "%s", argv[1]);
	for (uint64_t i = 0; i < blocks; i++) {
		uint64_t *b = malloc(BLOCK_BYTES - 8); /* a 1 KiB chunk */

		for (size_t w = 1; w < (BLOCK_BYTES - 8) / 8; w++)
			b[w] = i * 0x9E3779B97F4A7C15ull + w; /* not pointers (mostly) */
		if (i % 64 == 63) {
			leaked++;
			b[0] = 0;
			continue;
		}
		b[0] = (uint64_t)(uintptr_t)g_last;
		g_last = (void **)b;
	}
	len = snprintf(line, sizeof(line), "%llu %llu\n", (unsigned long long)blocks,
		       (unsigned long long)leaked);
	workload_write("truth", line, len);
	workload_touch("ready");
	workload_wait("exit");
	return 0;
}
