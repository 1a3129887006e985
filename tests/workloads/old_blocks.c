// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * old_blocks.c - a process that rebuilds its state right after the session
 * starts: OLD_BLOCKS (64) blocks of 64 KiB are allocated before attach; once
 * the phase begins they are freed (unknown frees: heapscope never saw them
 * allocated) and NEW_BLOCKS (environment; 64 by default) new ones of the same size
 * allocated at once (a step between two points, however loaded the machine), then
 * only lookups with a temporary key until the phase (PHASE_S) ends.  NEW_BLOCKS=64: the rise only replaces the old blocks
 * (stable); NEW_BLOCKS=192: 8 MiB more than was freed (bounded, grown in a step).
 *
 * Writes old_usable: the old blocks' bytes as glibc tells them (malloc_usable_size,
 * summed), what heapscope's unknown_free_bytes must equal.
 */
#include <malloc.h>

#include "state_lookup.h"

#define OLD_BLOCKS 64

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile old_state[OLD_BLOCKS];

NOINLINE static void load_old_state(int i)
{
	old_state[i] = malloc(BLOCK_BYTES);
	memset(old_state[i], i, BLOCK_BYTES);
}

int main(int argc, char **argv)
{
	const char *text = getenv("NEW_BLOCKS");
	int new_blocks = text ? atoi(text) : OLD_BLOCKS;
	unsigned long long old_usable = 0;
	double start, phase;
	char line[64];

	if (new_blocks < 0 || new_blocks > STATE_MAX_BLOCKS)
		return 2;
	for (int i = 0; i < OLD_BLOCKS; i++) {
		load_old_state(i);
		old_usable += malloc_usable_size(old_state[i]);
	}
	workload_start(argc, argv);
	start = workload_now_s();
	phase = workload_phase_s();
	for (int i = 0; i < OLD_BLOCKS || i < new_blocks; i++) {
		if (i < OLD_BLOCKS)
			free(old_state[i]);
		if (i < new_blocks)
			load_state(i);
	}
	for (int i = 0; workload_now_s() - start < phase; i++) {
		lookup(i);
		workload_nap_ms(10);
	}
	workload_expect("load_state", (unsigned long long)new_blocks * BLOCK_BYTES, new_blocks,
			"main;load_state");
	workload_expect("lookup", 0, 0, "main;lookup");
	workload_write("old_usable", line, snprintf(line, sizeof(line), "%llu\n", old_usable));
	workload_finish();
	return 0;
}
