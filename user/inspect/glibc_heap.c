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

#define MINSIZE 32
#define PREV_INUSE 1ull
#define IS_MMAPPED 2ull
#define SIZE_BITS 7ull
#define PAGE 4096ull

struct free_chunk {
	uint64_t addr, size_field, fd, bk;
	uint32_t arena;
	bool listed; /* found in a bin */
};

/* One attempt's working state. */
struct reader {
	struct hs_target_memory *tm;
	const struct hs_glibc_location *loc;
	const struct hs_glibc_layout *l;
	struct hs_glibc_heap *heap;
	unsigned char *arena_bufs; /* arena_count * ms_size, as first read */
	unsigned char mp_buf[256];
	struct free_chunk *free;
	size_t free_count, free_cap;
	uint64_t *tcache_cand; /* in-use chunks of the tcache struct's size */
	size_t tcache_cand_count, tcache_cand_cap;
	uint64_t *cached; /* fastbin and tcache chunk addresses */
	size_t cached_count, cached_cap;
	uint64_t *fast; /* fastbin chunk (addr, size, arena) triples for trimming */
	size_t fast_count, fast_cap;
	uint64_t *bit_in_use; /* per arena: chunks the walk saw with PREV_INUSE set after */
	bool keep;	      /* keep the in-use chunks (hs_glibc_read_options.keep_in_use) */
	bool kept_overflow;   /* more than HS_GLIBC_MAX_KEPT: none kept */
	struct hs_glibc_kept *kept;
	size_t kept_count, kept_cap;
	size_t free_hint;     /* the free table entry found last (bins run in address order) */
	uint8_t **present; /* per region: its pages' residency, read before the walk */
	uint64_t *present_pages; /* per region: entries in present[i] */
	uint64_t tcache_key;
	bool inconsistent; /* lists disagree with the walk: maybe a change under us */
};

static uint64_t u64_at(const unsigned char *buf, uint32_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* The first reason is kept: later ones are usually its consequences. */
static void note(struct hs_glibc_heap *heap, bool partial, const char *fmt, ...)
{
	va_list ap;

	if (partial)
		heap->partial = true;
	if (heap->reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(heap->reason, sizeof(heap->reason), fmt, ap);
	va_end(ap);
}

static int push(void **items, size_t *count, size_t *cap, size_t item_size, const void *item)
{
	if (*count == *cap) {
		size_t new_cap = *cap ? 2 * *cap : 256;
		void *bigger = realloc(*items, new_cap * item_size);

		if (!bigger)
			return -ENOMEM;
		*items = bigger;
		*cap = new_cap;
	}
	memcpy((char *)*items + *count * item_size, item, item_size);
	(*count)++;
	return 0;
}

/* Inline while there is room: the walk pushes a million chunks, the call was a sixth of it. */
#define PUSH(r, arr, val)                                                                    \
	((r)->arr##_count < (r)->arr##_cap                                                   \
		 ? ((r)->arr[(r)->arr##_count++] = (val), 0)                                 \
		 : push((void **)&(r)->arr, &(r)->arr##_count, &(r)->arr##_cap,             \
			sizeof(*(r)->arr), &(val)))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_free(const void *a, const void *b)
{
	return cmp_u64(&((const struct free_chunk *)a)->addr, &((const struct free_chunk *)b)->addr);
}

/*
 * A bin lists its chunks mostly in (or against) address order: try the neighbours of the
 * last one found before a binary search (a million bsearches were a tenth of an inspect).
 */
static struct free_chunk *find_free(struct reader *r, uint64_t addr)
{
	struct free_chunk key = { .addr = addr }, *fc;
	size_t h = r->free_hint;

	if (!r->free_count)
		return NULL; /* bsearch must not see a NULL array */
	if (h + 1 < r->free_count && r->free[h + 1].addr == addr)
		fc = &r->free[h + 1];
	else if (h > 0 && h - 1 < r->free_count && r->free[h - 1].addr == addr)
		fc = &r->free[h - 1];
	else
		fc = bsearch(&key, r->free, r->free_count, sizeof(*r->free), cmp_free);
	if (fc)
		r->free_hint = (size_t)(fc - r->free);
	return fc;
}

/* The walk finds free chunks in address order, region after region: often sorted already. */
static bool sorted_free(const struct reader *r)
{
	for (size_t i = 1; i < r->free_count; i++)
		if (r->free[i - 1].addr >= r->free[i].addr)
			return false;
	return true;
}

static bool is_cached(const uint64_t *set, size_t count, uint64_t addr)
{
	return count && bsearch(&addr, set, count, sizeof(*set), cmp_u64) != NULL;
}

/* Brent's cycle test: call for each node; true when a node came back. */
struct brent {
	uint64_t tortoise, power, lambda;
};

static bool brent_step(struct brent *b, uint64_t node)
{
	if (node == b->tortoise)
		return true;
	if (b->power == b->lambda) {
		b->tortoise = node;
		b->power *= 2;
		b->lambda = 0;
	}
	b->lambda++;
	return false;
}

static uint64_t max_list(const struct hs_glibc_arena_stats *a)
{
	return a->system_bytes / MINSIZE + 1;
}

static uint64_t arena_u64(struct reader *r, size_t arena, uint32_t off)
{
	return u64_at(r->arena_bufs + arena * r->l->ms_size, off);
}

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
			note(heap, true, "more than %d arenas: the ring is cut", HS_GLIBC_MAX_ARENAS);
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
			note(heap, true, "arena %zu at 0x%llx is not readable", heap->arena_count,
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

static int add_region(struct reader *r, uint64_t first, uint64_t end, uint32_t arena, bool top)
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
	uint64_t top = arena_u64(r, i, l->ms_top), h, prev;

	if (i == 0) {
		uint64_t base = u64_at(r->mp_buf, l->mp_sbrk_base);
		/* sysmalloc aligns the first chunk so that its user memory is 16-aligned. */
		uint64_t first = ((base + 16 + 15) & ~15ull) - 16;

		a->heaps = 1;
		if (!base || top < first || !hs_tm_readable(r->tm, first, top - first)) {
			note(r->heap, true, "main arena: top 0x%llx is not above sbrk_base 0x%llx in one"
			     " mapping (non-contiguous main arena: not walked)",
			     (unsigned long long)top, (unsigned long long)base);
			return 0;
		}
		return add_region(r, first, top, 0, true);
	}
	for (h = top & ~(l->heap_max_bytes - 1); h; h = prev) {
		uint64_t ar_ptr, size, first;
		bool has_top = top - h < l->heap_max_bytes;
		int err;

		if (a->heaps == HS_GLIBC_MAX_HEAPS_PER_ARENA || (h & (l->heap_max_bytes - 1)) ||
		    hs_tm_read_u64(r->tm, h + l->hi_ar_ptr, &ar_ptr) || ar_ptr != a->addr ||
		    hs_tm_read_u64(r->tm, h + l->hi_prev, &prev) ||
		    hs_tm_read_u64(r->tm, h + l->hi_size, &size) || size > l->heap_max_bytes) {
			note(r->heap, true, "arena %u: heap_info at 0x%llx is damaged", i,
			     (unsigned long long)h);
			return 0;
		}
		a->heaps++;
		/* The arena's own first heap holds the malloc_state after heap_info. */
		first = h + l->hi_size_of;
		if (a->addr == first)
			first = ((a->addr + l->ms_size + 16 + 15) & ~15ull) - 16;
		err = add_region(r, first, has_top ? top : h + size, i, has_top);
		if (err)
			return err;
	}
	return 0;
}

/* An in-use chunk for the census to replay; past HS_GLIBC_MAX_KEPT, none are kept. */
static int keep_chunk(struct reader *r, uint64_t p, uint64_t sz, uint64_t first_word,
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
			note(r->heap, true, "arena %u: chunk at 0x%llx has a bad size 0x%llx",
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
				note(r->heap, false, "arena %u: free chunk 0x%llx: size 0x%llx but the"
				     " next chunk's prev_size says 0x%llx", reg->arena,
				     (unsigned long long)p, (unsigned long long)sz,
				     (unsigned long long)u64_at(hdr, 0));
			err = PUSH(r, free, fc);
		} else {
			r->bit_in_use[reg->arena]++;
			if (sz == l->tcache_chunk_bytes)
				err = PUSH(r, tcache_cand, p);
			if (!err && r->keep)
				err = keep_chunk(r, p, sz, words[0], reg->arena);
		}
		p += sz;
	}
	if (!err && p == reg->end)
		reg->walked = true;
	else if (err && err != -ENOMEM) {
		note(r->heap, true, "arena %u: chunk walk stopped at 0x%llx (%s)", reg->arena,
		     (unsigned long long)p, strerror(-err));
		err = 0;
	}
	hs_tm_window_free(&win);
	return err;
}

static int arena_of(struct reader *r, uint64_t addr)
{
	for (size_t i = 0; i < r->heap->region_count; i++) {
		const struct hs_glibc_region *reg = &r->heap->regions[i];

		if (addr >= reg->first && addr < reg->end)
			return (int)reg->arena;
	}
	return -1;
}

static uint64_t reveal(const struct hs_glibc_layout *l, uint64_t slot, uint64_t stored)
{
	return l->safe_linking ? (slot >> 12) ^ stored : stored;
}

/* Fastbin i of arena a: singly linked through fd (mangled), each chunk of one size. */
static int read_fastbins(struct reader *r, uint32_t a)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_arena_stats *st = &r->heap->arenas[a];
	int err = 0;

	for (uint32_t i = 0; i < l->nfastbins && !err; i++) {
		uint64_t p = arena_u64(r, a, l->ms_fastbins + 8 * i), n = 0;
		struct brent b = { 0, 1, 0 };

		while (p && !err) {
			uint64_t size, fd, triple[3];

			if ((p & 15) || ++n > max_list(st) || brent_step(&b, p) ||
			    hs_tm_read_u64(r->tm, p + 8, &size) ||
			    ((size & ~SIZE_BITS) >> 4) - 2 != i ||
			    hs_tm_read_u64(r->tm, p + 16, &fd)) {
				note(r->heap, true, "arena %u: fastbin %u: chunk 0x%llx is damaged "
				     "(misaligned, wrong size, unreadable or a cycle)", a, i,
				     (unsigned long long)p);
				r->inconsistent = true;
				break;
			}
			st->fastbin_chunks++;
			st->fastbin_bytes += size & ~SIZE_BITS;
			triple[0] = p;
			triple[1] = size & ~SIZE_BITS;
			triple[2] = a;
			for (int k = 0; k < 3 && !err; k++)
				err = PUSH(r, fast, triple[k]);
			if (!err)
				err = PUSH(r, cached, p);
			p = reveal(l, p + 16, fd);
		}
	}
	return err;
}

/*
 * A candidate tcache_perthread_struct: every count matches its list, every entry is a
 * chunk of its bin's size whose key is the process's tcache_key (the same in every entry).
 * Nothing else in a heap looks like that; an all-empty one is believed only as the first
 * chunk of a heap, where tcache_init puts it.
 */
static int read_tcache(struct reader *r, uint64_t chunk, bool first_of_heap)
{
	const struct hs_glibc_layout *l = r->l;
	uint32_t bins = l->tcache_bins;
	unsigned char buf[2 * 64 + 8 * 64];
	struct hs_glibc_tcache tc = { .addr = chunk + 16 };
	uint64_t key = r->tcache_key, *entries = NULL;
	size_t entry_count = 0;
	int err = 0, arena = arena_of(r, chunk);

	if (bins > 64 || arena < 0 || hs_tm_read_cached(r->tm, chunk + 16, buf, 10 * bins))
		return 0;
	tc.arena = (uint32_t)arena;
	entries = calloc(7 * 64 + 1, sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	for (uint32_t i = 0; i < bins; i++) {
		uint16_t count;
		uint64_t e = u64_at(buf, 2 * bins + 8 * i);

		memcpy(&count, buf + 2 * i, 2);
		if (count > u64_at(r->mp_buf, l->mp_tcache_count) || (count == 0) != (e == 0))
			goto no;
		for (uint16_t k = 0; k < count; k++) {
			uint64_t size, next, e_key;

			if ((e & 15) || hs_tm_read_u64(r->tm, e - 8, &size) ||
			    (size & ~SIZE_BITS) != 32 + 16ull * i ||
			    hs_tm_read_u64(r->tm, e, &next) || hs_tm_read_u64(r->tm, e + 8, &e_key) ||
			    (key && e_key != key) || !e_key)
				goto no;
			key = e_key;
			if (entry_count < 7 * 64)
				entries[entry_count++] = e - 16;
			tc.chunks++;
			tc.bytes += size & ~SIZE_BITS;
			e = reveal(l, e, next);
		}
		if (e != 0)
			goto no;
	}
	if (!tc.chunks && !first_of_heap)
		goto no;
	r->tcache_key = key;
	for (size_t i = 0; i < entry_count && !err; i++)
		err = PUSH(r, cached, entries[i]);
	if (!err) {
		void *bigger = realloc(r->heap->tcaches,
				       (r->heap->tcache_count + 1) * sizeof(*r->heap->tcaches));

		if (!bigger)
			err = -ENOMEM;
		else {
			r->heap->tcaches = bigger;
			r->heap->tcaches[r->heap->tcache_count++] = tc;
			r->heap->arenas[tc.arena].tcaches++;
			r->heap->arenas[tc.arena].tcache_chunks += tc.chunks;
			r->heap->arenas[tc.arena].tcache_bytes += tc.bytes;
		}
	}
no:
	free(entries);
	return err;
}

/* Bins 1 (unsorted) .. nbins-1, doubly linked, followed in the walk's free table. */
static void read_bins(struct reader *r, uint32_t a)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_arena_stats *st = &r->heap->arenas[a];
	uint64_t budget = max_list(st);

	for (uint32_t i = 1; i < l->nbins; i++) {
		uint64_t bin = st->addr + l->ms_bins + (i - 1) * 16 - 16;
		uint64_t p = arena_u64(r, a, l->ms_bins + (i - 1) * 16), prev = bin;

		while (p != bin) {
			struct free_chunk *fc = find_free(r, p);

			if (!fc || fc->listed || fc->bk != prev || fc->arena != a || !budget--) {
				note(r->heap, true, "arena %u: bin %u: 0x%llx (after 0x%llx) is %s", a,
				     i, (unsigned long long)p, (unsigned long long)prev,
				     !fc ? "not a free chunk of this heap"
					 : fc->listed ? "listed twice (a cycle)"
						      : "linked back wrongly (bk)");
				r->inconsistent = true;
				break;
			}
			fc->listed = true;
			st->bin_chunks++;
			st->bin_bytes += fc->size_field & ~SIZE_BITS;
			st->bin_bytes_as_stored += fc->size_field;
			prev = p;
			p = fc->fd;
		}
	}
}

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
static int read_present(struct reader *r, size_t i)
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
	return cmp_u64(a, b);
}

/* The free and fastbin chunks of one region in address order, from the two sorted tables. */
struct run_cursor {
	const struct reader *r;
	size_t i, f; /* next in free[], next triple in fast[] */
	uint64_t end;
};

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
static int trim_and_resident(struct reader *r)
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
		/* Top may have moved since read_present: only its pages are known. */
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
static int scan_mmapped(struct reader *r)
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
		err = read_present(r, i);
	for (size_t i = 0; i < heap->region_count && !err; i++)
		err = walk_region(r, &heap->regions[i]);
	if (err)
		return err;
	if (!sorted_free(r))
		qsort(r->free, r->free_count, sizeof(*r->free), cmp_free);
	for (uint32_t i = 0; i < heap->arena_count && !err; i++)
		err = read_fastbins(r, i);
	for (size_t i = 0; i < r->tcache_cand_count && !err; i++) {
		bool first = false;

		for (size_t k = 0; k < heap->region_count; k++)
			first |= heap->regions[k].first == r->tcache_cand[i];
		err = read_tcache(r, r->tcache_cand[i], first);
	}
	if (err)
		return err;
	for (uint32_t i = 0; i < heap->arena_count; i++)
		read_bins(r, i);
	for (size_t i = 0; i < r->free_count; i++)
		if (!r->free[i].listed) {
			note(heap, false, "arena %u: free chunk 0x%llx is in no bin", r->free[i].arena,
			     (unsigned long long)r->free[i].addr);
			r->inconsistent = true;
		}
	if (r->cached_count) /* qsort must not see a NULL array either */
		qsort(r->cached, r->cached_count, sizeof(*r->cached), cmp_u64);
	err = trim_and_resident(r);
	if (!err)
		err = scan_mmapped(r);
	if (err)
		return err;
	heap->mmapped_chunks = (uint32_t)u64_at(r->mp_buf, l->mp_n_mmaps);
	heap->mmapped_bytes = u64_at(r->mp_buf, l->mp_mmapped_mem);
	for (uint32_t i = 0; i < heap->arena_count; i++) {
		struct hs_glibc_arena_stats *st = &heap->arenas[i];
		uint64_t top = arena_u64(r, i, l->ms_top), top_size = 0, free_bytes;

		if (!hs_tm_read_u64(r->tm, top + 8, &top_size))
			st->top_bytes = top_size & ~SIZE_BITS;
		free_bytes = st->top_bytes + st->fastbin_bytes + st->bin_bytes;
		st->in_use_bytes = st->system_bytes > free_bytes ? st->system_bytes - free_bytes : 0;
		st->in_use_chunks = r->bit_in_use[i];
	}
	/* Fastbin and tcache chunks look in use to the walk: take them out of the count. */
	for (size_t i = 0; i < r->cached_count; i++) {
		int a = arena_of(r, r->cached[i]);

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
			note(heap, false, "the arenas changed while they were read");
		reader_free(&r);
		if (err || heap->consistent)
			break;
	}
	if (err)
		return err;
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
			    !is_cached(heap->cached_chunks, heap->cached_chunk_count, p)) {
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

		if (!is_cached(heap->cached_chunks, heap->cached_chunk_count, k->chunk))
			err = fn(ctx, &b);
	}
	for (size_t i = 0; i + 1 < heap->mmapped_count && !err; i += 2) {
		struct hs_glibc_block b = { heap->mmapped[i] + 16, heap->mmapped[i + 1] - 16, 0,
					    false, -1 };

		err = fn(ctx, &b);
	}
	return err;
}

struct chunk_adapter {
	hs_glibc_chunk_fn fn;
	void *ctx;
};

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
