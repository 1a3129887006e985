// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * live.c - the table of live allocations: (pid, address) -> size, stack, time.
 *
 * One open-addressing table per process, linear probing with backward-shift
 * deletion, so there are no tombstones and a lookup never scans more than the
 * cluster it hashes into.  Never more than max_count blocks over all
 * processes: past that an insert fails with -ENOSPC and the caller counts it.
 *
 * Memory (issue 16: at most 64 bytes of heapscope's RSS a live block):
 * - A slot is 24 bytes.  The pid is the table's (a process has its own
 *   slots); the time stays 64-bit ns, since record_realloc compares it with a
 *   realloc's entry time to the nanosecond and the ages and --min-age read it;
 *   the size takes 32 bits, and a block of UINT32_MAX bytes or more keeps
 *   HS_LIVE_SIZE_ELSEWHERE there and its exact size in the process's big[]
 *   (searched linearly: each such block takes 4 GiB of address space).
 * - A table grows by half (any capacity: a slot is found by multiplying the
 *   hash, not masking it) when it would pass 3/4 full, so it is 1/2 to 3/4
 *   full: 32 to 48 bytes a block.  Doubling at 70% left tables 35% full just
 *   after growing (68 bytes a block at 32 bytes a slot).  While it grows, the
 *   old and new slots are both held (2.5 times the old) for one rehash.
 * - Slots are mapped, not malloc()ed: glibc raises its mmap threshold to the
 *   size of each large block freed, so the tables a growing table left behind
 *   were taken from and kept in the heap (121 bytes of RSS a live block at
 *   200,000 blocks, 84 of them the table's own).  A mapping goes back to the
 *   kernel whole.
 *
 * Not the shared id index (lib/id_index.c): every free deletes, which that
 * index never does, and blocks sit in the slots themselves (no id, no second
 * array to chase per event).  Processes are found through one (few of them).
 */
#include "collect/live.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/array.h"
#include "lib/hash.h"
#include "lib/id_index.h"

/* A process's first slots: one page. */
#define FIRST_TABLE_BYTES 4096
#define FIRST_PROCESSES 4

/* The bytes of capacity slots, rounded up to whole pages. */
static size_t mapped_bytes(size_t capacity)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (capacity * sizeof(struct hs_live_slot) + page - 1) / page * page;
}

/* Zeroed (empty) slots, as many as fill the pages that at least *capacity slots need;
 * *capacity becomes that number.  NULL when the kernel has no memory. */
static struct hs_live_slot *map_slots(size_t *capacity)
{
	size_t bytes = mapped_bytes(*capacity);
	void *slots = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (slots == MAP_FAILED)
		return NULL;
	*capacity = bytes / sizeof(struct hs_live_slot);
	return slots;
}

static void unmap_slots(struct hs_live_slot *slots, size_t capacity)
{
	if (slots)
		munmap(slots, mapped_bytes(capacity));
}

/* The home slot of addr: the hash scaled to the capacity (Lemire's multiply-shift). */
static size_t home_of(const struct hs_live_process *p, uint64_t addr)
{
	return (size_t)(((unsigned __int128)hs_hash64(addr) * p->capacity) >> 64);
}

static size_t next_slot(const struct hs_live_process *p, size_t i)
{
	return i + 1 == p->capacity ? 0 : i + 1;
}

/* Slots from a to b going forward, around the end. */
static size_t forward_distance(const struct hs_live_process *p, size_t a, size_t b)
{
	return b >= a ? b - a : b + p->capacity - a;
}

static bool process_matches(const void *owner, uint32_t id, const void *key)
{
	return ((const struct hs_live_table *)owner)->processes[id].pid == *(const uint32_t *)key;
}

static uint64_t process_hash(const void *owner, uint32_t id)
{
	return hs_hash64(((const struct hs_live_table *)owner)->processes[id].pid);
}

static struct hs_live_process *find_process(struct hs_live_table *table, uint32_t pid)
{
	uint32_t id;

	if (table->last_process < table->process_count &&
	    table->processes[table->last_process].pid == pid)
		return &table->processes[table->last_process];
	if (!hs_id_index_find(&table->process_index, hs_hash64(pid), process_matches, table, &pid,
			      &id))
		return NULL;
	table->last_process = id;
	return &table->processes[id];
}

static struct hs_live_process *add_process(struct hs_live_table *table, uint32_t pid)
{
	struct hs_live_process p = { .pid = pid, .capacity = FIRST_TABLE_BYTES / sizeof(*p.slots) };

	if (hs_array_reserve((void **)&table->processes, &table->process_capacity,
			     table->process_count, sizeof(*table->processes), FIRST_PROCESSES))
		return NULL;
	p.slots = map_slots(&p.capacity);
	if (!p.slots)
		return NULL;
	/* In the array first: the index asks for the hash of ids it moves. */
	table->processes[table->process_count] = p;
	if (hs_id_index_insert(&table->process_index, hs_hash64(pid), table->process_count,
			       process_hash, table)) {
		unmap_slots(p.slots, p.capacity);
		return NULL;
	}
	table->last_process = table->process_count++;
	return &table->processes[table->last_process];
}

int hs_live_init(struct hs_live_table *table, size_t max_count)
{
	memset(table, 0, sizeof(*table));
	table->max_count = max_count;
	return 0;
}

void hs_live_free(struct hs_live_table *table)
{
	for (size_t i = 0; i < table->process_count; i++) {
		unmap_slots(table->processes[i].slots, table->processes[i].capacity);
		free(table->processes[i].big);
	}
	free(table->processes);
	hs_id_index_free(&table->process_index);
	memset(table, 0, sizeof(*table));
}

static struct hs_live_slot *find_slot(const struct hs_live_process *p, uint64_t addr)
{
	for (size_t i = home_of(p, addr); p->slots[i].addr; i = next_slot(p, i))
		if (p->slots[i].addr == addr)
			return &p->slots[i];
	return NULL;
}

static struct hs_live_big *find_big(const struct hs_live_process *p, uint64_t addr)
{
	for (size_t i = 0; i < p->big_count; i++)
		if (p->big[i].addr == addr)
			return &p->big[i];
	return NULL; /* not reached while the slot says HS_LIVE_SIZE_ELSEWHERE */
}

static void decode(const struct hs_live_process *p, const struct hs_live_slot *slot,
		   struct hs_live_block *block)
{
	*block = (struct hs_live_block){
		.addr = slot->addr,
		.size = slot->size,
		.ts_ns = slot->ts_ns,
		.pid = p->pid,
		.stack_id = slot->stack_id,
	};
	if (slot->size == HS_LIVE_SIZE_ELSEWHERE)
		block->size = find_big(p, slot->addr)->size;
}

/* Forget the big[] entry of a slot that had one. */
static void drop_big(struct hs_live_process *p, const struct hs_live_slot *slot)
{
	struct hs_live_big *big;

	if (slot->size != HS_LIVE_SIZE_ELSEWHERE)
		return;
	big = find_big(p, slot->addr);
	*big = p->big[--p->big_count];
}

/* Record the exact size of a block too big for a slot, before the slot says so. */
static int keep_big(struct hs_live_process *p, uint64_t addr, uint64_t size)
{
	struct hs_live_big *big = find_big(p, addr);

	if (!big) {
		if (hs_array_reserve((void **)&p->big, &p->big_capacity, p->big_count,
				     sizeof(*p->big), 1))
			return -ENOMEM;
		big = &p->big[p->big_count++];
	}
	*big = (struct hs_live_big){ .addr = addr, .size = size };
	return 0;
}

static struct hs_live_slot slot_of(const struct hs_live_block *block)
{
	return (struct hs_live_slot){
		.addr = block->addr,
		.ts_ns = block->ts_ns,
		.size = block->size >= HS_LIVE_SIZE_ELSEWHERE ? HS_LIVE_SIZE_ELSEWHERE
							      : (uint32_t)block->size,
		.stack_id = block->stack_id,
	};
}

static void place(struct hs_live_process *p, const struct hs_live_slot *slot)
{
	size_t i = home_of(p, slot->addr);

	while (p->slots[i].addr)
		i = next_slot(p, i);
	p->slots[i] = *slot;
}

static int grow(struct hs_live_process *p)
{
	struct hs_live_process old = *p;

	p->capacity = old.capacity + old.capacity / 2;
	p->slots = map_slots(&p->capacity);
	if (!p->slots) {
		*p = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < old.capacity; i++)
		if (old.slots[i].addr)
			place(p, &old.slots[i]);
	unmap_slots(old.slots, old.capacity);
	return 0;
}

bool hs_live_find(struct hs_live_table *table, uint32_t pid, uint64_t addr,
		  struct hs_live_block *found)
{
	struct hs_live_process *p = find_process(table, pid);
	struct hs_live_slot *slot = p ? find_slot(p, addr) : NULL;

	if (slot)
		decode(p, slot, found);
	return slot != NULL;
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
	struct hs_live_slot slot = slot_of(block), *existing;
	struct hs_live_process *p;

	if (!block->addr)
		return -EINVAL;
	p = find_process(table, block->pid);
	existing = p ? find_slot(p, block->addr) : NULL;
	if (existing) {
		decode(p, existing, replaced); /* before keep_big rewrites a big size */
		if (slot.size == HS_LIVE_SIZE_ELSEWHERE && keep_big(p, block->addr, block->size))
			return -ENOMEM;
		if (slot.size != HS_LIVE_SIZE_ELSEWHERE)
			drop_big(p, existing);
		*existing = slot;
		return 1;
	}
	if (table->count >= table->max_count)
		return -ENOSPC;
	if (!p)
		p = add_process(table, block->pid);
	if (!p)
		return -ENOMEM;
	if ((p->count + 1) * 4 > p->capacity * 3 && grow(p))
		return -ENOMEM;
	if (slot.size == HS_LIVE_SIZE_ELSEWHERE && keep_big(p, block->addr, block->size))
		return -ENOMEM;
	place(p, &slot);
	p->count++;
	table->count++;
	return 0;
}

bool hs_live_remove(struct hs_live_table *table, uint32_t pid, uint64_t addr,
		    struct hs_live_block *removed)
{
	struct hs_live_process *p = find_process(table, pid);
	struct hs_live_slot *slot = p ? find_slot(p, addr) : NULL;
	size_t hole, i;

	if (!slot)
		return false;
	decode(p, slot, removed);
	drop_big(p, slot);
	hole = slot - p->slots;
	/* Backward shift: pull later members of the cluster into the hole when their
	 * home slot does not lie (cyclically) between the hole and where they sit. */
	for (i = next_slot(p, hole); p->slots[i].addr; i = next_slot(p, i)) {
		size_t home = home_of(p, p->slots[i].addr);

		if (forward_distance(p, home, i) >= forward_distance(p, hole, i)) {
			p->slots[hole] = p->slots[i];
			hole = i;
		}
	}
	p->slots[hole].addr = 0;
	p->count--;
	table->count--;
	return true;
}

bool hs_live_next(const struct hs_live_table *table, struct hs_live_cursor *cursor)
{
	for (; cursor->process < table->process_count; cursor->process++, cursor->slot = 0) {
		const struct hs_live_process *p = &table->processes[cursor->process];

		while (cursor->slot < p->capacity) {
			const struct hs_live_slot *slot = &p->slots[cursor->slot++];

			if (slot->addr) {
				decode(p, slot, &cursor->block);
				return true;
			}
		}
	}
	return false;
}

size_t hs_live_memory_bytes(const struct hs_live_table *table)
{
	size_t bytes = table->process_capacity * sizeof(*table->processes) +
		       hs_id_index_memory_bytes(&table->process_index);

	for (size_t i = 0; i < table->process_count; i++)
		bytes += mapped_bytes(table->processes[i].capacity) +
			 table->processes[i].big_capacity * sizeof(struct hs_live_big);
	return bytes;
}
