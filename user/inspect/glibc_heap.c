// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * glibc_heap.c - what glibc malloc's arenas hold in a running process, read from outside.
 *
 * Owns: one read of the whole state (mp_, the ring of arenas, every arena's chunks from its
 * first to top, fastbins, bins, the tcaches found in the heap, mmapped chunks found in the
 * mappings), the figures malloc_info() would print, what malloc_trim(0) would give back,
 * how much free memory is resident, and each in-use chunk handed to a callback: replayed
 * from what the read's walk kept (keep_in_use), else walked again.
 * Does not own: where the state is (glibc_locate.c), how memory is read (target_memory.c).
 * Invariants: the target is never trusted.  Every address comes through hs_tm_* (bounded by
 * the mappings); every list has a length bound (system_mem / MINSIZE) and a cycle test
 * (Brent); every chunk size is checked (16-aligned, >= MINSIZE, inside its heap).  Damage
 * ends that list or walk, sets partial and a reason; it never loops or crashes.  The target
 * runs on while it is read: the arenas are read again at the end, and a read whose arenas
 * changed, or whose lists disagree with the walk, is done again (HS_GLIBC_ATTEMPTS in all).
 * Cost: the chunk walk copies each heap once, in HS_TM_WINDOW_BYTES windows; bins are
 * followed in the table of free chunks the walk built (no read per chunk); only fastbins
 * and tcaches, short by nature, are read chunk by chunk through the cache.  A census
 * replays the kept chunks (24 bytes each, HS_GLIBC_MAX_KEPT at most) with their first
 * words, so the heap is read once, not twice or three times.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/glibc_heap.h"
#include "inspect/glibc_reader.h"


/* The ring of arenas from main_arena through next; each read whole. */
static int read_arenas(struct reader *r)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_heap *heap = r->heap;
	uint64_t addr = r->loc->main_arena;
	size_t cap = 0;

	heap->arena_count = 0;
	do {
		if (heap->arena_count == HS_GLIBC_MAX_ARENAS) {
			glibc_note(heap, true, "more than %d arenas: the ring is cut", HS_GLIBC_MAX_ARENAS);
			break;
		}
		if (heap->arena_count == cap) {
			size_t new_cap = cap ? 2 * cap : 8;
			void *bufs = realloc(r->arena_bufs, new_cap * l->ms_size);
			void *stats = realloc(heap->arenas, new_cap * sizeof(*heap->arenas));

			if (bufs)
				r->arena_bufs = bufs;
			if (stats)
				heap->arenas = stats;
			if (!bufs || !stats)
				return -ENOMEM;
			cap = new_cap;
		}
		if (hs_tm_read(r->tm, addr, r->arena_bufs + heap->arena_count * l->ms_size,
			       l->ms_size)) {
			glibc_note(heap, true, "arena %zu at 0x%llx is not readable", heap->arena_count,
			     (unsigned long long)addr);
			break;
		}
		memset(&heap->arenas[heap->arena_count], 0, sizeof(heap->arenas[0]));
		heap->arenas[heap->arena_count].addr = addr;
		heap->arenas[heap->arena_count].system_bytes =
			u64_at(r->arena_bufs + heap->arena_count * l->ms_size, l->ms_system_mem);
		addr = u64_at(r->arena_bufs + heap->arena_count * l->ms_size, l->ms_next);
		heap->arena_count++;
	} while (addr != r->loc->main_arena);
	return 0;
}

static int glibc_add_region(struct reader *r, uint64_t first, uint64_t end, uint32_t arena,
			    bool top)
{
	struct hs_glibc_heap *heap = r->heap;
	void *bigger = realloc(heap->regions, (heap->region_count + 1) * sizeof(*heap->regions));

	if (!bigger)
		return -ENOMEM;
	heap->regions = bigger;
	heap->regions[heap->region_count++] = (struct hs_glibc_region){ first, end, arena, top };
	return 0;
}

/* The stretches of chunks of arena i: main from sbrk_base, thread arenas heap by heap. */
static int find_regions(struct reader *r, uint32_t i)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_arena_stats *a = &r->heap->arenas[i];
	uint64_t top = glibc_arena_u64(r, i, l->ms_top), h, prev;

	if (i == 0) {
		uint64_t base = u64_at(r->mp_buf, l->mp_sbrk_base);
		/* sysmalloc aligns the first chunk so that its user memory is 16-aligned. */
		uint64_t first = ((base + 16 + 15) & ~15ull) - 16;

		a->heaps = 1;
		if (!base || top < first || !hs_tm_readable(r->tm, first, top - first)) {
			glibc_note(r->heap, true, "main arena: top 0x%llx is not above sbrk_base 0x%llx in one"
			     " mapping (non-contiguous main arena: not walked)",
			     (unsigned long long)top, (unsigned long long)base);
			return 0;
		}
		return glibc_add_region(r, first, top, 0, true);
	}
	for (h = top & ~(l->heap_max_bytes - 1); h; h = prev) {
		uint64_t ar_ptr, size, first;
		bool has_top = top - h < l->heap_max_bytes;
		int err;

		if (a->heaps == HS_GLIBC_MAX_HEAPS_PER_ARENA || (h & (l->heap_max_bytes - 1)) ||
		    hs_tm_read_u64(r->tm, h + l->hi_ar_ptr, &ar_ptr) || ar_ptr != a->addr ||
		    hs_tm_read_u64(r->tm, h + l->hi_prev, &prev) ||
		    hs_tm_read_u64(r->tm, h + l->hi_size, &size) || size > l->heap_max_bytes) {
			glibc_note(r->heap, true, "arena %u: heap_info at 0x%llx is damaged", i,
			     (unsigned long long)h);
			return 0;
		}
		a->heaps++;
		/* The arena's own first heap holds the malloc_state after heap_info. */
		first = h + l->hi_size_of;
		if (a->addr == first)
			first = ((a->addr + l->ms_size + 16 + 15) & ~15ull) - 16;
		err = glibc_add_region(r, first, has_top ? top : h + size, i, has_top);
		if (err)
			return err;
	}
	return 0;
}

/* An in-use chunk for the census to replay; past HS_GLIBC_MAX_KEPT, none are kept. */
static int glibc_keep_chunk(struct reader *r, uint64_t p, uint64_t sz, uint64_t first_word,
		      uint32_t arena)
{
	struct hs_glibc_kept k = { p, first_word, (uint32_t)(sz / 16), arena };

	if (r->kept_overflow)
		return 0;
	if (r->kept_count == HS_GLIBC_MAX_KEPT || sz / 16 > UINT32_MAX) {
		r->kept_overflow = true;
		free(r->kept);
		r->kept = NULL;
		r->kept_count = r->kept_cap = 0;
		return 0;
	}
	return PUSH(r, kept, k);
}

/*
 * Walk one region chunk by chunk.  A chunk is free (in a bin, or about to be) when the
 * next chunk's PREV_INUSE is clear; those go to the free table with their fd/bk, so bins
 * are later followed without reading the target again.  An older heap of a thread arena
 * ends in a fencepost: a chunk of size 16, then a header of size 0.
 */
static int walk_region(struct reader *r, struct hs_glibc_region *reg)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_tm_window win;
	uint64_t p = reg->first;
	int err = hs_tm_window_init(&win, reg->first, reg->end + 16);

	while (!err && p < reg->end) {
		const unsigned char *hdr;
		uint64_t size, sz, next_size, words[2];

		err = hs_tm_window_at(r->tm, &win, p, 16, &hdr);
		if (err)
			break;
		size = u64_at(hdr, 8);
		sz = size & ~SIZE_BITS;
		if (sz == 16 && !reg->ends_at_top && p + 16 < reg->end) {
			uint64_t post;

			err = hs_tm_window_at(r->tm, &win, p + 16, 16, &hdr);
			post = err ? 1 : u64_at(hdr, 8) & ~SIZE_BITS;
			if (!err && post == 0) {
				reg->walked = true;
				break;
			}
		}
		if (sz < MINSIZE || (sz & 15) || sz > reg->end - p || (size & IS_MMAPPED)) {
			glibc_note(r->heap, true, "arena %u: chunk at 0x%llx has a bad size 0x%llx",
			     reg->arena, (unsigned long long)p, (unsigned long long)size);
			err = 0;
			break;
		}
		/* The chunk's first two words (fd/bk, or a block's first word) before the next
		 * header: read the other way round, a window refilled at the next header would
		 * be refilled again here, and the heap read twice. */
		err = hs_tm_window_at(r->tm, &win, p, 32, &hdr);
		if (err)
			break;
		words[0] = u64_at(hdr, 16);
		words[1] = u64_at(hdr, 24);
		err = hs_tm_window_at(r->tm, &win, p + sz, 16, &hdr);
		if (err)
			break;
		next_size = u64_at(hdr, 8);
		if (!(next_size & PREV_INUSE)) {
			struct free_chunk fc = { .addr = p, .size_field = size, .arena = reg->arena,
						 .fd = words[0], .bk = words[1] };

			if (u64_at(hdr, 0) != sz)
				glibc_note(r->heap, false, "arena %u: free chunk 0x%llx: size 0x%llx but the"
				     " next chunk's prev_size says 0x%llx", reg->arena,
				     (unsigned long long)p, (unsigned long long)sz,
				     (unsigned long long)u64_at(hdr, 0));
			err = PUSH(r, free, fc);
		} else {
			r->bit_in_use[reg->arena]++;
			if (sz == l->tcache_chunk_bytes)
				err = PUSH(r, tcache_cand, p);
			if (!err && r->keep)
				err = glibc_keep_chunk(r, p, sz, words[0], reg->arena);
		}
		p += sz;
	}
	if (!err && p == reg->end)
		reg->walked = true;
	else if (err && err != -ENOMEM) {
		glibc_note(r->heap, true, "arena %u: chunk walk stopped at 0x%llx (%s)", reg->arena,
		     (unsigned long long)p, strerror(-err));
		err = 0;
	}
	hs_tm_window_free(&win);
	return err;
}

static void reset(struct hs_glibc_heap *heap)
{
	uint32_t attempts = heap->attempts;

	hs_glibc_heap_free(heap);
	heap->attempts = attempts;
}

static void reader_free(struct reader *r)
{
	for (size_t i = 0; r->present && i < r->heap->region_count; i++)
		free(r->present[i]);
	free(r->present);
	free(r->present_pages);
	free(r->arena_bufs);
	free(r->free);
	free(r->tcache_cand);
	free(r->cached);
	free(r->fast);
	free(r->bit_in_use);
	free(r->kept);
	memset(r, 0, sizeof(*r));
}

/* Did the arenas or mp_ change while we read?  Compares what says where things are. */
static bool changed_meanwhile(struct reader *r)
{
	const struct hs_glibc_layout *l = r->l;
	unsigned char *now = malloc(l->ms_size);
	unsigned char mp_now[256];
	bool changed = false;

	if (!now)
		return true;
	hs_tm_forget_cache(r->tm);
	if (hs_tm_read(r->tm, r->loc->mp, mp_now, l->mp_size) ||
	    memcmp(mp_now + l->mp_n_mmaps, r->mp_buf + l->mp_n_mmaps, 4) ||
	    memcmp(mp_now + l->mp_mmapped_mem, r->mp_buf + l->mp_mmapped_mem, 8))
		changed = true;
	for (size_t i = 0; i < r->heap->arena_count && !changed; i++) {
		const unsigned char *then = r->arena_bufs + i * l->ms_size;

		/* From fastbinsY on: the mutex and flags change with every malloc call. */
		if (hs_tm_read(r->tm, r->heap->arenas[i].addr, now, l->ms_size) ||
		    memcmp(now + l->ms_fastbins, then + l->ms_fastbins, l->ms_size - l->ms_fastbins))
			changed = true;
	}
	free(now);
	return changed;
}

static int read_once(struct reader *r, bool *changed)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_heap *heap = r->heap;
	int err;

	hs_tm_forget_cache(r->tm);
	if (hs_tm_read(r->tm, r->loc->mp, r->mp_buf, l->mp_size))
		return -EFAULT;
	err = read_arenas(r);
	if (err)
		return err;
	r->bit_in_use = calloc(heap->arena_count + 1, sizeof(*r->bit_in_use));
	if (!r->bit_in_use)
		return -ENOMEM;
	for (uint32_t i = 0; i < heap->arena_count && !err; i++)
		err = find_regions(r, i);
	r->present = calloc(heap->region_count + 1, sizeof(*r->present));
	r->present_pages = calloc(heap->region_count + 1, sizeof(*r->present_pages));
	if (!r->present || !r->present_pages)
		return -ENOMEM;
	for (size_t i = 0; i < heap->region_count && !err; i++)
		err = glibc_read_present(r, i);
	for (size_t i = 0; i < heap->region_count && !err; i++)
		err = walk_region(r, &heap->regions[i]);
	if (err)
		return err;
	if (!glibc_sorted_free(r))
		qsort(r->free, r->free_count, sizeof(*r->free), glibc_cmp_free);
	for (uint32_t i = 0; i < heap->arena_count && !err; i++)
		err = glibc_read_fastbins(r, i);
	for (size_t i = 0; i < r->tcache_cand_count && !err; i++) {
		bool first = false;

		for (size_t k = 0; k < heap->region_count; k++)
			first |= heap->regions[k].first == r->tcache_cand[i];
		err = glibc_read_tcache(r, r->tcache_cand[i], first);
	}
	if (err)
		return err;
	for (uint32_t i = 0; i < heap->arena_count; i++)
		glibc_read_bins(r, i);
	for (size_t i = 0; i < r->free_count; i++)
		if (!r->free[i].listed) {
			glibc_note(heap, false, "arena %u: free chunk 0x%llx is in no bin", r->free[i].arena,
			     (unsigned long long)r->free[i].addr);
			r->inconsistent = true;
		}
	if (r->cached_count) /* qsort must not see a NULL array either */
		qsort(r->cached, r->cached_count, sizeof(*r->cached), glibc_cmp_u64);
	err = glibc_trim_and_resident(r);
	if (!err)
		err = glibc_scan_mmapped(r);
	if (err)
		return err;
	heap->mmapped_chunks = (uint32_t)u64_at(r->mp_buf, l->mp_n_mmaps);
	heap->mmapped_bytes = u64_at(r->mp_buf, l->mp_mmapped_mem);
	for (uint32_t i = 0; i < heap->arena_count; i++) {
		struct hs_glibc_arena_stats *st = &heap->arenas[i];
		uint64_t top = glibc_arena_u64(r, i, l->ms_top), top_size = 0, free_bytes;

		if (!hs_tm_read_u64(r->tm, top + 8, &top_size))
			st->top_bytes = top_size & ~SIZE_BITS;
		free_bytes = st->top_bytes + st->fastbin_bytes + st->bin_bytes;
		st->in_use_bytes = st->system_bytes > free_bytes ? st->system_bytes - free_bytes : 0;
		st->in_use_chunks = r->bit_in_use[i];
	}
	/* Fastbin and tcache chunks look in use to the walk: take them out of the count. */
	for (size_t i = 0; i < r->cached_count; i++) {
		int a = glibc_arena_of(r, r->cached[i]);

		if (a >= 0 && heap->arenas[a].in_use_chunks)
			heap->arenas[a].in_use_chunks--;
	}
	heap->cached_chunks = r->cached;
	heap->cached_chunk_count = r->cached_count;
	r->cached = NULL;
	heap->kept = r->kept;
	heap->kept_count = r->kept_count;
	heap->kept_all = r->keep && !r->kept_overflow;
	r->kept = NULL;
	*changed = changed_meanwhile(r);
	return 0;
}

static void add_stats(struct hs_glibc_arena_stats *t, const struct hs_glibc_arena_stats *a)
{
	t->system_bytes += a->system_bytes;
	t->in_use_bytes += a->in_use_bytes;
	t->top_bytes += a->top_bytes;
	t->fastbin_chunks += a->fastbin_chunks;
	t->fastbin_bytes += a->fastbin_bytes;
	t->bin_chunks += a->bin_chunks;
	t->bin_bytes += a->bin_bytes;
	t->bin_bytes_as_stored += a->bin_bytes_as_stored;
	t->tcache_chunks += a->tcache_chunks;
	t->tcache_bytes += a->tcache_bytes;
	t->trimmable_bytes += a->trimmable_bytes;
	t->free_resident_bytes += a->free_resident_bytes;
	t->in_use_chunks += a->in_use_chunks;
	t->heaps += a->heaps;
	t->tcaches += a->tcaches;
}

/*
 * Read the state until one read saw arenas that did not change under it and lists that
 * agree with the walk, at most HS_GLIBC_ATTEMPTS times.  The last read is kept.  When the
 * arenas stood still but the lists still disagreed, that is damage, not a race.
 */
int hs_glibc_heap_read_with(struct hs_target_memory *tm, const struct hs_glibc_location *loc,
			    const struct hs_glibc_read_options *opt, struct hs_glibc_heap *heap)
{
	int err = 0;

	memset(heap, 0, sizeof(*heap));
	if (!loc->layout || loc->layout->ms_size < loc->layout->ms_system_mem + 8 ||
	    loc->layout->mp_size > 256)
		return -EINVAL;
	while (heap->attempts < HS_GLIBC_ATTEMPTS) {
		struct reader r = { .tm = tm, .loc = loc, .l = loc->layout, .heap = heap,
				    .keep = opt && opt->keep_in_use };
		bool changed = true;

		/* Again after a race: the mappings may have moved too (brk, new heaps). */
		if (heap->attempts && (err = hs_tm_refresh(tm)))
			break;
		reset(heap);
		heap->attempts++;
		err = read_once(&r, &changed);
		heap->consistent = !err && !changed && !r.inconsistent && !heap->reason[0];
		heap->damaged = !err && !changed && (r.inconsistent || heap->partial);
		if (!err && changed && !heap->reason[0])
			glibc_note(heap, false, "the arenas changed while they were read");
		reader_free(&r);
		if (err || heap->consistent)
			break;
	}
	if (err) { /* nothing for the caller to free: every caller returns on an error */
		hs_glibc_heap_free(heap);
		return err;
	}
	for (size_t i = 0; i < heap->arena_count; i++)
		add_stats(&heap->total, &heap->arenas[i]);
	return 0;
}

int hs_glibc_heap_read(struct hs_target_memory *tm, const struct hs_glibc_location *loc,
		       struct hs_glibc_heap *heap)
{
	return hs_glibc_heap_read_with(tm, loc, NULL, heap);
}

void hs_glibc_heap_free(struct hs_glibc_heap *heap)
{
	free(heap->arenas);
	free(heap->regions);
	free(heap->tcaches);
	free(heap->cached_chunks);
	free(heap->mmapped);
	free(heap->kept);
	memset(heap, 0, sizeof(*heap));
}

