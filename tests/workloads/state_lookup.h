/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * state_lookup.h - the two frames of a workload that builds its state, then only serves
 * (early_growth.c, old_blocks.c): load_state(i) keeps a BLOCK_BYTES block in state[i],
 * lookup(i) allocates a KEY_BYTES temporary key and frees it.  The tests name their stacks
 * ("main;load_state", "main;lookup"), so both stay NOINLINE: real frames.
 */
#ifndef HEAPSCOPE_TEST_STATE_LOOKUP_H
#define HEAPSCOPE_TEST_STATE_LOOKUP_H

#include "workload.h"

#define STATE_MAX_BLOCKS 1024
#define BLOCK_BYTES	 (64 * 1024)
#define KEY_BYTES	 48

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile state[STATE_MAX_BLOCKS];

NOINLINE static void load_state(int i)
{
	state[i] = malloc(BLOCK_BYTES);
	memset(state[i], i, BLOCK_BYTES);
}

NOINLINE static void lookup(int i)
{
	char *key = malloc(KEY_BYTES);

	memset(key, i, KEY_BYTES);
	workload_sink = key;
	free(key);
}

#endif
