// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_stacks.c - stack interning (user/collect/stacks.c): one id per (pid, frames)
 * content, ids stable while the table grows, frames kept as given, and the
 * max_count bound sending further stacks to HS_STACK_LOST with a count.
 */
#include <string.h>

#include "check.h"
#include "collect/stacks.h"

static void test_same_content_same_id(void)
{
	struct hs_stack_table table;
	uint64_t a[] = { 0x401000, 0x402000, 0x403000 };
	uint64_t a_copy[] = { 0x401000, 0x402000, 0x403000 };
	uint64_t reversed[] = { 0x403000, 0x402000, 0x401000 };
	uint64_t shorter[] = { 0x401000, 0x402000 };

	CHECK_EQ(hs_stacks_init(&table, 100), 0);
	CHECK_EQ(table.count, 1); /* HS_STACK_LOST is always there */
	uint32_t id = hs_stacks_intern(&table, 10, a, 3, false);
	CHECK(id != HS_STACK_LOST);
	CHECK_EQ(hs_stacks_intern(&table, 10, a_copy, 3, false), id);
	CHECK(hs_stacks_intern(&table, 10, reversed, 3, false) != id);
	CHECK(hs_stacks_intern(&table, 10, shorter, 2, false) != id);
	CHECK_EQ(table.count, 4);

	const struct hs_stack *stack = &table.stacks[id];
	CHECK_EQ(stack->pid, 10);
	CHECK_EQ(stack->frame_count, 3);
	CHECK(memcmp(hs_stack_frames(&table, stack), a, sizeof(a)) == 0);
	CHECK_EQ(stack->live_bytes, 0);
	CHECK_EQ(stack->alloc_count, 0);
	hs_stacks_free(&table);
}

static void test_same_frames_other_pid(void)
{
	struct hs_stack_table table;
	uint64_t frames[] = { 0x7f0000001000, 0x7f0000002000 };

	CHECK_EQ(hs_stacks_init(&table, 100), 0);
	uint32_t in_10 = hs_stacks_intern(&table, 10, frames, 2, false);
	uint32_t in_11 = hs_stacks_intern(&table, 11, frames, 2, false);
	CHECK(in_10 != in_11);
	CHECK_EQ(table.stacks[in_11].pid, 11);
	CHECK_EQ(hs_stacks_intern(&table, 10, frames, 2, false), in_10);
	CHECK_EQ(hs_stacks_intern(&table, 11, frames, 2, false), in_11);
	hs_stacks_free(&table);
}

static void test_truncated_flag_kept(void)
{
	struct hs_stack_table table;
	uint64_t frames[] = { 0x1234 };

	CHECK_EQ(hs_stacks_init(&table, 100), 0);
	uint32_t id = hs_stacks_intern(&table, 1, frames, 1, true);
	CHECK(table.stacks[id].truncated);
	hs_stacks_free(&table);
}

/* Enough stacks to grow the arrays and the index several times: every id stays. */
static void test_many_stacks_stable_ids(void)
{
	enum { N = 20000, DEPTH = 5 };
	struct hs_stack_table table;
	static uint32_t ids[N];
	size_t wrong = 0;

	CHECK_EQ(hs_stacks_init(&table, N + 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t frames[DEPTH] = { 0x1000 + i, 0x2000, 0x3000 + i / 7, 0x4000, i };

		ids[i] = hs_stacks_intern(&table, 1 + i % 3, frames, DEPTH, false);
	}
	CHECK_EQ(table.count, N + 1);
	CHECK_EQ(table.overflowed, 0);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t frames[DEPTH] = { 0x1000 + i, 0x2000, 0x3000 + i / 7, 0x4000, i };
		const struct hs_stack *stack = &table.stacks[ids[i]];

		wrong += hs_stacks_intern(&table, 1 + i % 3, frames, DEPTH, false) != ids[i];
		wrong += memcmp(hs_stack_frames(&table, stack), frames, sizeof(frames)) != 0;
	}
	CHECK_EQ(wrong, 0);
	CHECK_EQ(table.count, N + 1);
	CHECK(hs_stacks_memory_bytes(&table) >= N * (sizeof(struct hs_stack) + DEPTH * 8));
	hs_stacks_free(&table);
}

static void test_overflow_goes_to_lost(void)
{
	struct hs_stack_table table;
	uint64_t frames[] = { 0x100, 0x200 };

	CHECK_EQ(hs_stacks_init(&table, 3), 0); /* LOST + two real stacks */
	uint32_t first = hs_stacks_intern(&table, 1, frames, 2, false);
	frames[0]++;
	uint32_t second = hs_stacks_intern(&table, 1, frames, 2, false);
	CHECK(first != HS_STACK_LOST && second != HS_STACK_LOST && first != second);
	CHECK_EQ(table.overflowed, 0);

	frames[0]++;
	CHECK_EQ(hs_stacks_intern(&table, 1, frames, 2, false), HS_STACK_LOST);
	CHECK_EQ(hs_stacks_intern(&table, 2, frames, 2, false), HS_STACK_LOST);
	CHECK_EQ(table.overflowed, 2);
	CHECK_EQ(table.count, 3);
	/* Known stacks are still found when the table is full, and not counted. */
	frames[0] -= 2;
	CHECK_EQ(hs_stacks_intern(&table, 1, frames, 2, false), first);
	CHECK_EQ(table.overflowed, 2);
	CHECK_EQ(table.stacks[HS_STACK_LOST].frame_count, 0);
	hs_stacks_free(&table);
}

int main(void)
{
	TEST(test_same_content_same_id);
	TEST(test_same_frames_other_pid);
	TEST(test_truncated_flag_kept);
	TEST(test_many_stacks_stable_ids);
	TEST(test_overflow_goes_to_lost);
	return check_summary();
}
