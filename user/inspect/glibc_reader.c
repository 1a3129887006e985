// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * glibc_reader.c - the small helpers every part of one read of glibc's state shares (see
 * glibc_reader.h): the reason notes, growable tables, the free-chunk table lookup, Brent's
 * cycle test, list bounds and arena fields.  Below glibc_heap.c, glibc_lists.c and
 * glibc_trim.c, so calls run one way: the read's files call these, never each other back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/glibc_reader.h"

/* The first reason is kept: later ones are usually its consequences. */
void glibc_note(struct hs_glibc_heap *heap, bool partial, const char *fmt, ...)
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

int glibc_push(void **items, size_t *count, size_t *cap, size_t item_size, const void *item)
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

int glibc_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int glibc_cmp_free(const void *a, const void *b)
{
	return glibc_cmp_u64(&((const struct free_chunk *)a)->addr, &((const struct free_chunk *)b)->addr);
}

/*
 * A bin lists its chunks mostly in (or against) address order: try the neighbours of the
 * last one found before a binary search (a million bsearches were a tenth of an inspect).
 */
struct free_chunk *glibc_find_free(struct reader *r, uint64_t addr)
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
		fc = bsearch(&key, r->free, r->free_count, sizeof(*r->free), glibc_cmp_free);
	if (fc)
		r->free_hint = (size_t)(fc - r->free);
	return fc;
}

/* The walk finds free chunks in address order, region after region: often sorted already. */
bool glibc_sorted_free(const struct reader *r)
{
	for (size_t i = 1; i < r->free_count; i++)
		if (r->free[i - 1].addr >= r->free[i].addr)
			return false;
	return true;
}

bool glibc_is_cached(const uint64_t *set, size_t count, uint64_t addr)
{
	return count && bsearch(&addr, set, count, sizeof(*set), glibc_cmp_u64) != NULL;
}

bool glibc_brent_step(struct brent *b, uint64_t node)
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

uint64_t glibc_max_list(const struct hs_glibc_arena_stats *a)
{
	return a->system_bytes / MINSIZE + 1;
}

uint64_t glibc_arena_u64(struct reader *r, size_t arena, uint32_t off)
{
	return u64_at(r->arena_bufs + arena * r->l->ms_size, off);
}
