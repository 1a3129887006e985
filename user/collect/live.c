// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * live.c - the table of live allocations: (pid, address) -> size, stack, time.
 *
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones and a lookup never scans more than the cluster it hashes
 * into.  The table doubles at 70% load and never holds more than max_count
 * blocks: past that an insert fails with -ENOSPC and the caller counts it.
 * 32 bytes a block.
 *
 * Not the shared id index (lib/id_index.c): every free deletes, which that
 * index never does, and blocks sit in the slots themselves (no id, no second
 * array to chase per event), so lookup, insert and backward shift stay here.
 */
#include "collect/live.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"

#define INITIAL_CAPACITY 4096

static size_t slot_of(const struct hs_live_table *table, uint32_t pid, uint64_t addr)
{
	return hs_hash64(addr ^ ((uint64_t)pid << 48)) & (table->capacity - 1);
}

int hs_live_init(struct hs_live_table *table, size_t max_count)
{
	memset(table, 0, sizeof(*table));
	table->slots = calloc(INITIAL_CAPACITY, sizeof(*table->slots));
	if (!table->slots)
		return -ENOMEM;
	table->capacity = INITIAL_CAPACITY;
	table->max_count = max_count;
	return 0;
}

void hs_live_free(struct hs_live_table *table)
{
	free(table->slots);
	memset(table, 0, sizeof(*table));
}

static void place(struct hs_live_table *table, const struct hs_live_block *block)
{
	size_t i = slot_of(table, block->pid, block->addr);

	while (table->slots[i].addr)
		i = (i + 1) & (table->capacity - 1);
	table->slots[i] = *block;
}

static int grow(struct hs_live_table *table)
{
	struct hs_live_block *old = table->slots;
	size_t old_capacity = table->capacity;

	table->slots = calloc(old_capacity * 2, sizeof(*table->slots));
	if (!table->slots) {
		table->slots = old;
		return -ENOMEM;
	}
	table->capacity = old_capacity * 2;
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i].addr)
			place(table, &old[i]);
	free(old);
	return 0;
}

struct hs_live_block *hs_live_find(struct hs_live_table *table, uint32_t pid, uint64_t addr)
{
	size_t i = slot_of(table, pid, addr);

	for (; table->slots[i].addr; i = (i + 1) & (table->capacity - 1))
		if (table->slots[i].addr == addr && table->slots[i].pid == pid)
			return &table->slots[i];
	return NULL;
}

/*
 * Insert a block.  Returns 1 when a block was already live at that address (its
 * free was never seen: it is copied to *replaced and overwritten), 0 for a new
 * block, -ENOSPC when the table is at max_count, -ENOMEM, or -EINVAL for
 * address 0, which would read as an empty slot and be lost while counted.
 */
int hs_live_insert(struct hs_live_table *table, const struct hs_live_block *block,
		   struct hs_live_block *replaced)
{
	struct hs_live_block *existing;

	if (!block->addr)
		return -EINVAL;
	existing = hs_live_find(table, block->pid, block->addr);
	if (existing) {
		*replaced = *existing;
		*existing = *block;
		return 1;
	}
	if (table->count >= table->max_count)
		return -ENOSPC;
	if ((table->count + 1) * 10 > table->capacity * 7 && grow(table))
		return -ENOMEM;
	place(table, block);
	table->count++;
	return 0;
}

bool hs_live_remove(struct hs_live_table *table, uint32_t pid, uint64_t addr,
		    struct hs_live_block *removed)
{
	struct hs_live_block *slot = hs_live_find(table, pid, addr);
	size_t mask = table->capacity - 1, hole, i;

	if (!slot)
		return false;
	*removed = *slot;
	hole = slot - table->slots;
	/* Backward shift: pull later members of the cluster into the hole when their
	 * home slot does not lie (cyclically) between the hole and where they sit. */
	for (i = (hole + 1) & mask; table->slots[i].addr; i = (i + 1) & mask) {
		size_t home = slot_of(table, table->slots[i].pid, table->slots[i].addr);

		if (((i - home) & mask) >= ((i - hole) & mask)) {
			table->slots[hole] = table->slots[i];
			hole = i;
		}
	}
	table->slots[hole].addr = 0;
	table->count--;
	return true;
}

size_t hs_live_memory_bytes(const struct hs_live_table *table)
{
	return table->capacity * sizeof(*table->slots);
}
