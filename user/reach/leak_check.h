/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_REACH_LEAK_CHECK_H
#define HEAPSCOPE_REACH_LEAK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "analysis/profile.h"
#include "collect/live.h"
#include "inspect/glibc_heap.h"
#include "target/objects.h"
#include "inspect/types.h"
#include "reach/freeze.h"
#include "reach/mark.h"

/*
 * --leak-check: freeze the target briefly, then find the blocks no pointer reaches (see
 * leak_check.c).  Two steps for a session (the probes are switched off while the target is
 * stopped, the ring drained, then the live table is the node set); one call for inspect.
 */

enum hs_leak_roots {
	HS_LEAK_ROOTS_NONE = 0,
	HS_LEAK_ROOTS_GLIBC,	 /* glibc's arenas walked: not roots; their chunks are nodes */
	HS_LEAK_ROOTS_UNTRACKED, /* another allocator: memory heapscope cannot explain is a root */
};

struct hs_leak_config {
	pid_t pid;
	struct hs_objects *objects; /* libc, its debug file and every vtable's file, opened once */
	double max_pause_ms;
	hs_freeze_stopped_fn on_stopped; /* while stopped, after the copy (session: probes off) */
	void *ctx;
	bool no_debug_file; /* inspect --no-debug-file: glibc's state from its code alone */
};

/* The leaked blocks of one allocating stack (HS_NO_STACK: allocated before attach). */
struct hs_leak_stack {
	uint32_t stack_id;
	uint64_t blocks, bytes;
	uint64_t direct_blocks, direct_bytes;
	uint64_t live_blocks, live_bytes; /* of that stack, in the check's node set */
};

/* Unreachable blocks of one size (what the program asked for; usable bytes for walked chunks):
 * without stacks (heapscope inspect), a leak's size is what names it. */
struct hs_leak_size {
	uint64_t size_bytes;
	uint64_t blocks, bytes; /* every node of this size */
	uint64_t unreachable_blocks, unreachable_bytes, direct_blocks;
};

/* Sizes kept, the most unreachable bytes first; the others are in the totals only. */
#define HS_LEAK_MAX_SIZES 64

/* Blocks whose first word names a C++ class (a vtable pointer). */
struct hs_leak_type {
	char *name; /* owned by the result */
	uint64_t blocks, bytes;
	uint64_t unreachable_blocks, unreachable_bytes;
};

struct hs_leak_result {
	bool done;	  /* the check ran; else reason says why not */
	int error;	  /* -errno when not done */
	char reason[768]; /* why not, or what limited it */
	enum hs_leak_roots roots;
	char roots_detail[768];
	pid_t pid;
	double pause_ms, copy_ms, estimate_ms, analysis_ms;
	/* the analysis' steps (wall), and its CPU time: on a busy machine the wall time is
	 * mostly waiting for a CPU */
	double walk_ms, nodes_ms, roots_ms, mark_ms, analysis_cpu_ms;
	uint64_t copied_bytes, scanned_bytes, root_bytes;
	size_t threads;
	uint64_t nodes, node_bytes;		/* blocks the check knows */
	uint64_t untracked_nodes, untracked_bytes; /* of them from the heap walk (before attach) */
	uint64_t stale_blocks;			/* session blocks the walk shows free: dropped */
	uint64_t overlapping_blocks, unscanned_blocks;
	uint64_t unreachable_blocks, unreachable_bytes;
	uint64_t direct_blocks, direct_bytes, indirect_blocks, indirect_bytes;
	uint64_t untracked_unreachable_blocks, untracked_unreachable_bytes;
	struct hs_leak_stack *stacks; /* leaking stacks, most bytes first */
	size_t stack_count;
	struct hs_leak_type *types; /* most unreachable bytes first, then most bytes */
	size_t type_count;
	struct hs_leak_size *sizes; /* at most HS_LEAK_MAX_SIZES */
	size_t size_count, sizes_not_kept; /* distinct unreachable sizes beyond the kept ones */
	/* per stack id (session stacks): leaked bytes and blocks, for -w leaked-* */
	uint64_t *stack_leaked_bytes, *stack_leaked_blocks;
	size_t stack_id_count;
};

struct hs_leak_snapshot {
	struct hs_freeze freeze;
	struct hs_glibc_location loc;
	bool have_glibc;
	char glibc_why[256];
	struct hs_types types;
};

int hs_leak_freeze(const struct hs_leak_config *config, struct hs_leak_snapshot *snap,
		   struct hs_leak_result *res);
int hs_leak_analyse(struct hs_leak_snapshot *snap, const struct hs_live_table *live,
		    struct hs_leak_result *res);
int hs_leak_check_inspect(const struct hs_leak_config *config, struct hs_leak_result *res,
			  struct hs_leak_snapshot *snap);
int hs_leak_fill_profile(struct hs_profile *profile, const struct hs_leak_result *res);
void hs_leak_snapshot_free(struct hs_leak_snapshot *snap);
void hs_leak_result_free(struct hs_leak_result *res);
const char *hs_leak_roots_name(enum hs_leak_roots roots);

#endif
