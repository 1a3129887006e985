/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_HEAP_STATE_H
#define HEAPSCOPE_RENDER_HEAP_STATE_H

#include <stddef.h>
#include <stdio.h>

#include "inspect/inspect.h"

/* A traced session reads a process's state at a timeline point only while all its reads
 * stay within this share of the session's wall time (README "Allocator state in a session"). */
#define HS_HEAP_READ_BUDGET_SHARE 0.02

/*
 * One process's allocator state as a traced session read it (cli/session_heap.c): at the
 * start, at the end, and the cost of the reads at timeline points in between.
 */
struct hs_heap_reading {
	pid_t pid;
	bool start_read, end_read; /* start, end hold an inspection */
	struct hs_inspection start, end;
	uint32_t reads;		/* every read, start and end included */
	uint32_t point_reads;	/* at timeline points */
	uint32_t skipped_points; /* points not read: the reads' time budget was spent */
	double read_ms_total, read_ms_last, read_ms_max;
};

/* Advice lines are wrapped at this width, as the session's report is. */
#define HS_HEAP_STATE_WIDTH 96

/* What glibc's free memory means, in one sentence, and what to do about it. */
void hs_heap_state_sentence(const struct hs_inspection *insp, char *out, size_t len);
void hs_heap_state_advice(FILE *out, const struct hs_inspection *insp, const char *indent);
void hs_heap_state_advice_text(const struct hs_inspection *insp, char *out, size_t len);

/* The ALLOCATOR STATE section of a report, for one process. */
void hs_heap_state_report(FILE *out, const struct hs_inspection *insp);
/* One process's state as a JSON object (allocator, arenas, totals, types, sizes). */
void hs_heap_state_json(FILE *out, const struct hs_inspection *insp);

/* The session's section: a state at start and end, and what reading it cost. */
void hs_heap_reading_report(FILE *out, const struct hs_heap_reading *r, double session_s);
void hs_heap_reading_json(FILE *out, const struct hs_heap_reading *r, double session_s);

struct hs_leak_result;

/*
 * heapscope inspect's whole output: report or JSON, one process or several.  leaks: NULL
 * without --leak-check, else one result per inspection (LEAKS, leak_check).
 */
int hs_render_inspect_report(FILE *out, const struct hs_inspection *insps,
			     const struct hs_leak_result *leaks, size_t count);
int hs_render_inspect_json(FILE *out, const struct hs_inspection *insps,
			   const struct hs_leak_result *leaks, size_t count);

#endif
