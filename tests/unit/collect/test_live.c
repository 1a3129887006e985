// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_live.c - the live table (user/collect/live.c): insert, find, remove, blocks
 * replaced at a live address, backward-shift deletion inside collision
 * clusters (including ones that wrap around the end of the slot array),
 * growth, and the max_count bound; then many random operations compared with
 * a plain reference model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/hash.h"
#include "collect/live.h"

/* The table's home slot for a key: the same formula as live.c, so tests can
 * build collisions on purpose. */
static size_t home_slot(const struct hs_live_table *table, uint32_t pid, uint64_t addr)
{
	return hs_hash64(addr ^ ((uint64_t)pid << 48)) & (table->capacity - 1);
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

	struct hs_live_block *found = hs_live_find(&table, 7, 0x1000);
	CHECK(found != NULL);
	if (found) {
		CHECK_EQ(found->size, 24);
		CHECK_EQ(found->stack_id, 24);
		CHECK_EQ(found->ts_ns, 0x3000);
	}
	CHECK(hs_live_find(&table, 7, 0x2000) == NULL);
	CHECK(hs_live_find(&table, 9, 0x1000) == NULL);

	CHECK(hs_live_remove(&table, 7, 0x1000, &removed));
	CHECK_EQ(removed.size, 24);
	CHECK_EQ(removed.pid, 7);
	CHECK(!hs_live_remove(&table, 7, 0x1000, &removed));
	CHECK(hs_live_find(&table, 8, 0x1000) != NULL);
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
	CHECK_EQ(hs_live_find(&table, 7, 0x5000)->size, 200);
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
static void colliding_addrs(const struct hs_live_table *table, uint32_t pid, size_t slot,
			    uint64_t *addrs, size_t n, uint64_t *next)
{
	for (size_t found = 0; found < n; (*next)++)
		if (home_slot(table, pid, *next) == slot)
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

	CHECK_EQ(hs_live_init(&table, 1000), 0);
	size_t last = table.capacity - 1;
	colliding_addrs(&table, 1, last, last_home, 3, &next);
	next = 1;
	colliding_addrs(&table, 1, 0, first_home, 3, &next);

	for (size_t removed_at = 0; removed_at < 6; removed_at++) {
		uint64_t all[6] = { last_home[0], first_home[0], last_home[1],
				    first_home[1], last_home[2], first_home[2] };
		struct hs_live_block removed;

		for (size_t i = 0; i < 6; i++)
			CHECK_EQ(insert(&table, 1, all[i], i + 1), 0);
		/* The cluster occupies the last slot and the first five. */
		CHECK(table.slots[last].addr != 0);
		CHECK(table.slots[4].addr != 0);
		CHECK(hs_live_remove(&table, 1, all[removed_at], &removed));
		CHECK_EQ(removed.size, removed_at + 1);
		for (size_t i = 0; i < 6; i++) {
			const struct hs_live_block *found = hs_live_find(&table, 1, all[i]);

			if (i == removed_at) {
				CHECK(found == NULL);
				continue;
			}
			CHECK(found != NULL);
			if (found)
				CHECK_EQ(found->size, i + 1);
		}
		/* No hole inside the cluster: five blocks in the last slot and slots 0..3. */
		CHECK_EQ(table.count, 5);
		CHECK(table.slots[last].addr != 0);
		for (size_t i = 0; i < 4; i++)
			CHECK(table.slots[i].addr != 0);
		CHECK(table.slots[4].addr == 0);
		for (size_t i = 0; i < 6; i++)
			if (i != removed_at)
				CHECK(hs_live_remove(&table, 1, all[i], &removed));
		CHECK_EQ(table.count, 0);
		CHECK_EQ(counted_by_foreach(&table), 0);
	}
	hs_live_free(&table);
}

static void test_growth_keeps_every_block(void)
{
	struct hs_live_table table;
	const size_t n = 50000;
	size_t initial_capacity, missing = 0;

	CHECK_EQ(hs_live_init(&table, n), 0);
	initial_capacity = table.capacity;
	for (size_t i = 1; i <= n; i++)
		CHECK_EQ(insert(&table, 3, i * 16, i), 0);
	CHECK(table.capacity > initial_capacity);
	CHECK(table.count * 10 <= table.capacity * 7); /* load stays under 70% */
	CHECK_EQ(table.count, n);
	for (size_t i = 1; i <= n; i++) {
		const struct hs_live_block *found = hs_live_find(&table, 3, i * 16);

		missing += !found || found->size != i;
	}
	CHECK_EQ(missing, 0);
	CHECK_EQ(counted_by_foreach(&table), n);
	CHECK_EQ(hs_live_memory_bytes(&table), table.capacity * sizeof(struct hs_live_block));
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
	CHECK(hs_live_find(&table, 1, 0x40) == NULL);
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
		struct hs_live_block block = block_of(pid, addr, step + 1);
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
			const struct hs_live_block *found = hs_live_find(&table, pid, addr);

			disagreements += (found != NULL) != (slot->addr != 0);
			if (found && slot->addr)
				disagreements += found->size != slot->size;
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
			const struct hs_live_block *found = hs_live_find(&table, pid, addr);

			missing += slot->addr ? !found || found->size != slot->size : found != NULL;
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
	TEST(test_max_count);
	TEST(test_random_against_model);
	return check_summary();
}
