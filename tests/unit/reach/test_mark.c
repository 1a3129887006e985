// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_mark.c - the conservative mark (user/reach/mark.c) over a made-up address space: a
 * root region and a heap image whose blocks point at each other.  Reached from a root word,
 * through an interior pointer, through a chain, from a register; a lost list (one direct,
 * the rest indirect), a lost cycle (one direct), a block pointed to only by a misaligned word
 * (leaked: only aligned words count), overlapping nodes dropped; then random graphs against
 * a reference flood fill, and the lookup index against a plain binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "reach/mark.h"

#define HEAP 0x100000ull
#define ROOTS 0x200000ull
#define SLOT 64 /* each test block: 64 bytes at HEAP + i * SLOT */

static unsigned char heap[64 * SLOT];
static unsigned char roots[256];

static uint64_t block(int i)
{
	return HEAP + (uint64_t)i * SLOT;
}

static void put(unsigned char *image, uint64_t base, uint64_t at, uint64_t value)
{
	memcpy(image + (at - base), &value, 8);
}

struct world {
	struct hs_reach_node nodes[64];
	size_t count;
	struct hs_reach_span copy, root;
	struct hs_reach_memory mem;
	uint64_t regs[4];
};

static void world_init(struct world *w, int blocks)
{
	memset(heap, 0, sizeof(heap));
	memset(roots, 0, sizeof(roots));
	memset(w, 0, sizeof(*w));
	for (int i = 0; i < blocks; i++)
		w->nodes[w->count++] = (struct hs_reach_node){ .addr = block(i), .size = 48,
							       .stack_id = (uint32_t)i };
	w->copy = (struct hs_reach_span){ HEAP, HEAP + sizeof(heap), heap };
	w->root = (struct hs_reach_span){ ROOTS, ROOTS + sizeof(roots), roots };
	w->mem = (struct hs_reach_memory){ .copies = &w->copy, .copy_count = 1, .roots = &w->root,
					   .root_count = 1, .root_words = w->regs,
					   .root_word_count = 4 };
}

static int mark(struct world *w)
{
	struct hs_reach_stats stats;
	uint64_t overlapping;

	hs_reach_sort_nodes(w->nodes, &w->count, &overlapping);
	return hs_reach_mark(w->nodes, w->count, &w->mem, &stats);
}

static int state(const struct world *w, int i)
{
	long at = hs_reach_find(w->nodes, w->count, block(i));

	return at < 0 ? -1 : w->nodes[at].state;
}

static void test_kinds_of_reference(void)
{
	struct world w;

	world_init(&w, 10);
	put(roots, ROOTS, ROOTS + 0, block(0));		/* 0: from a root */
	put(roots, ROOTS, ROOTS + 8, block(1) + 40);	/* 1: interior pointer only */
	put(heap, HEAP, block(1) + 0, block(2));	/* 2: through 1 */
	put(heap, HEAP, block(2) + 16, block(3));	/* 3: through 2 (a chain) */
	w.regs[2] = block(4) + 8;			/* 4: from a register */
	put(heap, HEAP, block(5) + 0, block(6));	/* 5 -> 6 -> 7: a lost list */
	put(heap, HEAP, block(6) + 0, block(7));
	put(heap, HEAP, block(8) + 0, block(9));	/* 8 <-> 9: a lost cycle */
	put(heap, HEAP, block(9) + 0, block(8));
	put(heap, HEAP, block(0) + 48, block(5));	/* past block 0's 48 bytes: not its word */
	CHECK_EQ(mark(&w), 0);
	for (int i = 0; i <= 4; i++)
		CHECK_EQ(state(&w, i), HS_NODE_REACHABLE);
	CHECK_EQ(state(&w, 5), HS_NODE_DIRECT);
	CHECK_EQ(state(&w, 6), HS_NODE_INDIRECT);
	CHECK_EQ(state(&w, 7), HS_NODE_INDIRECT);
	CHECK_EQ(state(&w, 8), HS_NODE_DIRECT);
	CHECK_EQ(state(&w, 9), HS_NODE_INDIRECT);
}

/* A list whose head has the highest address: the earlier heads are demoted. */
static void test_list_in_reverse_order(void)
{
	struct world w;

	world_init(&w, 6);
	for (int i = 5; i > 0; i--)
		put(heap, HEAP, block(i), block(i - 1));
	CHECK_EQ(mark(&w), 0);
	CHECK_EQ(state(&w, 5), HS_NODE_DIRECT);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(state(&w, i), HS_NODE_INDIRECT);
}

static void test_misaligned_and_one_past_end(void)
{
	struct world w;

	world_init(&w, 3);
	put(roots, ROOTS, ROOTS + 12, block(0));     /* misaligned: not a pointer */
	put(roots, ROOTS, ROOTS + 16, block(1) + 48); /* one past the end: not into it */
	put(roots, ROOTS, ROOTS + 24, block(2) + 47); /* its last byte */
	CHECK_EQ(mark(&w), 0);
	CHECK_EQ(state(&w, 0), HS_NODE_DIRECT);
	CHECK_EQ(state(&w, 1), HS_NODE_DIRECT);
	CHECK_EQ(state(&w, 2), HS_NODE_REACHABLE);
}

static void test_overlapping_nodes_dropped(void)
{
	struct hs_reach_node nodes[] = {
		{ .addr = 0x1000, .size = 64 },
		{ .addr = 0x1020, .size = 16 }, /* inside the first: a stale block */
		{ .addr = 0x1040, .size = 0 },	/* size 0: still one byte to point at */
	};
	size_t count = 3;
	uint64_t overlapping;

	hs_reach_sort_nodes(nodes, &count, &overlapping);
	CHECK_EQ(count, 2);
	CHECK_EQ(overlapping, 1);
	CHECK_EQ(hs_reach_find(nodes, count, 0x1040), 1);
	CHECK_EQ(hs_reach_find(nodes, count, 0x1041), -1);
	CHECK_EQ(hs_reach_find(nodes, count, 0x103f), 0);
}

/* Random graphs against a plain flood fill: reachable sets equal, direct + indirect = rest,
 * and every leaked group has exactly one direct block when nothing outside points in. */
static void test_random_against_reference(void)
{
	uint64_t seed = 42;

	for (int round = 0; round < 200; round++) {
		struct world w;
		bool edge[64][64] = { { false } }, reach[64] = { false };
		int n = 2 + check_random(&seed) % 62, stack[64], top = 0;

		world_init(&w, n);
		for (int i = 0; i < n; i++)
			for (int e = 0; e < 5; e++) {
				int j = check_random(&seed) % n;

				if (check_random(&seed) % 3)
					continue;
				put(heap, HEAP, block(i) + 8 * e, block(j) + check_random(&seed) % 48);
				edge[i][j] = true;
			}
		for (int r = 0; r < 3; r++) {
			int j = check_random(&seed) % n;

			if (check_random(&seed) % 2) {
				put(roots, ROOTS, ROOTS + 8 * r, block(j));
				if (!reach[j])
					reach[j] = true, stack[top++] = j;
			}
		}
		while (top) {
			int i = stack[--top];

			for (int j = 0; j < n; j++)
				if (edge[i][j] && !reach[j])
					reach[j] = true, stack[top++] = j;
		}
		CHECK_EQ(mark(&w), 0);
		for (int i = 0; i < n; i++) {
			int s = state(&w, i);

			CHECK_EQ(s == HS_NODE_REACHABLE, reach[i]);
			CHECK(s == HS_NODE_REACHABLE || s == HS_NODE_DIRECT || s == HS_NODE_INDIRECT);
			/* Direct: no other leaked block points to it. */
			if (s == HS_NODE_DIRECT)
				for (int j = 0; j < n; j++)
					if (j != i && !reach[j] && edge[j][i]) {
						/* allowed only when i heads a cycle through j */
						bool back = false;
						bool seen[64] = { false };
						int st[64], t = 0;

						st[t++] = i;
						seen[i] = true;
						while (t && !back) {
							int x = st[--t];

							for (int y = 0; y < n; y++)
								if (edge[x][y] && !reach[y] && !seen[y]) {
									seen[y] = true;
									st[t++] = y;
								}
						}
						back = seen[j];
						CHECK(back);
					}
		}
	}
}

/* The index finds what the binary search finds, for nodes of every size and spacing: tiny
 * and empty ones packed in a granule, ones spanning many granules, gaps that join windows
 * and gaps that split them; addresses at and around every edge, and random ones. */
static void test_index_against_search(void)
{
	static struct hs_reach_node nodes[4096];
	uint64_t seed = 7;

	for (int round = 0; round < 100; round++) {
		struct hs_reach_index idx;
		uint64_t at = 0x10000 + check_random(&seed) % 4096, overlapping;
		size_t count = 1 + check_random(&seed) % 4096;
		int mismatches = 0;

		for (size_t i = 0; i < count; i++) {
			uint64_t gap, size;

			switch (check_random(&seed) % 8) {
			case 0: gap = HS_REACH_INDEX_GAP_BYTES + check_random(&seed) % 100000; break;
			case 1: gap = HS_REACH_INDEX_GAP_BYTES - 1 - check_random(&seed) % 8; break;
			case 2: gap = check_random(&seed) % 20000; break;
			default: gap = check_random(&seed) % 48; break;
			}
			switch (check_random(&seed) % 6) {
			case 0: size = 0; break;
			case 1: size = check_random(&seed) % 300000; break;
			default: size = 1 + check_random(&seed) % 200; break;
			}
			at += gap;
			nodes[i] = (struct hs_reach_node){ .addr = at, .size = size };
			at += size ? size : 1;
		}
		hs_reach_sort_nodes(nodes, &count, &overlapping);
		CHECK_EQ(overlapping, 0);
		CHECK_EQ(hs_reach_index_build(&idx, nodes, count), 0);
		for (size_t i = 0; i < count; i++) {
			uint64_t end = nodes[i].addr + (nodes[i].size ? nodes[i].size : 1);
			uint64_t probes[] = { nodes[i].addr - 1, nodes[i].addr, nodes[i].addr + 1,
					      end - 1, end, end + 1,
					      (nodes[i].addr | 4095) + 1, (end & ~4095ull) - 1,
					      nodes[i].addr + check_random(&seed) % (end - nodes[i].addr),
					      check_random(&seed) % (at + 0x20000) };

			for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]); p++)
				mismatches += hs_reach_index_find(&idx, probes[p]) !=
					      hs_reach_find(nodes, count, probes[p]);
		}
		CHECK_EQ(mismatches, 0);
		hs_reach_index_free(&idx);
	}
}

int main(void)
{
	TEST(test_kinds_of_reference);
	TEST(test_list_in_reverse_order);
	TEST(test_misaligned_and_one_past_end);
	TEST(test_overlapping_nodes_dropped);
	TEST(test_random_against_reference);
	TEST(test_index_against_search);
	return check_summary();
}
