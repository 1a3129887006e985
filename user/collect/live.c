// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * live.c - the table of live allocations: (pid, address) -> size, stack, time.
 *
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones and a lookup never scans more than the cluster it hashes
 * into.  The table doubles at 70% load and never holds more than max_count
 * blocks: past that an insert fails with -ENOSPC and the caller counts it.
 * 32 bytes a slot.
 *
 * The slots are mapped, not malloc()ed: glibc raises its mmap threshold to
 * the size of each large block freed, so the tables a growing table leaves
 * behind were taken from and kept in the heap (121 bytes of RSS a live block
 * at 200,000 blocks against 84 for the table alone).  A mapping is returned
 * whole to the kernel on growth.
 */
#include "collect/live.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/hash.h"

#define INITIAL_CAPACITY 4096

static size_t slot_of(const struct hs_live_table *table, uint32_t pid, uint64_t addr)
{
	return hs_hash64(addr ^ ((uint64_t)pid << 48)) & (table->capacity - 1);
}

/* capacity zeroed slots (empty), or NULL. */
static struct hs_live_block *map_slots(size_t capacity)
{
	void *slots = mmap(NULL, capacity * sizeof(struct hs_live_block), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return slots == MAP_FAILED ? NULL : slots;
}

static void unmap_slots(struct hs_live_block *slots, size_t capacity)
{
	if (slots)
		munmap(slots, capacity * sizeof(*slots));
}

int hs_live_init(struct hs_live_table *table, size_t max_count)
{
	memset(table, 0, sizeof(*table));
	table->slots = map_slots(INITIAL_CAPACITY);
	if (!table->slots)
		return -ENOMEM;
	table->capacity = INITIAL_CAPACITY;
	table->max_count = max_count;
	return 0;
}

void hs_live_free(struct hs_live_table *table)
{
	unmap_slots(table->slots, table->capacity);
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

	table->slots = map_slots(old_capacity * 2);
	if (!table->slots) {
		table->slots = old;
		return -ENOMEM;
	}
	table->capacity = old_capacity * 2;
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i].addr)
			place(table, &old[i]);
	unmap_slots(old, old_capacity);
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
