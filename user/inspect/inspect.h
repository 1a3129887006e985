/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_INSPECT_INSPECT_H
#define HEAPSCOPE_INSPECT_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inspect/glibc_heap.h"
#include "inspect/target_memory.h"
#include "target/objects.h"
#include "target/proc.h"

/* The allocator a process's malloc binds to, as the dynamic linker binds it. */
enum hs_allocator_kind {
	HS_ALLOCATOR_UNKNOWN,
	HS_ALLOCATOR_GLIBC,
	HS_ALLOCATOR_JEMALLOC,
	HS_ALLOCATOR_TCMALLOC,
	HS_ALLOCATOR_MIMALLOC,
};

const char *hs_allocator_name(enum hs_allocator_kind kind);

/* Size classes of the census: usable sizes up to 16 B, 32 B, ... 2^(3+N) B; the last class
 * holds everything larger. */
#define HS_CENSUS_SIZE_CLASSES 24
/* Types kept by the census, the most bytes first; the rest are summed as "other types". */
#define HS_CENSUS_MAX_TYPES 4096

struct hs_census_class {
	uint64_t max_bytes; /* usable size at most this; UINT64_MAX for the last class */
	uint64_t blocks, bytes;
};

struct hs_census_type {
	char *name; /* demangled class name, owned */
	uint64_t blocks, bytes;
};

/* The in-use heap by size class and by C++ type (a block whose first word points into a
 * class's vtable). */
struct hs_census {
	struct hs_census_class sizes[HS_CENSUS_SIZE_CLASSES];
	struct hs_census_type *types; /* sorted by bytes, descending, once finished */
	size_t type_count, type_cap;
	uint64_t blocks, bytes;		    /* every in-use block walked */
	uint64_t typed_blocks, typed_bytes; /* blocks whose type is known */
	uint64_t types_not_kept;	    /* distinct types beyond HS_CENSUS_MAX_TYPES */
};

/*
 * Names the C++ class whose vtable a heap block's first word points into, or NULL.  The
 * returned name lives at least as long as ctx.  (inspect/types.c provides one; the census
 * works without: then it has sizes only.)
 */
typedef const char *(*hs_type_name_fn)(void *ctx, uint64_t first_word);

struct hs_inspect_options {
	bool no_debug_file; /* find glibc's state from its code alone */
	bool census;	    /* walk every in-use chunk (sizes, types) */
	hs_type_name_fn type_name;
	void *type_ctx;
};

/* One process's allocator state, read from outside at one instant. */
struct hs_inspection {
	pid_t pid;
	char comm[32];
	enum hs_allocator_kind allocator;
	char allocator_path[HS_PATH_MAX]; /* the object malloc binds to, as the target sees it */
	bool heap_read;			  /* glibc's state was found and read */
	char reason[512];		  /* why it was not, or what is partial */
	struct hs_glibc_location loc;
	struct hs_glibc_heap heap;
	bool census_done;
	struct hs_census census;
	struct hs_proc_memory mem;
	uint32_t threads;
	double locate_ms, read_ms, census_ms;
	uint64_t syscalls, bytes_read; /* what the reads cost */
};

int hs_inspect_process(struct hs_objects *objects, pid_t pid, const struct hs_inspect_options *opts,
		       struct hs_inspection *insp);
void hs_inspection_free(struct hs_inspection *insp);

int hs_census_add(struct hs_census *census, uint64_t usable_bytes, const char *type);
void hs_census_finish(struct hs_census *census);
void hs_census_free(struct hs_census *census);

/* Bytes glibc holds free inside its arenas: top chunks, fastbins and bins (tcache apart). */
uint64_t hs_glibc_free_bytes(const struct hs_glibc_arena_stats *stats);

#endif
