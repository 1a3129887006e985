/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_INSPECT_GLIBC_READER_H
#define HEAPSCOPE_INSPECT_GLIBC_READER_H

/*
 * Private to inspect/glibc_*.c: one read's working state and the helpers the reader's files
 * share (glibc_heap.c reads the arenas and walks the chunks, glibc_lists.c follows fastbins,
 * tcaches and bins, glibc_trim.c works out trimmable and resident bytes and finds mmapped
 * chunks, glibc_blocks.c hands in-use chunks to callbacks).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* Brent's cycle test: call for each node; true when a node came back. */
struct brent {
	uint64_t tortoise, power, lambda;
};

static inline uint64_t u64_at(const unsigned char *buf, uint32_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* Inline while there is room: the walk pushes a million chunks, the call was a sixth of it. */
#define PUSH(r, arr, val)                                                                    \
	((r)->arr##_count < (r)->arr##_cap                                                   \
		 ? ((r)->arr[(r)->arr##_count++] = (val), 0)                                 \
		 : glibc_push((void **)&(r)->arr, &(r)->arr##_count, &(r)->arr##_cap,       \
			sizeof(*(r)->arr), &(val)))

void glibc_note(struct hs_glibc_heap *heap, bool partial, const char *fmt, ...);
int glibc_push(void **items, size_t *count, size_t *cap, size_t item_size, const void *item);
int glibc_cmp_u64(const void *a, const void *b);
int glibc_cmp_free(const void *a, const void *b);
struct free_chunk *glibc_find_free(struct reader *r, uint64_t addr);
bool glibc_sorted_free(const struct reader *r);
bool glibc_is_cached(const uint64_t *set, size_t count, uint64_t addr);
bool glibc_brent_step(struct brent *b, uint64_t node);
uint64_t glibc_max_list(const struct hs_glibc_arena_stats *a);
uint64_t glibc_arena_u64(struct reader *r, size_t arena, uint32_t off);
int glibc_arena_of(struct reader *r, uint64_t addr);
uint64_t glibc_reveal(const struct hs_glibc_layout *l, uint64_t slot, uint64_t stored);
int glibc_read_fastbins(struct reader *r, uint32_t a);
int glibc_read_tcache(struct reader *r, uint64_t chunk, bool first_of_heap);
void glibc_read_bins(struct reader *r, uint32_t a);
int glibc_read_present(struct reader *r, size_t i);
int glibc_trim_and_resident(struct reader *r);
int glibc_scan_mmapped(struct reader *r);

#endif
