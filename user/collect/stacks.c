// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stacks.c - interned call stacks and the per-stack totals.
 *
 * A stack is identified by its content (pid and return addresses), so every
 * event with the same stack lands on the same id however many times it is
 * seen; there is no stack-id map in the kernel that could collide.  Ids are
 * dense and stable for the session: other tables hold them.  At most
 * max_count stacks are kept; after that allocations go to HS_STACK_LOST and
 * the refusals are counted.
 */
#include "collect/stacks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "lib/hash.h"

/* Stacks and pooled frames a table starts with. */
#define STACKS_FIRST_CAPACITY 256

static bool same_stack(const struct hs_stack_table *table, const struct hs_stack *stack,
		       uint64_t hash, uint32_t pid, const uint64_t *frames, uint32_t frame_count)
{
	return stack->hash == hash && stack->pid == pid && stack->frame_count == frame_count &&
	       (frame_count == 0 ||
		memcmp(table->frame_pool + stack->frames_at, frames, frame_count * sizeof(*frames)) == 0);
}

static void index_place(struct hs_stack_table *table, uint32_t id)
{
	size_t mask = table->index_capacity - 1;
	size_t i = table->stacks[id].hash & mask;

	while (table->index[i])
		i = (i + 1) & mask;
	table->index[i] = id + 1;
}

static int index_grow(struct hs_stack_table *table)
{
	size_t capacity = table->index_capacity ? table->index_capacity * 2 : 1024;
	uint32_t *index = calloc(capacity, sizeof(*index));

	if (!index)
		return -ENOMEM;
	free(table->index);
	table->index = index;
	table->index_capacity = capacity;
	for (uint32_t id = 0; id < table->count; id++)
		index_place(table, id);
	return 0;
}

static int add_stack(struct hs_stack_table *table, uint64_t hash, uint32_t pid,
		     const uint64_t *frames, uint32_t frame_count, bool truncated)
{
	if (hs_array_reserve((void **)&table->stacks, &table->capacity, table->count,
			     sizeof(*table->stacks), STACKS_FIRST_CAPACITY) ||
	    hs_array_reserve_n((void **)&table->frame_pool, &table->pool_capacity,
			       table->pool_len + frame_count, sizeof(*table->frame_pool),
			       STACKS_FIRST_CAPACITY))
		return -ENOMEM;
	if ((table->count + 1) * 2 > table->index_capacity && index_grow(table))
		return -ENOMEM;
	if (frame_count) /* the empty stack (HS_STACK_LOST) has no pool yet to copy into */
		memcpy(table->frame_pool + table->pool_len, frames, frame_count * sizeof(*frames));
	table->stacks[table->count] = (struct hs_stack){
		.hash = hash,
		.frames_at = table->pool_len,
		.pid = pid,
		.frame_count = frame_count,
		.truncated = truncated,
	};
	table->pool_len += frame_count;
	index_place(table, table->count);
	return table->count++;
}

int hs_stacks_init(struct hs_stack_table *table, size_t max_count)
{
	memset(table, 0, sizeof(*table));
	table->max_count = max_count < 1 ? 1 : max_count;
	return add_stack(table, 0, 0, NULL, 0, false) < 0 ? -ENOMEM : 0; /* HS_STACK_LOST */
}

void hs_stacks_free(struct hs_stack_table *table)
{
	free(table->stacks);
	free(table->frame_pool);
	free(table->index);
	memset(table, 0, sizeof(*table));
}

uint32_t hs_stacks_intern(struct hs_stack_table *table, uint32_t pid, const uint64_t *frames,
			  uint32_t frame_count, bool truncated)
{
	uint64_t hash = hs_hash_words(((uint64_t)pid << 32) | frame_count, frames, frame_count);
	size_t mask = table->index_capacity - 1;
	int id;

	for (size_t i = hash & mask; table->index[i]; i = (i + 1) & mask) {
		const struct hs_stack *stack = &table->stacks[table->index[i] - 1];

		if (same_stack(table, stack, hash, pid, frames, frame_count))
			return table->index[i] - 1;
	}
	if (table->count >= table->max_count) {
		table->overflowed++;
		return HS_STACK_LOST;
	}
	id = add_stack(table, hash, pid, frames, frame_count, truncated);
	if (id < 0) {
		table->overflowed++;
		return HS_STACK_LOST;
	}
	return id;
}

const uint64_t *hs_stack_frames(const struct hs_stack_table *table, const struct hs_stack *stack)
{
	return table->frame_pool + stack->frames_at;
}

size_t hs_stacks_memory_bytes(const struct hs_stack_table *table)
{
	return table->capacity * sizeof(*table->stacks) +
	       table->pool_capacity * sizeof(*table->frame_pool) +
	       table->index_capacity * sizeof(*table->index);
}
