// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * glibc_lists.c - the lists glibc keeps free chunks in: fastbins (safe-linked), the threads'
 * tcaches found in the heap, and the unsorted, small and large bins, checked against the walk's
 * table of free chunks.
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

int glibc_arena_of(struct reader *r, uint64_t addr)
{
	for (size_t i = 0; i < r->heap->region_count; i++) {
		const struct hs_glibc_region *reg = &r->heap->regions[i];

		if (addr >= reg->first && addr < reg->end)
			return (int)reg->arena;
	}
	return -1;
}

uint64_t glibc_reveal(const struct hs_glibc_layout *l, uint64_t slot, uint64_t stored)
{
	return l->safe_linking ? (slot >> 12) ^ stored : stored;
}

/* Fastbin i of arena a: singly linked through fd (mangled), each chunk of one size. */
int glibc_read_fastbins(struct reader *r, uint32_t a)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_arena_stats *st = &r->heap->arenas[a];
	int err = 0;

	for (uint32_t i = 0; i < l->nfastbins && !err; i++) {
		uint64_t p = glibc_arena_u64(r, a, l->ms_fastbins + 8 * i), n = 0;
		struct brent b = { 0, 1, 0 };

		while (p && !err) {
			uint64_t size, fd, triple[3];

			if ((p & 15) || ++n > glibc_max_list(st) || glibc_brent_step(&b, p) ||
			    hs_tm_read_u64(r->tm, p + 8, &size) ||
			    ((size & ~SIZE_BITS) >> 4) - 2 != i ||
			    hs_tm_read_u64(r->tm, p + 16, &fd)) {
				glibc_note(r->heap, true, "arena %u: fastbin %u: chunk 0x%llx is damaged "
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
			p = glibc_reveal(l, p + 16, fd);
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
int glibc_read_tcache(struct reader *r, uint64_t chunk, bool first_of_heap)
{
	const struct hs_glibc_layout *l = r->l;
	uint32_t bins = l->tcache_bins;
	unsigned char buf[2 * 64 + 8 * 64];
	struct hs_glibc_tcache tc = { .addr = chunk + 16 };
	uint64_t key = r->tcache_key, *entries = NULL;
	size_t entry_count = 0;
	int err = 0, arena = glibc_arena_of(r, chunk);

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
			e = glibc_reveal(l, e, next);
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
void glibc_read_bins(struct reader *r, uint32_t a)
{
	const struct hs_glibc_layout *l = r->l;
	struct hs_glibc_arena_stats *st = &r->heap->arenas[a];
	uint64_t budget = glibc_max_list(st);

	for (uint32_t i = 1; i < l->nbins; i++) {
		uint64_t bin = st->addr + l->ms_bins + (i - 1) * 16 - 16;
		uint64_t p = glibc_arena_u64(r, a, l->ms_bins + (i - 1) * 16), prev = bin;

		while (p != bin) {
			struct free_chunk *fc = glibc_find_free(r, p);

			if (!fc || fc->listed || fc->bk != prev || fc->arena != a || !budget--) {
				glibc_note(r->heap, true, "arena %u: bin %u: 0x%llx (after 0x%llx) is %s", a,
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
