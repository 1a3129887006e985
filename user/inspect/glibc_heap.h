/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_INSPECT_GLIBC_HEAP_H
#define HEAPSCOPE_INSPECT_GLIBC_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inspect/target_memory.h"
#include "target/objects.h"
#include "target/proc.h"

/*
 * glibc malloc's state, read from outside the process: where main_arena and mp_ are
 * (glibc_locate.c), and what the arenas hold (glibc_heap.c).
 */

/* Offsets (bytes) of the fields heapscope reads, for one family of glibc versions (x86_64). */
struct hs_glibc_layout {
	const char *versions; /* "2.35-2.36": the versions this table was checked against */
	/* struct malloc_state */
	uint32_t ms_size, ms_fastbins, ms_top, ms_bins, ms_next, ms_system_mem;
	uint32_t nfastbins, nbins;
	/* struct malloc_par (mp_) */
	uint32_t mp_size, mp_trim_threshold, mp_top_pad, mp_mmap_threshold, mp_arena_test,
		mp_arena_max, mp_thp_pagesize, mp_n_mmaps, mp_n_mmaps_max, mp_no_dyn_threshold,
		mp_mmapped_mem, mp_sbrk_base, mp_tcache_count;
	/* heap_info */
	uint32_t hi_size_of, hi_ar_ptr, hi_prev, hi_size, hi_mprotect_size;
	uint64_t heap_max_bytes; /* HEAP_MAX_SIZE: thread heaps are aligned to it */
	/* tcache_perthread_struct: uint16_t counts[bins], then the entries */
	uint32_t tcache_bins, tcache_chunk_bytes;
	bool safe_linking; /* 2.32+: fastbin and tcache next pointers are mangled */
};

const struct hs_glibc_layout *hs_glibc_layout_for(const char *version);

enum hs_glibc_method {
	HS_GLIBC_BY_SYMBOLS = 1, /* main_arena and mp_ from the debug file's .symtab */
	HS_GLIBC_BY_CODE,	 /* decoded from libc's exported malloc functions, then validated */
	HS_GLIBC_GIVEN,		 /* the caller said where (images) */
};

struct hs_glibc_locate_options {
	struct hs_objects *objects; /* libc's file and its debug file, opened once */
	bool no_debug_file; /* find the state from code alone, as on a host without libc6-dbg */
};

struct hs_glibc_location {
	const struct hs_glibc_layout *layout;
	enum hs_glibc_method method;
	char version[32];	 /* "2.36" */
	char libc_path[HS_PATH_MAX]; /* as the target maps it */
	char detail[256];	 /* how: the debug file's path, or which functions were decoded */
	uint64_t load_bias;	 /* runtime address = ELF vaddr + load_bias */
	uint64_t main_arena, mp; /* runtime addresses in the target */
	uint64_t heap_end;	 /* end of the [heap] (brk) mapping, 0 if unknown: systrim's test */
};

int hs_glibc_locate(struct hs_target_memory *tm, const struct hs_glibc_locate_options *opt,
		    struct hs_glibc_location *loc, char *why, size_t why_len);
int hs_glibc_check_arena(struct hs_target_memory *tm, const struct hs_glibc_layout *layout,
			 uint64_t main_arena, char *why, size_t why_len);
int hs_glibc_check_mp(struct hs_target_memory *tm, const struct hs_glibc_layout *layout,
		      uint64_t mp, char *why, size_t why_len);

/* What one arena holds; in hs_glibc_heap.total, the sums over arenas. */
struct hs_glibc_arena_stats {
	uint64_t addr;
	uint64_t system_bytes; /* system_mem */
	uint64_t in_use_bytes; /* system - top - fastbins - bins; tcache chunks count as in use */
	uint64_t top_bytes;
	uint64_t fastbin_chunks, fastbin_bytes;
	uint64_t bin_chunks, bin_bytes; /* unsorted + small + large */
	uint64_t bin_bytes_as_stored;	/* malloc_info's sum: size fields with their flag bits */
	uint64_t tcache_chunks, tcache_bytes;
	uint64_t trimmable_bytes;     /* what malloc_trim(0) would give back from this arena */
	uint64_t free_resident_bytes; /* of top + fastbins + bins, the bytes on resident pages */
	uint64_t in_use_chunks;	      /* seen by the walk, tcache and fastbin chunks excluded */
	uint32_t heaps;		      /* 1 for the main arena; thread arenas: heap_info count */
	uint32_t tcaches;	      /* tcache_perthread_structs found in this arena */
};

/* One stretch of chunks a walk covers: [first, end), end being top or the heap's end. */
struct hs_glibc_region {
	uint64_t first, end;
	uint32_t arena;
	bool ends_at_top;
	bool walked; /* the walk reached end without damage */
};

struct hs_glibc_tcache {
	uint64_t addr; /* the tcache_perthread_struct (user address of its chunk) */
	uint32_t arena;
	uint64_t chunks, bytes;
};

#define HS_GLIBC_MAX_ARENAS 4096
#define HS_GLIBC_MAX_HEAPS_PER_ARENA 65536
#define HS_GLIBC_ATTEMPTS 3

/* An in-use chunk the read's walk kept (24 bytes), so that a census need not read it again. */
struct hs_glibc_kept {
	uint64_t chunk;
	uint64_t first_word; /* the block's first 8 bytes, as the walk read them */
	uint32_t size_16;    /* chunk size / 16 */
	uint32_t arena;
};

/* Kept chunks at most (96 MiB of them); a bigger heap's census walks the chunks again. */
#define HS_GLIBC_MAX_KEPT (1u << 22)

struct hs_glibc_read_options {
	bool keep_in_use; /* keep the walk's in-use chunks for hs_glibc_heap_for_each_block */
};

struct hs_glibc_heap {
	struct hs_glibc_arena_stats *arenas;
	size_t arena_count;
	struct hs_glibc_arena_stats total;
	uint64_t mmapped_chunks, mmapped_bytes;		/* mp_.n_mmaps, mp_.mmapped_mem: exact */
	uint64_t mmapped_found_chunks, mmapped_found_bytes; /* found by the mapping scan */
	struct hs_glibc_tcache *tcaches;
	size_t tcache_count;
	uint32_t attempts;	/* reads of the whole state, at most HS_GLIBC_ATTEMPTS */
	bool consistent;	/* the last read saw one unchanging, self-consistent state */
	bool damaged;		/* an inconsistency that stayed while the arenas stood still */
	bool partial;		/* some list or walk was cut short: figures are lower bounds */
	char reason[512];	/* why not consistent / partial / damaged; "" when all is well */
	/* for hs_glibc_heap_for_each_in_use */
	struct hs_glibc_region *regions;
	size_t region_count;
	uint64_t *cached_chunks; /* fastbin + tcache chunks (look in use, are free), sorted */
	size_t cached_chunk_count;
	uint64_t *mmapped; /* chunk address, size pairs found by the mapping scan */
	size_t mmapped_count;
	struct hs_glibc_kept *kept; /* keep_in_use: the walk's in-use chunks, in address order */
	size_t kept_count;
	bool kept_all; /* every walked region's in-use chunks are in kept[] */
};

/* 0: heap holds the state, freed with hs_glibc_heap_free; an error: nothing to free. */
int hs_glibc_heap_read(struct hs_target_memory *tm, const struct hs_glibc_location *loc,
		       struct hs_glibc_heap *heap);
int hs_glibc_heap_read_with(struct hs_target_memory *tm, const struct hs_glibc_location *loc,
			    const struct hs_glibc_read_options *opt, struct hs_glibc_heap *heap);
void hs_glibc_heap_free(struct hs_glibc_heap *heap);

/* Called for each in-use chunk: user address, usable size, arena index (-1: mmapped). */
typedef int (*hs_glibc_chunk_fn)(void *ctx, uint64_t user_addr, uint64_t usable_bytes,
				 int arena);
int hs_glibc_heap_for_each_in_use(struct hs_target_memory *tm, const struct hs_glibc_location *loc,
				  const struct hs_glibc_heap *heap, hs_glibc_chunk_fn fn, void *ctx);

/* An in-use block, with its first word when the read kept it (no read needed for a type). */
struct hs_glibc_block {
	uint64_t user_addr, usable_bytes;
	uint64_t first_word;
	bool first_word_known;
	int arena; /* -1: mmapped */
};

typedef int (*hs_glibc_block_fn)(void *ctx, const struct hs_glibc_block *block);
int hs_glibc_heap_for_each_block(struct hs_target_memory *tm, const struct hs_glibc_heap *heap,
				 hs_glibc_block_fn fn, void *ctx);

#endif
