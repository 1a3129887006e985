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
#include "lib/id_index.h"

/* Stacks and pooled frames a table starts with. */
#define STACKS_FIRST_CAPACITY 256

/* What a stack is interned by. */
struct stack_key {
	uint64_t hash;
	uint32_t pid;
	uint32_t frame_count;
	const uint64_t *frames;
};

static bool stack_matches(const void *owner, uint32_t id, const void *key)
{
	const struct hs_stack_table *table = owner;
	const struct hs_stack *stack = &table->stacks[id];
	const struct stack_key *k = key;

	return stack->hash == k->hash && stack->pid == k->pid &&
	       stack->frame_count == k->frame_count &&
	       (k->frame_count == 0 || memcmp(table->frame_pool + stack->frames_at, k->frames,
					      k->frame_count * sizeof(*k->frames)) == 0);
}

static uint64_t stack_hash(const void *owner, uint32_t id)
{
	const struct hs_stack_table *table = owner;

	return table->stacks[id].hash;
}

static int add_stack(struct hs_stack_table *table, const struct stack_key *key, bool truncated)
{
	if (hs_array_reserve((void **)&table->stacks, &table->capacity, table->count,
			     sizeof(*table->stacks), STACKS_FIRST_CAPACITY) ||
	    hs_array_reserve_n((void **)&table->frame_pool, &table->pool_capacity,
			       table->pool_len + key->frame_count, sizeof(*table->frame_pool),
			       STACKS_FIRST_CAPACITY) ||
	    hs_id_index_insert(&table->index, key->hash, table->count, stack_hash, table))
		return -ENOMEM;
	if (key->frame_count) /* the empty stack (HS_STACK_LOST) has no pool yet to copy into */
		memcpy(table->frame_pool + table->pool_len, key->frames,
		       key->frame_count * sizeof(*key->frames));
	table->stacks[table->count] = (struct hs_stack){
		.hash = key->hash,
		.frames_at = table->pool_len,
		.pid = key->pid,
		.frame_count = key->frame_count,
		.truncated = truncated,
	};
	table->pool_len += key->frame_count;
	return table->count++;
}

int hs_stacks_init(struct hs_stack_table *table, size_t max_count)
{
	struct stack_key lost = { 0 }; /* HS_STACK_LOST: pid 0, no frames, hash 0 */

	memset(table, 0, sizeof(*table));
	table->max_count = max_count < 1 ? 1 : max_count;
	return add_stack(table, &lost, false) < 0 ? -ENOMEM : 0;
}

void hs_stacks_free(struct hs_stack_table *table)
{
	free(table->stacks);
	free(table->frame_pool);
	hs_id_index_free(&table->index);
	memset(table, 0, sizeof(*table));
}

uint32_t hs_stacks_intern(struct hs_stack_table *table, uint32_t pid, const uint64_t *frames,
			  uint32_t frame_count, bool truncated)
{
	struct stack_key key = {
		.hash = hs_hash_words(((uint64_t)pid << 32) | frame_count, frames, frame_count),
		.pid = pid,
		.frame_count = frame_count,
		.frames = frames,
	};
	uint32_t found;
	int id;

	if (hs_id_index_find(&table->index, key.hash, stack_matches, table, &key, &found))
		return found;
	if (table->count >= table->max_count) {
		table->overflowed++;
		return HS_STACK_LOST;
	}
	id = add_stack(table, &key, truncated);
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
	       hs_id_index_memory_bytes(&table->index);
}
