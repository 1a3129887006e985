/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_LIVE_H
#define HEAPSCOPE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/id_index.h"

/* One allocation that has not been freed yet, as the table hands it out: every
 * field exact, whatever the narrower form it is kept in (live.c). */
struct hs_live_block {
	uint64_t addr;
	uint64_t size;
	uint64_t ts_ns; /* when its allocation returned */
	uint32_t pid;
	uint32_t stack_id;
};

/* A block as its process's table keeps it: 24 bytes.  addr 0: an empty slot. */
struct hs_live_slot {
	uint64_t addr;
	uint64_t ts_ns;
	uint32_t size; /* HS_LIVE_SIZE_ELSEWHERE: the exact size is in the process's big[] */
	uint32_t stack_id;
};

/* size field of a block of UINT32_MAX bytes or more. */
#define HS_LIVE_SIZE_ELSEWHERE UINT32_MAX

/* The exact size of a block too big for a slot's 32 bits: a few at most, since each
 * takes 4 GiB of the process's address space. */
struct hs_live_big {
	uint64_t addr;
	uint64_t size;
};

/* One process's live blocks.  No pid per slot: a process has its own slots. */
struct hs_live_process {
	uint32_t pid;
	struct hs_live_slot *slots; /* mapped; capacity slots */
	size_t capacity;	    /* any number (not a power of two): grows by half */
	size_t count;
	struct hs_live_big *big;
	size_t big_count, big_capacity;
};

struct hs_live_table {
	struct hs_live_process *processes; /* in the order first seen */
	size_t process_count, process_capacity;
	struct hs_id_index process_index; /* processes by pid */
	size_t last_process;		  /* where the last lookup found its pid */
	size_t count;			  /* blocks, every process */
	size_t max_count;		  /* documented bound: --max-live */
};

int hs_live_init(struct hs_live_table *table, size_t max_count);
void hs_live_free(struct hs_live_table *table);
int hs_live_insert(struct hs_live_table *table, const struct hs_live_block *block,
		   struct hs_live_block *replaced);
bool hs_live_find(struct hs_live_table *table, uint32_t pid, uint64_t addr,
		  struct hs_live_block *found);
bool hs_live_remove(struct hs_live_table *table, uint32_t pid, uint64_t addr,
		    struct hs_live_block *removed);
size_t hs_live_memory_bytes(const struct hs_live_table *table);

/* Where a walk over the table is: hs_live_foreach's state. */
struct hs_live_cursor {
	size_t process, slot;
	struct hs_live_block block;
};

/* The next block after cursor (start from a zeroed cursor), decoded into cursor->block;
 * false after the last. */
bool hs_live_next(const struct hs_live_table *table, struct hs_live_cursor *cursor);

/*
 * Every live block, process by process, as a const struct hs_live_block *var that
 * holds only for one turn of the loop.  continue works; break only ends the turn (it
 * leaves the inner of two loops), so leave the loop with return instead.
 */
#define hs_live_foreach(table, var)                                                        \
	for (struct hs_live_cursor var##_cursor = { 0 }; hs_live_next((table), &var##_cursor);) \
		for (const struct hs_live_block *var = &var##_cursor.block; var; var = NULL)

#endif
