// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * glibc_blocks.c - each in-use chunk handed to a callback: replayed with its first word from what
 * the read's walk kept, or walked again when it kept none.
 *
 * Part of one read of glibc's state (glibc_heap.c owns the read; glibc_reader.h its
 * working state).  Every pointer comes from the target: bounded by the mappings, every
 * list bounded in length and tested for cycles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/glibc_reader.h"

struct chunk_adapter {
	hs_glibc_chunk_fn fn;
	void *ctx;
};

/*
 * Every in-use chunk walked again (the target may have changed since the read: the walk
 * stops at the first bad size, as the read's did), for a read that kept none.  In use: the
 * next chunk's PREV_INUSE is set and the chunk is in no fastbin or tcache.
 */
static int walk_in_use(struct hs_target_memory *tm, const struct hs_glibc_heap *heap,
		       hs_glibc_block_fn fn, void *ctx)
{
	for (size_t i = 0; i < heap->region_count; i++) {
		const struct hs_glibc_region *reg = &heap->regions[i];
		struct hs_tm_window win;
		uint64_t p = reg->first;
		int err = hs_tm_window_init(&win, reg->first, reg->end + 16);

		while (!err && p < reg->end) {
			const unsigned char *hdr;
			uint64_t sz, next_size;

			if (hs_tm_window_at(tm, &win, p, 16, &hdr))
				break;
			sz = u64_at(hdr, 8) & ~SIZE_BITS;
			/* Where the read's walk stops, this one stops: a replay agrees with it. */
			if (sz < MINSIZE || (sz & 15) || sz > reg->end - p ||
			    (u64_at(hdr, 8) & IS_MMAPPED) ||
			    hs_tm_window_at(tm, &win, p + sz, 16, &hdr))
				break;
			next_size = u64_at(hdr, 8);
			if ((next_size & PREV_INUSE) &&
			    !glibc_is_cached(heap->cached_chunks, heap->cached_chunk_count, p)) {
				struct hs_glibc_block b = { p + 16, sz - 8, 0, false,
							    (int)reg->arena };

				err = fn(ctx, &b);
			}
			p += sz;
		}
		hs_tm_window_free(&win);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Every in-use block: from the chunks the read kept (what the read saw, nothing read
 * again), else walked again; then the mmapped chunks.  Usable size as malloc_usable_size
 * says.
 */
int hs_glibc_heap_for_each_block(struct hs_target_memory *tm, const struct hs_glibc_heap *heap,
				 hs_glibc_block_fn fn, void *ctx)
{
	int err = 0;

	if (!heap->kept_all)
		err = walk_in_use(tm, heap, fn, ctx);
	for (size_t i = 0; heap->kept_all && i < heap->kept_count && !err; i++) {
		const struct hs_glibc_kept *k = &heap->kept[i];
		uint64_t sz = (uint64_t)k->size_16 * 16;
		struct hs_glibc_block b = { k->chunk + 16, sz - 8, k->first_word, true,
					    (int)k->arena };

		if (!glibc_is_cached(heap->cached_chunks, heap->cached_chunk_count, k->chunk))
			err = fn(ctx, &b);
	}
	for (size_t i = 0; i + 1 < heap->mmapped_count && !err; i += 2) {
		struct hs_glibc_block b = { heap->mmapped[i] + 16, heap->mmapped[i + 1] - 16, 0,
					    false, -1 };

		err = fn(ctx, &b);
	}
	return err;
}

static int chunk_adapter(void *ctx, const struct hs_glibc_block *b)
{
	struct chunk_adapter *a = ctx;

	return a->fn(a->ctx, b->user_addr, b->usable_bytes, b->arena);
}

int hs_glibc_heap_for_each_in_use(struct hs_target_memory *tm, const struct hs_glibc_location *loc,
				  const struct hs_glibc_heap *heap, hs_glibc_chunk_fn fn, void *ctx)
{
	struct chunk_adapter a = { fn, ctx };

	(void)loc;
	return hs_glibc_heap_for_each_block(tm, heap, chunk_adapter, &a);
}
