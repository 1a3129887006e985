/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_STACKS_H
#define HEAPSCOPE_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/id_index.h"

/* Stack id 0: allocations whose stack could not be kept (table full). */
#define HS_STACK_LOST 0u

/* One distinct (pid, call stack) and what was allocated through it. */
struct hs_stack {
	uint64_t hash;
	size_t frames_at; /* index of frames[0] in the table's frame pool */
	uint32_t pid;
	uint32_t frame_count;
	bool truncated;
	uint64_t live_bytes;
	uint64_t live_count;
	uint64_t alloc_bytes; /* every allocation over the session */
	uint64_t alloc_count;
};

struct hs_stack_table {
	struct hs_stack *stacks;
	size_t count, capacity, max_count;
	uint64_t *frame_pool; /* return addresses, leaf first per stack */
	size_t pool_len, pool_capacity;
	struct hs_id_index index; /* stack ids by content */
	uint64_t overflowed; /* interns refused because max_count was reached */
};

int hs_stacks_init(struct hs_stack_table *table, size_t max_count);
void hs_stacks_free(struct hs_stack_table *table);
uint32_t hs_stacks_intern(struct hs_stack_table *table, uint32_t pid, const uint64_t *frames,
			  uint32_t frame_count, bool truncated);
const uint64_t *hs_stack_frames(const struct hs_stack_table *table, const struct hs_stack *stack);
size_t hs_stacks_memory_bytes(const struct hs_stack_table *table);

#endif
