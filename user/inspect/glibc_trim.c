// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * glibc_trim.c - what malloc_trim(0) would give back (after fastbin consolidation, the whole pages
 * inside free chunks and the main arena's top above its pad, as glibc 2.36's mtrim and systrim
 * do), how much of the free memory is resident (pagemap), and the mmapped chunks found in the
 * mappings.
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

/* The free and fastbin chunks of one region in address order, from the two sorted tables. */
struct run_cursor {
	const struct reader *r;
	size_t i, f; /* next in free[], next triple in fast[] */
	uint64_t end;
};

/* Bytes of [start, end) lying on resident pages of region reg (present[] from its first page). */
static uint64_t resident(const uint8_t *present, uint64_t pages, uint64_t base, uint64_t start,
			 uint64_t end)
{
	uint64_t total = 0, known_end = base + pages * PAGE;

	/* Only pages present[] knows: sizes from the target must not drive the loop. */
	if (start < base)
		start = base;
	if (end > known_end)
		end = known_end;
	for (uint64_t page = start & ~(PAGE - 1); page < end; page += PAGE) {
		uint64_t idx = (page - base) / PAGE;
		uint64_t lo = page > start ? page : start, hi = page + PAGE < end ? page + PAGE : end;

		if (page >= base && idx < pages && present[idx])
			total += hi - lo;
	}
	return total;
}

/*
 * Which pages of region i (through its top chunk) are resident, read before anything else
 * touches the region: reading a never-written page maps the zero page into the target.
 * Unreadable pagemap: no page counts as resident (free_resident_bytes is then 0).
 */
int glibc_read_present(struct reader *r, size_t i)
{
	const struct hs_glibc_region *reg = &r->heap->regions[i];
	uint64_t base = reg->first & ~(PAGE - 1), end = reg->end, top_size = 0, pages;
	const struct hs_tm_range *range = hs_tm_range_at(r->tm, reg->first);

	if (reg->ends_at_top && !hs_tm_read_u64(r->tm, reg->end + 8, &top_size) &&
	    (top_size & ~SIZE_BITS) < (1ull << 40))
		end += top_size & ~SIZE_BITS;
	/* A top size from the target is not trusted to size an array: stay in the mapping. */
	if (!range)
		end = base;
	else if (end > range->end)
		end = range->end;
	pages = (end - base + PAGE - 1) / PAGE;
	r->present[i] = calloc(pages ? pages : 1, 1);
	if (!r->present[i])
		return -ENOMEM;
	r->present_pages[i] = pages;
	if (hs_tm_present_pages(r->tm, base, pages, r->present[i]))
		memset(r->present[i], 0, pages);
	return 0;
}

static int cmp_triple(const void *a, const void *b)
{
	return glibc_cmp_u64(a, b);
}

static struct run_cursor run_cursor(const struct reader *r, const struct hs_glibc_region *reg)
{
	struct run_cursor c = { r, 0, 0, reg->end };
	size_t lo = 0, hi = r->free_count;

	/* Binary searches: with many heaps, a scan from the start for each one is quadratic. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->free[mid].addr < reg->first)
			lo = mid + 1;
		else
			hi = mid;
	}
	c.i = lo;
	lo = 0;
	hi = r->fast_count / 3;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->fast[3 * mid] < reg->first)
			lo = mid + 1;
		else
			hi = mid;
	}
	c.f = 3 * lo;
	return c;
}

static bool next_run(struct run_cursor *c, uint64_t *addr, uint64_t *size)
{
	const struct reader *r = c->r;
	bool free_next = c->i < r->free_count && r->free[c->i].addr < c->end;
	bool fast_next = c->f + 2 < r->fast_count && r->fast[c->f] < c->end;

	if (free_next && fast_next)
		free_next = r->free[c->i].addr < r->fast[c->f];
	if (free_next) {
		*addr = r->free[c->i].addr;
		*size = r->free[c->i++].size_field & ~SIZE_BITS;
	} else if (fast_next) {
		*addr = r->fast[c->f];
		*size = r->fast[c->f + 1];
		c->f += 3;
	}
	return free_next || fast_next;
}

/*
 * malloc_trim(0) = mtrim on every arena: malloc_consolidate merges each fastbin chunk with
 * free neighbours (into top when it touches top), then every free chunk in the unsorted bin
 * or a bin at or above the page-size bin gives its whole pages after its header
 * (madvise); chunks below that bin are smaller than a page anyway.  Then, main arena only,
 * systrim gives back top above MINSIZE + pad (pad = 0), in pages, if brk still ends there.
 * Also: the resident bytes of top, fastbin and bin chunks.
 */
int glibc_trim_and_resident(struct reader *r)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_heap *heap = r->heap;

	/* free[] is sorted already and fastbins are few: sort those, merge the two per region. */
	if (r->fast_count >= 3)
		qsort(r->fast, r->fast_count / 3, 3 * sizeof(*r->fast), cmp_triple);
	for (size_t reg_i = 0; reg_i < heap->region_count; reg_i++) {
		const struct hs_glibc_region *reg = &heap->regions[reg_i];
		struct hs_glibc_arena_stats *st = &heap->arenas[reg->arena];
		uint64_t base = reg->first & ~(PAGE - 1);
		uint64_t top = reg->end, top_size = 0, run_start = 0, run_end = 0;
		uint64_t pages, span_end = reg->end;
		const uint8_t *present;

		if (reg->ends_at_top) {
			if (hs_tm_read_u64(r->tm, top + 8, &top_size))
				top_size = 0;
			top_size &= ~SIZE_BITS;
			span_end = top + top_size;
		}
		/* Top may have moved since glibc_read_present: only its pages are known. */
		present = r->present[reg_i];
		pages = present ? r->present_pages[reg_i] : 0;
		if (reg->ends_at_top)
			st->free_resident_bytes += resident(present, pages, base, top, span_end);
		struct run_cursor c = run_cursor(r, reg);

		for (;;) {
			uint64_t at = 0, size = 0;
			bool in = next_run(&c, &at, &size);

			if (in)
				st->free_resident_bytes +=
					resident(present, pages, base, at, at + size);
			if (in && run_end == at) {
				run_end += size;
				continue;
			}
			/* A run ended: it merges into top, or is one free chunk for mtrim. */
			if (run_end && run_end == top && reg->ends_at_top) {
				top -= run_end - run_start;
				top_size += run_end - run_start;
			} else if (run_end) {
				uint64_t lo = (run_start + 48 + PAGE - 1) & ~(PAGE - 1);
				uint64_t hi = run_end & ~(PAGE - 1);

				if (hi > lo)
					st->trimmable_bytes += hi - lo;
			}
			if (!in)
				break;
			run_start = at;
			run_end = at + size;
		}
		if (reg->arena == 0 && reg->ends_at_top && top_size > MINSIZE + 1) {
			uint64_t thp = u64_at(r->mp_buf, l->mp_thp_pagesize);
			uint64_t unit = thp ? thp : PAGE;
			uint64_t extra = (top_size - MINSIZE - 1) / unit * unit;

			/* systrim gives nothing back when something else moved brk past top. */
			if (!r->loc->heap_end || r->loc->heap_end == top + top_size)
				st->trimmable_bytes += extra;
		}
	}
	return 0;
}

/*
 * Chunks in anonymous mappings that start with an IS_MMAPPED header of a page-multiple size
 * fitting the mapping: mmapped chunks are linked nowhere, this is the only way to find them.
 * The kernel merges adjacent anonymous mappings, so each mapping is followed chunk to
 * chunk; a scan also starts where a thread heap's read-write part ends.  Missed: chunks
 * from memalign with a non-zero prev_size, chunks inside a mapping after non-chunk data.
 */
int glibc_scan_mmapped(struct reader *r)
{
	struct hs_glibc_heap *heap = r->heap;
	const struct hs_maps *maps = &r->tm->maps;

	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *map = &maps->items[i];
		uint64_t starts[2] = { map->start, 0 };

		if (map->path[0] || map->executable)
			continue;
		for (size_t k = 0; k < heap->region_count; k++) {
			uint64_t h = heap->regions[k].first & ~(r->l->heap_max_bytes - 1), size;

			if (heap->regions[k].arena && h >= map->start && h < map->end &&
			    !hs_tm_read_u64(r->tm, h + r->l->hi_mprotect_size, &size))
				starts[1] = h + size;
		}
		for (int s = 0; s < 2; s++) {
			uint64_t p = starts[s];

			while (p && p + 16 <= map->end) {
				uint64_t hdr[2], sz, *bigger;

				if (hs_tm_read(r->tm, p, hdr, sizeof(hdr)))
					break;
				sz = hdr[1] & ~SIZE_BITS;
				if (hdr[0] != 0 || !(hdr[1] & IS_MMAPPED) || (hdr[1] & 5) || !sz ||
				    (sz & (PAGE - 1)) || sz > map->end - p)
					break;
				heap->mmapped_found_chunks++;
				heap->mmapped_found_bytes += sz;
				/* Few: one realloc per chunk found is fine. */
				bigger = realloc(heap->mmapped,
						 (heap->mmapped_count + 2) * sizeof(uint64_t));
				if (!bigger)
					return -ENOMEM;
				heap->mmapped = bigger;
				heap->mmapped[heap->mmapped_count++] = p;
				heap->mmapped[heap->mmapped_count++] = sz;
				p += sz;
			}
		}
	}
	return 0;
}
