// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * free_sites.c - frees a probe placed past free's entry must all see, and
 * free(NULL) calls it must not count.
 *
 * The work phase makes PAIRS malloc+free pairs, keeps KEPT blocks and calls
 * free(NULL) NULLS times; nothing else allocates (workload.h writes its files
 * with system calls), so a session's counts are exact: the "counts" file says
 * how many allocations and frees heapscope must report.
 */
#include "workload.h"

#define PAIRS 5000
#define KEPT 300
#define NULLS 2000

void *kept[KEPT];		  /* not static: the compiler may not drop the mallocs */
static void *volatile no_block; /* NULL the compiler cannot see: free(NULL) stays a call */

NOINLINE static void free_pairs(void)
{
	for (int i = 0; i < PAIRS; i++) {
		workload_sink = malloc(8 + (i % 200) * 8);
		free(workload_sink);
	}
	workload_expect("free_pairs", 0, 0, "main;free_pairs");
}

NOINLINE static void free_null(void)
{
	for (int i = 0; i < NULLS; i++)
		free(no_block);
}

NOINLINE static void keep_blocks(void)
{
	unsigned long long bytes = 0;

	for (int i = 0; i < KEPT; i++) {
		kept[i] = malloc(40 + i);
		bytes += 40 + i;
	}
	workload_expect("keep_blocks", bytes, KEPT, "main;keep_blocks");
}

int main(int argc, char **argv)
{
	char counts[128];
	int len;

	workload_start(argc, argv);
	free_pairs();
	free_null();
	keep_blocks();
	len = snprintf(counts, sizeof(counts), "allocs %d frees %d\n", PAIRS + KEPT, PAIRS);
	workload_write("counts", counts, len);
	workload_finish();
	return 0;
}
