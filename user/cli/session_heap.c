// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * session_heap.c - a traced session reads each glibc target's allocator state from outside
 * (inspect/, process_vm_readv only: the target is never stopped): at the start, right after
 * attach; at the end, before the probes are detached, while the target is still there (with
 * the census of in-use blocks by size, off otherwise); and at timeline points in between
 * when cheap enough, so the points carry glibc's free, free resident, in-use and trimmable
 * bytes where they were read.
 *
 * The budget: reads cost heapscope's time, not the target's, but a session should not spend
 * its life reading.  Each read's wall time is measured; a point is read for a process only
 * if everything read for it so far plus the last read's time stays within
 * HS_HEAP_READ_BUDGET_SHARE (2%, render/heap_state.h: the report says it) of the
 * session's wall time until now; else the point is skipped (counted).  The start and end
 * reads are always made.
 *
 * Owns: when the state is read and what the reads cost (struct hs_heap_reading per
 * process).  Does not own: the reading (inspect/), the figures' place in the points
 * (analysis/timeline.c), their meaning (analysis/verdict.c), their wording (render/).
 * Invariant: a process whose malloc is not glibc's is read once, at the start (its one line
 * says why its state is not read), never at points.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/session_state.h"
#include "lib/array.h"

static struct hs_heap_reading *reading_of(struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->heap_reading_count; i++)
		if (s->heap_readings[i].pid == pid)
			return &s->heap_readings[i];
	return NULL;
}

/* The figures a timeline point carries, from one read. */
static void hand_to_timeline(struct session *s, const struct hs_inspection *insp)
{
	const struct hs_glibc_arena_stats *total = &insp->heap.total;
	struct hs_malloc_figures figures = {
		.known = true,
		.free_bytes = hs_glibc_free_bytes(total),
		.free_resident_bytes = total->free_resident_bytes,
		.in_use_bytes = total->in_use_bytes,
		.trimmable_bytes = total->trimmable_bytes,
	};

	if (insp->heap_read)
		hs_timeline_set_malloc(&s->timeline, insp->pid, &figures);
}

/* One read of r's process into insp, timed; its figures go to the next timeline point. */
static int read_state(struct session *s, struct hs_heap_reading *r, bool census,
		      struct hs_inspection *insp)
{
	struct hs_inspect_options opts = { .census = census };
	double started = now_s(), ms;
	int err = hs_inspect_process(&s->objects, r->pid, &opts, insp);

	ms = (now_s() - started) * 1e3;
	r->reads++;
	r->read_ms_total += ms;
	r->read_ms_last = ms;
	if (ms > r->read_ms_max)
		r->read_ms_max = ms;
	if (!err)
		hand_to_timeline(s, insp);
	return err;
}

static bool is_glibc(const struct hs_heap_reading *r)
{
	return r->start_read && r->start.allocator == HS_ALLOCATOR_GLIBC;
}

/* Targets attached since the last look: a reading each, and their state at the start. */
static void read_new_targets(struct session *s)
{
	for (size_t i = 0; i < s->targets.count; i++) {
		const struct hs_target *t = s->targets.items[i];
		struct hs_heap_reading *r;

		if (!t->attached || t->exited || t->execed || reading_of(s, t->pid))
			continue;
		if (hs_array_reserve((void **)&s->heap_readings, &s->heap_reading_capacity,
				     s->heap_reading_count, sizeof(*s->heap_readings), 4))
			return; /* no memory: the session goes on without the allocator's state */
		r = &s->heap_readings[s->heap_reading_count++];
		memset(r, 0, sizeof(*r));
		r->pid = t->pid;
		r->start_read = read_state(s, r, false, &r->start) == 0;
	}
}

/* Right after attach, before the first timeline point. */
void heap_read_start(struct session *s)
{
	read_new_targets(s);
}

static bool within_budget(const struct session *s, const struct hs_heap_reading *r,
			  double now)
{
	return r->read_ms_total + r->read_ms_last <=
	       HS_HEAP_READ_BUDGET_SHARE * (now - s->started_s) * 1e3;
}

/* Before a timeline point: the state of each glibc target the budget affords. */
void heap_read_point(struct session *s, double now)
{
	if (!hs_timeline_due(&s->timeline, now))
		return;
	read_new_targets(s); /* --follow: new ones get their start read at a point */
	for (size_t i = 0; i < s->heap_reading_count; i++) {
		struct hs_heap_reading *r = &s->heap_readings[i];
		const struct hs_target *t = hs_targets_find(&s->targets, r->pid);
		struct hs_inspection insp;

		if (!is_glibc(r) || !t || t->exited || t->execed)
			continue;
		if (!within_budget(s, r, now)) {
			r->skipped_points++;
			continue;
		}
		if (read_state(s, r, false, &insp) == 0)
			r->point_reads++;
		hs_inspection_free(&insp);
	}
}

/* The programs are switched off, the probes not yet detached: each live target's last state. */
void heap_read_end(struct session *s)
{
	for (size_t i = 0; i < s->heap_reading_count; i++) {
		struct hs_heap_reading *r = &s->heap_readings[i];
		const struct hs_target *t = hs_targets_find(&s->targets, r->pid);

		if (!is_glibc(r) || !t || t->exited || t->execed || hs_target_exited(t))
			continue;
		r->end_read = read_state(s, r, true, &r->end) == 0;
	}
}

void heap_readings_free(struct session *s)
{
	for (size_t i = 0; i < s->heap_reading_count; i++) { /* a failed read holds nothing */
		hs_inspection_free(&s->heap_readings[i].start);
		hs_inspection_free(&s->heap_readings[i].end);
	}
	free(s->heap_readings);
	s->heap_readings = NULL;
	s->heap_reading_count = s->heap_reading_capacity = 0;
}
