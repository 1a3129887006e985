/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_TIMELINE_H
#define HEAPSCOPE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/collect.h"
#include "target/proc.h"

/* Limits, documented in --help (under -i). */
#define HS_TIMELINE_MAX_POINTS 256  /* points kept; when full, every other one goes */
#define HS_TIMELINE_MAX_STACKS 2048 /* stacks with a live-bytes series: the highest peaks */

/*
 * glibc's own figures for a point, read from the target's memory (inspect/) when the session
 * could afford it (cli/session_heap.c); known is false at the other points.
 */
struct hs_malloc_figures {
	bool known;
	uint64_t free_bytes;	      /* top chunks, fastbins, bins (tcache counts as in use) */
	uint64_t free_resident_bytes; /* of free_bytes, the resident pages: the RSS it costs */
	uint64_t in_use_bytes;	      /* the arenas' system bytes minus free_bytes */
	uint64_t trimmable_bytes;     /* what malloc_trim(0) would return */
};

/* The session, or one of its processes, at one instant. */
struct hs_timeline_point {
	double t_s; /* since the session started */
	uint64_t live_bytes;
	uint64_t live_count;
	uint64_t allocs;      /* allocating calls so far (realloc included) */
	uint64_t frees;	      /* free calls so far; of one process: frees of its blocks seen
			       * allocated (its unknown frees are not told apart) */
	uint64_t alloc_bytes; /* bytes allocated so far */
	/* Frees so far of blocks not allocated in the session (before attach), their bytes
	 * where glibc's chunk header told them, and how many have no such figure. */
	uint64_t unknown_frees, unknown_free_bytes, unknown_frees_unmeasured;
	struct hs_proc_memory mem; /* the session's: the sum over its live processes */
	struct hs_malloc_figures malloc_state; /* the session's: the sum, when every live
						 * process had its state read for this point */
};

/*
 * One process's own points, at the session's instants from when it was added
 * until it ended (exited or exec()ed).  Grows as points come, up to
 * HS_TIMELINE_MAX_POINTS (sizeof(struct hs_timeline_point) = 144 bytes each:
 * at most 36 KiB per process).
 */
struct hs_process_timeline {
	pid_t pid;
	bool ended;
	struct hs_proc_memory mem; /* read for the next point */
	struct hs_malloc_figures malloc_state; /* set for the next point only, then cleared */
	struct hs_timeline_point *points;
	size_t count, capacity;
};

/* One stack's live bytes at every point from known_from on. */
struct hs_stack_series {
	uint32_t stack_id;
	uint32_t known_from; /* earlier points were not observed for this stack */
	uint64_t peak_bytes;
	uint64_t *live_bytes; /* HS_TIMELINE_MAX_POINTS entries */
};

struct hs_timeline {
	double start_s;	   /* CLOCK_MONOTONIC seconds of the session start */
	double interval_s; /* doubles each time the points are thinned */
	double next_s;	   /* when the next point is due */
	struct hs_timeline_point *points;
	size_t count;
	unsigned thinned; /* times every other point was dropped */
	struct hs_stack_series *series;
	size_t series_count;
	int32_t *series_of_stack; /* per stack id: index into series, or a HS_SERIES_* state */
	size_t stack_capacity;
	double end_s; /* hs_timeline_mark_end: the session-over instant */
	struct hs_process_timeline *processes; /* in the order they were added */
	size_t process_count, process_capacity;
	int32_t *process_of_stack; /* per stack id: index into processes, or -1: not found yet */
};

/* Rates between two points. */
struct hs_timeline_rates {
	double allocs_per_s, frees_per_s, alloc_bytes_per_s;
};

int hs_timeline_init(struct hs_timeline *tl, double interval_s, double start_s);
void hs_timeline_free(struct hs_timeline *tl);
int hs_timeline_add_process(struct hs_timeline *tl, pid_t pid);
void hs_timeline_end_process(struct hs_timeline *tl, pid_t pid);
const struct hs_process_timeline *hs_timeline_process(const struct hs_timeline *tl, pid_t pid);
bool hs_timeline_due(const struct hs_timeline *tl, double now_s);
void hs_timeline_set_malloc(struct hs_timeline *tl, pid_t pid,
			    const struct hs_malloc_figures *figures);
int hs_timeline_tick(struct hs_timeline *tl, const struct hs_collector *c, double now_s);
int hs_timeline_sample(struct hs_timeline *tl, const struct hs_collector *c, double now_s);
void hs_timeline_mark_end(struct hs_timeline *tl, double now_s);
int hs_timeline_finish(struct hs_timeline *tl, const struct hs_collector *c);
int hs_timeline_add(struct hs_timeline *tl, const struct hs_stack_table *stacks,
		    struct hs_timeline_point *point);
size_t hs_timeline_stacks_without_series(const struct hs_timeline *tl);
void hs_timeline_rates(const struct hs_timeline *tl, size_t from, size_t to,
		       struct hs_timeline_rates *rates);

#endif
