// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_live.c - the live table (user/collect/live.c): insert, find, remove, blocks
 * replaced at a live address, backward-shift deletion inside collision
 * clusters (including ones that wrap around the end of the slot array),
 * growth by half (load between 1/2 and 3/4), sizes too big for a slot's 32
 * bits, many processes at the same addresses, and the max_count bound; then
 * many random operations compared with a plain reference model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/hash.h"
#include "collect/live.h"

/* A process's slots, or NULL. */
static struct hs_live_process *process_of(struct hs_live_table *table, uint32_t pid)
{
	for (size_t i = 0; i < table->process_count; i++)
		if (table->processes[i].pid == pid)
			return &table->processes[i];
	return NULL;
}

/* A process's home slot for an address: the same formula as live.c, so tests can
 * build collisions on purpose. */
static size_t home_slot(const struct hs_live_process *p, uint64_t addr)
{
	return (size_t)(((unsigned __int128)hs_hash64(addr) * p->capacity) >> 64);
}

/* Is (pid, addr) live, with that size? */
static bool live_with_size(struct hs_live_table *table, uint32_t pid, uint64_t addr,
			   uint64_t size)
{
	struct hs_live_block found;

	return hs_live_find(table, pid, addr, &found) && found.size == size &&
	       found.pid == pid && found.addr == addr;
}

static struct hs_live_block block_of(uint32_t pid, uint64_t addr, uint64_t size)
{
	return (struct hs_live_block){
		.addr = addr, .size = size, .ts_ns = addr * 3, .pid = pid, .stack_id = (uint32_t)size
	};
}

static int insert(struct hs_live_table *table, uint32_t pid, uint64_t addr, uint64_t size)
{
	struct hs_live_block block = block_of(pid, addr, size), replaced;

	return hs_live_insert(table, &block, &replaced);
}

static size_t counted_by_foreach(struct hs_live_table *table)
{
	size_t n = 0;

	hs_live_foreach(table, block)
		n++;
	return n;
}

static void test_insert_find_remove(void)
{
	struct hs_live_table table;
	struct hs_live_block removed;

	CHECK_EQ(hs_live_init(&table, 100), 0);
	CHECK_EQ(insert(&table, 7, 0x1000, 24), 0);
	CHECK_EQ(insert(&table, 8, 0x1000, 48), 0); /* same address, other process */
	CHECK_EQ(table.count, 2);

	struct hs_live_block found;
	CHECK(hs_live_find(&table, 7, 0x1000, &found));
	CHECK_EQ(found.size, 24);
	CHECK_EQ(found.stack_id, 24);
	CHECK_EQ(found.ts_ns, 0x3000);
	CHECK_EQ(found.pid, 7);
	CHECK(!hs_live_find(&table, 7, 0x2000, &found));
	CHECK(!hs_live_find(&table, 9, 0x1000, &found));

	CHECK(hs_live_remove(&table, 7, 0x1000, &removed));
	CHECK_EQ(removed.size, 24);
	CHECK_EQ(removed.pid, 7);
	CHECK(!hs_live_remove(&table, 7, 0x1000, &removed));
	CHECK(live_with_size(&table, 8, 0x1000, 48));
	CHECK_EQ(table.count, 1);
	CHECK_EQ(counted_by_foreach(&table), 1);
	hs_live_free(&table);
}

static void test_replaced_block(void)
{
	struct hs_live_table table;
	struct hs_live_block second = block_of(7, 0x5000, 200), replaced;

	CHECK_EQ(hs_live_init(&table, 100), 0);
	CHECK_EQ(insert(&table, 7, 0x5000, 100), 0);
	CHECK_EQ(hs_live_insert(&table, &second, &replaced), 1);
	CHECK_EQ(replaced.size, 100);
	CHECK_EQ(replaced.addr, 0x5000);
	CHECK(live_with_size(&table, 7, 0x5000, 200));
	CHECK_EQ(table.count, 1);
	hs_live_free(&table);
}

/* Address 0 marks an empty slot: it must never be stored as a block. */
static void test_null_address_refused(void)
{
	struct hs_live_table table;

	CHECK_EQ(hs_live_init(&table, 100), 0);
	CHECK_EQ(insert(&table, 7, 0, 16), -EINVAL);
	CHECK_EQ(table.count, 0);
	CHECK_EQ(counted_by_foreach(&table), 0);
	hs_live_free(&table);
}

/* n addresses of pid whose home slot is slot, in increasing order from *next. */
static void colliding_addrs(const struct hs_live_process *p, size_t slot, uint64_t *addrs,
			    size_t n, uint64_t *next)
{
	for (size_t found = 0; found < n; (*next)++)
		if (home_slot(p, *next) == slot)
			addrs[found++] = *next;
}

/*
 * A cluster that starts at the last slot and wraps to the first ones: keys homed
 * at capacity-1 and at 0 interleave.  Removing any one of them must leave every
 * other findable (the backward shift may only pull an entry to a slot that is
 * cyclically between its home and where it sits).
 */
static void test_backward_shift_under_collisions(void)
{
	struct hs_live_table table;
	uint64_t last_home[3], first_home[3], next = 1;
	struct hs_live_block gone;

	CHECK_EQ(hs_live_init(&table, 1000), 0);
	/* The process's slots exist from its first block on. */
	CHECK_EQ(insert(&table, 1, 0x10, 1), 0);
	CHECK(hs_live_remove(&table, 1, 0x10, &gone));
	struct hs_live_process *p = process_of(&table, 1);
	CHECK(p != NULL);
	if (!p)
		return;
	size_t last = p->capacity - 1;
	colliding_addrs(p, last, last_home, 3, &next);
	next = 1;
	colliding_addrs(p, 0, first_home, 3, &next);

	for (size_t removed_at = 0; removed_at < 6; removed_at++) {
		uint64_t all[6] = { last_home[0], first_home[0], last_home[1],
				    first_home[1], last_home[2], first_home[2] };
		struct hs_live_block removed;

		for (size_t i = 0; i < 6; i++)
			CHECK_EQ(insert(&table, 1, all[i], i + 1), 0);
		/* The cluster occupies the last slot and the first five. */
		CHECK(p->slots[last].addr != 0);
		CHECK(p->slots[4].addr != 0);
		CHECK(hs_live_remove(&table, 1, all[removed_at], &removed));
		CHECK_EQ(removed.size, removed_at + 1);
		for (size_t i = 0; i < 6; i++) {
			struct hs_live_block found;

			if (i == removed_at)
				CHECK(!hs_live_find(&table, 1, all[i], &found));
			else
				CHECK(live_with_size(&table, 1, all[i], i + 1));
		}
		/* No hole inside the cluster: five blocks in the last slot and slots 0..3. */
		CHECK_EQ(table.count, 5);
		CHECK(p->slots[last].addr != 0);
		for (size_t i = 0; i < 4; i++)
			CHECK(p->slots[i].addr != 0);
		CHECK(p->slots[4].addr == 0);
		for (size_t i = 0; i < 6; i++)
			if (i != removed_at)
				CHECK(hs_live_remove(&table, 1, all[i], &removed));
		CHECK_EQ(table.count, 0);
		CHECK_EQ(counted_by_foreach(&table), 0);
	}
	hs_live_free(&table);
}

/*
 * Growth by half, not doubling: a table is never more than 3/4 full, and once past its
 * first pages never less than 1/2 just after growing, which is what bounds the memory a
 * block costs (32 to 48 bytes at 24 a slot).
 */
static void test_growth_keeps_every_block(void)
{
	struct hs_live_table table;
	const size_t n = 50000, page_slots = 4096 / sizeof(struct hs_live_slot);
	size_t capacity = 0, growths = 0, missing = 0, too_empty = 0, too_full = 0;

	CHECK_EQ(hs_live_init(&table, n), 0);
	for (size_t i = 1; i <= n; i++) {
		CHECK_EQ(insert(&table, 3, i * 16, i), 0);
		struct hs_live_process *p = &table.processes[0];

		too_full += p->count * 4 > p->capacity * 3;
		if (p->capacity != capacity) {
			/* Grown: by half, rounded up to a whole page, so it is about half full. */
			if (capacity) {
				growths++;
				too_empty += p->capacity > capacity + capacity / 2 + page_slots;
				too_empty += p->count * 2 + 2 * page_slots < p->capacity;
			}
			capacity = p->capacity;
		}
	}
	CHECK(growths > 10);
	CHECK_EQ(too_full, 0);
	CHECK_EQ(too_empty, 0);
	CHECK_EQ(table.count, n);
	for (size_t i = 1; i <= n; i++)
		missing += !live_with_size(&table, 3, i * 16, i);
	CHECK_EQ(missing, 0);
	CHECK_EQ(counted_by_foreach(&table), n);
	/* The slots' pages, the process array and its index: no hidden allocation. */
	CHECK(hs_live_memory_bytes(&table) >= capacity * sizeof(struct hs_live_slot));
	CHECK(hs_live_memory_bytes(&table) < capacity * sizeof(struct hs_live_slot) + 8192);
	hs_live_free(&table);
}

/*
 * A slot keeps 32 bits of size; a block of UINT32_MAX bytes or more keeps its exact
 * size beside the slots.  Every path: insert, find, replace big by small and small by
 * big, remove, foreach, and the growth that moves the slots.
 */
static void test_sizes_past_32_bits(void)
{
	const uint64_t sizes[] = { UINT32_MAX - 1ull, UINT32_MAX, 1ull << 32, (5ull << 30) + 3,
				   UINT64_MAX };
	const size_t n = sizeof(sizes) / sizeof(sizes[0]);
	struct hs_live_table table;
	struct hs_live_block replaced, removed;
	uint64_t sum = 0;

	CHECK_EQ(hs_live_init(&table, 100000), 0);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(insert(&table, 5, 0x100000 * (i + 1), sizes[i]), 0);
	CHECK_EQ(table.processes[0].big_count, n - 1); /* UINT32_MAX - 1 fits a slot */
	for (size_t i = 0; i < n; i++)
		CHECK(live_with_size(&table, 5, 0x100000 * (i + 1), sizes[i]));
	/* Enough small blocks to grow the table several times: big sizes move along. */
	for (uint64_t a = 1; a <= 20000; a++)
		CHECK_EQ(insert(&table, 5, a * 16, 1), 0);
	for (size_t i = 0; i < n; i++)
		CHECK(live_with_size(&table, 5, 0x100000 * (i + 1), sizes[i]));
	hs_live_foreach(&table, block)
		if (block->size > 1)
			sum += block->size;
	CHECK_EQ(sum, (UINT32_MAX - 1ull) + UINT32_MAX + (1ull << 32) + (5ull << 30) + 3 +
			      UINT64_MAX); /* wraps, as the collector's uint64_t sums do */

	/* Big replaced by small, small by big, big by big. */
	struct hs_live_block small = block_of(5, 0x300000, 64), big = block_of(5, 0x100000, 1);

	big.size = 7ull << 32;
	CHECK_EQ(hs_live_insert(&table, &small, &replaced), 1);
	CHECK_EQ(replaced.size, 1ull << 32);
	CHECK(live_with_size(&table, 5, 0x300000, 64));
	CHECK_EQ(hs_live_insert(&table, &big, &replaced), 1);
	CHECK_EQ(replaced.size, UINT32_MAX - 1ull);
	CHECK(live_with_size(&table, 5, 0x100000, 7ull << 32));
	big.size = 9ull << 32;
	CHECK_EQ(hs_live_insert(&table, &big, &replaced), 1);
	CHECK_EQ(replaced.size, 7ull << 32);
	CHECK(live_with_size(&table, 5, 0x100000, 9ull << 32));
	CHECK_EQ(table.processes[0].big_count, n - 1);

	CHECK(hs_live_remove(&table, 5, 0x400000, &removed));
	CHECK_EQ(removed.size, (5ull << 30) + 3);
	CHECK(live_with_size(&table, 5, 0x500000, UINT64_MAX));
	CHECK(live_with_size(&table, 5, 0x200000, UINT32_MAX));
	for (size_t i = 0; i < n; i++)
		hs_live_remove(&table, 5, 0x100000 * (i + 1), &removed);
	CHECK_EQ(table.processes[0].big_count, 0);
	CHECK_EQ(table.count, 20000);
	hs_live_free(&table);
}

/* Processes have their own slots: the same addresses in many of them, found by pid,
 * however their events interleave. */
static void test_many_processes(void)
{
	const uint32_t processes = 300;
	const uint64_t addrs = 50;
	struct hs_live_table table;
	struct hs_live_block removed;
	size_t wrong = 0;

	CHECK_EQ(hs_live_init(&table, 1 << 20), 0);
	for (uint64_t a = 1; a <= addrs; a++)
		for (uint32_t pid = 1; pid <= processes; pid++)
			wrong += insert(&table, pid * 7919, a * 32, pid * 1000 + a) != 0;
	CHECK_EQ(table.process_count, processes);
	CHECK_EQ(table.count, processes * addrs);
	for (uint32_t pid = 1; pid <= processes; pid++)
		for (uint64_t a = 1; a <= addrs; a++)
			wrong += !live_with_size(&table, pid * 7919, a * 32, pid * 1000 + a);
	/* Every other process frees its blocks; the others keep theirs. */
	for (uint32_t pid = 2; pid <= processes; pid += 2)
		for (uint64_t a = 1; a <= addrs; a++)
			wrong += !hs_live_remove(&table, pid * 7919, a * 32, &removed) ||
				 removed.pid != pid * 7919 || removed.size != pid * 1000 + a;
	for (uint32_t pid = 1; pid <= processes; pid++)
		for (uint64_t a = 1; a <= addrs; a++)
			wrong += live_with_size(&table, pid * 7919, a * 32, pid * 1000 + a) != (pid % 2);
	CHECK(!hs_live_remove(&table, 12345, 32, &removed)); /* a process never seen */
	CHECK_EQ(wrong, 0);
	CHECK_EQ(table.count, processes / 2 * addrs);
	CHECK_EQ(counted_by_foreach(&table), processes / 2 * addrs);
	hs_live_free(&table);
}

static void test_max_count(void)
{
	struct hs_live_table table;
	struct hs_live_block removed;

	CHECK_EQ(hs_live_init(&table, 3), 0);
	CHECK_EQ(insert(&table, 1, 0x10, 1), 0);
	CHECK_EQ(insert(&table, 1, 0x20, 1), 0);
	CHECK_EQ(insert(&table, 1, 0x30, 1), 0);
	CHECK_EQ(insert(&table, 1, 0x40, 1), -ENOSPC);
	CHECK(!live_with_size(&table, 1, 0x40, 1));
	/* A live address handed out again still replaces at the bound. */
	CHECK_EQ(insert(&table, 1, 0x20, 5), 1);
	CHECK(hs_live_remove(&table, 1, 0x10, &removed));
	CHECK_EQ(insert(&table, 1, 0x40, 1), 0);
	CHECK_EQ(table.count, 3);
	hs_live_free(&table);
}

/* The reference: one slot per possible key, so it is obviously right. */
#define MODEL_PIDS 2
#define MODEL_ADDRS 9000

struct model {
	struct hs_live_block blocks[MODEL_PIDS][MODEL_ADDRS]; /* addr 0: absent */
	size_t count;
};

static struct hs_live_block *model_slot(struct model *m, uint32_t pid, uint64_t addr)
{
	return &m->blocks[pid - 1][addr / 16 - 1];
}

/*
 * Random inserts, removes and lookups over a small key space (so there are many
 * hits, replacements and collisions), with a bound low enough to be hit; after
 * each step the table and the model must agree.
 */
static void test_random_against_model(void)
{
	const size_t max_count = 6000, steps = 300000;
	static struct model m;
	struct hs_live_table table;
	uint64_t seed = 42;
	size_t disagreements = 0, enospc = 0, replaced_seen = 0, missing = 0;

	CHECK_EQ(hs_live_init(&table, max_count), 0);
	for (size_t step = 0; step < steps; step++) {
		uint64_t r = check_random(&seed);
		uint32_t pid = 1 + (r & 1);
		uint64_t addr = 16 * (1 + (check_random(&seed) % MODEL_ADDRS));
		struct hs_live_block *slot = model_slot(&m, pid, addr), removed, replaced;
		/* One size in seven too big for a slot's 32 bits. */
		struct hs_live_block block = block_of(pid, addr, step % 7 ? step + 1 : (3ull << 32) + step);
		int op = (r >> 1) % 8;

		if (op < 4) { /* insert, more often than remove: the table fills up */
			int got = hs_live_insert(&table, &block, &replaced);

			if (slot->addr) {
				disagreements += got != 1 || replaced.size != slot->size;
				*slot = block;
				replaced_seen++;
			} else if (m.count >= max_count) {
				disagreements += got != -ENOSPC;
				enospc++;
			} else {
				disagreements += got != 0;
				*slot = block;
				m.count++;
			}
		} else if (op < 7) {
			bool got = hs_live_remove(&table, pid, addr, &removed);

			disagreements += got != (slot->addr != 0);
			if (slot->addr && got)
				disagreements += removed.size != slot->size;
			if (slot->addr) {
				slot->addr = 0;
				m.count--;
			}
		} else {
			struct hs_live_block found;
			bool got = hs_live_find(&table, pid, addr, &found);

			disagreements += got != (slot->addr != 0);
			if (got && slot->addr)
				disagreements += found.size != slot->size ||
						 found.ts_ns != slot->ts_ns ||
						 found.stack_id != slot->stack_id;
		}
		disagreements += table.count != m.count;
	}
	CHECK_EQ(disagreements, 0);
	CHECK(enospc > 0);
	CHECK(replaced_seen > 0);
	/* Every block of the model is in the table and nothing else is. */
	for (uint32_t pid = 1; pid <= MODEL_PIDS; pid++) {
		for (uint64_t addr = 16; addr <= 16 * MODEL_ADDRS; addr += 16) {
			const struct hs_live_block *slot = model_slot(&m, pid, addr);
			struct hs_live_block found;
			bool got = hs_live_find(&table, pid, addr, &found);

			missing += slot->addr ? !got || found.size != slot->size : got;
		}
	}
	CHECK_EQ(missing, 0);
	CHECK_EQ(counted_by_foreach(&table), m.count);
	hs_live_free(&table);
}

int main(void)
{
	TEST(test_insert_find_remove);
	TEST(test_replaced_block);
	TEST(test_null_address_refused);
	TEST(test_backward_shift_under_collisions);
	TEST(test_growth_keeps_every_block);
	TEST(test_sizes_past_32_bits);
	TEST(test_many_processes);
	TEST(test_max_count);
	TEST(test_random_against_model);
	return check_summary();
}
