// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_glibc_heap.c - the glibc heap reader (user/inspect/glibc_heap.c) over arbitrary
 * memory: a heap is written by the target, which may be buggy or hostile.  The input is
 * an image mapped at BASE, holding mp_ at BASE and main_arena at BASE + 0x100 (glibc 2.36
 * layout); the rest is whatever the mutator makes of the seed's chunks.  The reader must
 * return, and what it returns must hold together: the in-use chunks a read kept (with
 * their first words) are the ones a walk of the unchanging image finds again.
 */
#include "fuzz.h"
#include "inspect/glibc_heap.h"

#define BASE 0x10000000ull

static int count(void *ctx, uint64_t user_addr, uint64_t usable_bytes, int arena)
{
	uint64_t *n = ctx;

	FUZZ_ASSERT(user_addr >= BASE + 16);
	(void)usable_bytes;
	(void)arena;
	(*n)++;
	return 0;
}

/* Blocks and bytes; a first word handed on must be the block's (the image does not change). */
struct sums {
	struct hs_target_memory *tm;
	uint64_t blocks, bytes;
};

static int sum(void *ctx, const struct hs_glibc_block *b)
{
	struct sums *s = ctx;
	uint64_t word;

	s->blocks++;
	s->bytes += b->usable_bytes;
	if (b->first_word_known)
		FUZZ_ASSERT(hs_tm_read_u64(s->tm, b->user_addr, &word) == 0 &&
			    word == b->first_word);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_target_memory tm;
	struct hs_glibc_location loc = { 0 };
	struct hs_glibc_read_options keep = { .keep_in_use = true };
	struct hs_glibc_heap heap;
	uint64_t chunks = 0;
	void *image;

	if (size < 0x100 + 2200)
		return 0;
	image = fuzz_image(data, size);
	if (!image)
		return 0;
	hs_tm_init_image(&tm);
	FUZZ_ASSERT(hs_tm_add_image(&tm, BASE, image, size) == 0);
	loc.layout = hs_glibc_layout_for("2.36");
	loc.method = HS_GLIBC_GIVEN;
	loc.mp = BASE;
	loc.main_arena = BASE + 0x100;
	/* The image does not change: the chunks the read kept are the ones a walk finds. */
	if (hs_glibc_heap_read_with(&tm, &loc, &keep, &heap) == 0) {
		struct sums kept = { .tm = &tm }, walked = { .tm = &tm };
		bool kept_all = heap.kept_all;

		FUZZ_ASSERT(hs_glibc_heap_for_each_block(&tm, &heap, sum, &kept) == 0);
		heap.kept_all = false;
		FUZZ_ASSERT(hs_glibc_heap_for_each_block(&tm, &heap, sum, &walked) == 0);
		heap.kept_all = kept_all;
		FUZZ_ASSERT(kept.blocks == walked.blocks && kept.bytes == walked.bytes);
		hs_glibc_heap_free(&heap);
	}
	if (hs_glibc_heap_read(&tm, &loc, &heap) == 0) {
		struct hs_glibc_arena_stats sum = { 0 };

		FUZZ_ASSERT(heap.attempts >= 1 && heap.attempts <= HS_GLIBC_ATTEMPTS);
		FUZZ_ASSERT(heap.arena_count >= 1 && heap.arena_count <= HS_GLIBC_MAX_ARENAS);
		FUZZ_ASSERT(!heap.consistent || !heap.reason[0]);
		for (size_t i = 0; i < heap.arena_count; i++) {
			sum.bin_bytes += heap.arenas[i].bin_bytes;
			FUZZ_ASSERT(heap.arenas[i].in_use_bytes <= heap.arenas[i].system_bytes);
		}
		FUZZ_ASSERT(sum.bin_bytes == heap.total.bin_bytes);
		hs_glibc_heap_for_each_in_use(&tm, &loc, &heap, count, &chunks);
		FUZZ_ASSERT(chunks <= size / 32 + heap.mmapped_count);
		hs_glibc_heap_free(&heap);
	}
	hs_tm_close(&tm);
	free(image);
	return 0;
}
