// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * timeline.c - the session over time: at every interval, the live heap, the
 * allocation and free counts, the process's memory from /proc, and the live
 * bytes of the stacks that matter.
 *
 * Owns: the points and the per-stack series.  Does not own: what they mean
 * (verdict.c) nor how stacks are named (profile.c).
 *
 * Bounded whatever the session length: at most HS_TIMELINE_MAX_POINTS points;
 * when full, every other point is dropped and the interval doubles, so a long
 * session keeps its start, its end and an even spread between.  At most
 * HS_TIMELINE_MAX_STACKS stacks have a series: a stack gets one the first time
 * it holds memory at a point; when none is free, stacks holding more than the
 * smallest peak of a tracked stack take its place.
 *
 * Invariant: every series has a value at every point from known_from to
 * count - 1, and a stack that never held memory at an earlier point (while it
 * had no series) has known_from 0: its zeros are observations, not gaps.
 *
 * Each process of the session also has its own points (its live heap, counts
 * and /proc memory), taken at the session's instants while it is alive, so
 * each gets its own verdict.  They are summed from the stack table in the same
 * pass as the session's (a stack belongs to one process), and thinned with the
 * session's points, each keeping its own first point: a process never has more
 * points than the session.  The session point's memory is the sum over the
 * processes alive at that instant.
 *
 * glibc's own figures (free, free resident, in use, trimmable bytes) are not read here: the
 * session reads them when it can afford to (cli/session_heap.c) and hands them in with
 * hs_timeline_set_malloc for the next point only, so a point carries them exactly when they
 * were read for it.
 */
#include "analysis/timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

/* States in series_of_stack besides an index. */
#define HS_SERIES_NONE	  (-1) /* no series, and held nothing at any point so far */
#define HS_SERIES_DROPPED (-2) /* held memory at some point without a series */

/* A session without processes yet: hs_timeline_add_process adds them. */
int hs_timeline_init(struct hs_timeline *tl, double interval_s, double start_s)
{
	memset(tl, 0, sizeof(*tl));
	tl->interval_s = interval_s;
	tl->start_s = start_s;
	tl->next_s = start_s;
	tl->points = calloc(HS_TIMELINE_MAX_POINTS, sizeof(*tl->points));
	tl->series = calloc(HS_TIMELINE_MAX_STACKS, sizeof(*tl->series));
	if (!tl->points || !tl->series) {
		hs_timeline_free(tl);
		return -ENOMEM;
	}
	return 0;
}

void hs_timeline_free(struct hs_timeline *tl)
{
	for (size_t i = 0; i < tl->series_count; i++)
		free(tl->series[i].live_bytes);
	for (size_t i = 0; i < tl->process_count; i++)
		free(tl->processes[i].points);
	free(tl->series);
	free(tl->points);
	free(tl->series_of_stack);
	free(tl->processes);
	free(tl->process_of_stack);
	memset(tl, 0, sizeof(*tl));
}

/* A process of the session from now on: its points start at the next one. */
int hs_timeline_add_process(struct hs_timeline *tl, pid_t pid)
{
	int err = hs_array_reserve((void **)&tl->processes, &tl->process_capacity,
				   tl->process_count, sizeof(*tl->processes), 4);

	if (err)
		return err;
	tl->processes[tl->process_count++] = (struct hs_process_timeline){ .pid = pid };
	return 0;
}

static struct hs_process_timeline *find_process(const struct hs_timeline *tl, pid_t pid)
{
	for (size_t i = 0; i < tl->process_count; i++)
		if (tl->processes[i].pid == pid)
			return &tl->processes[i];
	return NULL;
}

const struct hs_process_timeline *hs_timeline_process(const struct hs_timeline *tl, pid_t pid)
{
	return find_process(tl, pid);
}

/* The process exited or exec()ed: it gets no more points (what it holds is kept). */
void hs_timeline_end_process(struct hs_timeline *tl, pid_t pid)
{
	struct hs_process_timeline *p = find_process(tl, pid);

	if (p)
		p->ended = true;
}

static int cover_stacks(struct hs_timeline *tl, size_t stack_count)
{
	size_t capacity = tl->stack_capacity ? tl->stack_capacity : 1024;
	int32_t *bigger, *processes;

	if (stack_count <= tl->stack_capacity)
		return 0;
	while (capacity < stack_count)
		capacity *= 2;
	bigger = realloc(tl->series_of_stack, capacity * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	tl->series_of_stack = bigger;
	processes = realloc(tl->process_of_stack, capacity * sizeof(*processes));
	if (!processes)
		return -ENOMEM;
	tl->process_of_stack = processes;
	for (size_t i = tl->stack_capacity; i < capacity; i++) {
		bigger[i] = HS_SERIES_NONE;
		processes[i] = -1;
	}
	tl->stack_capacity = capacity;
	return 0;
}

/* Keep every other one of count points, the first one included; returns how many are left. */
static size_t thin_points(struct hs_timeline_point *points, size_t count)
{
	for (size_t i = 0; 2 * i < count; i++)
		points[i] = points[2 * i];
	return (count + 1) / 2;
}

/* Keep every other point (the first one included), in the points, every series and every
 * process. */
static void thin(struct hs_timeline *tl)
{
	for (size_t p = 0; p < tl->process_count; p++)
		tl->processes[p].count =
			thin_points(tl->processes[p].points, tl->processes[p].count);
	for (size_t s = 0; s < tl->series_count; s++) {
		struct hs_stack_series *series = &tl->series[s];

		for (size_t i = 0; 2 * i < tl->count; i++)
			series->live_bytes[i] = series->live_bytes[2 * i];
		series->known_from = (series->known_from + 1) / 2;
	}
	tl->count = thin_points(tl->points, tl->count);
	tl->interval_s *= 2;
	tl->thinned++;
}

/* Give stack_id the series at index slot; its earlier zeros are known unless it was dropped. */
static void start_series(struct hs_timeline *tl, size_t slot, uint32_t stack_id)
{
	struct hs_stack_series *series = &tl->series[slot];

	series->known_from = tl->series_of_stack[stack_id] == HS_SERIES_NONE ? 0 : tl->count;
	series->stack_id = stack_id;
	series->peak_bytes = 0;
	memset(series->live_bytes, 0, tl->count * sizeof(*series->live_bytes));
	tl->series_of_stack[stack_id] = (int32_t)slot;
}

struct candidate {
	uint32_t stack_id;
	uint64_t bytes; /* live bytes of a candidate, peak of a tracked series */
	size_t slot;
};

static int most_bytes_first(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return x->bytes != y->bytes ? (x->bytes > y->bytes ? -1 : 1) : 0;
}

/* Tracked series from the smallest peak up: the ones to give up first. */
static int fewest_bytes_first(const void *a, const void *b)
{
	return most_bytes_first(b, a);
}

/*
 * Candidates (stacks holding memory without a series), most bytes first, take
 * free slots, then replace the tracked series with the smallest peaks while
 * they hold more than that peak.  The others are marked dropped.
 */
static int place_candidates(struct hs_timeline *tl, struct candidate *cands, size_t count)
{
	struct candidate *tracked = NULL;
	size_t next = 0, victim = 0;

	qsort(cands, count, sizeof(*cands), most_bytes_first);
	for (; next < count && tl->series_count < HS_TIMELINE_MAX_STACKS; next++) {
		struct hs_stack_series *series = &tl->series[tl->series_count];

		series->live_bytes = calloc(HS_TIMELINE_MAX_POINTS, sizeof(*series->live_bytes));
		if (!series->live_bytes)
			return -ENOMEM;
		start_series(tl, tl->series_count++, cands[next].stack_id);
	}
	if (next < count) {
		tracked = calloc(tl->series_count, sizeof(*tracked));
		if (!tracked)
			return -ENOMEM;
		for (size_t s = 0; s < tl->series_count; s++)
			tracked[s] = (struct candidate){tl->series[s].stack_id,
							tl->series[s].peak_bytes, s};
		qsort(tracked, tl->series_count, sizeof(*tracked), fewest_bytes_first);
	}
	for (; next < count; next++) {
		uint32_t stack_id = cands[next].stack_id;

		if (victim < tl->series_count && cands[next].bytes > tracked[victim].bytes) {
			tl->series_of_stack[tracked[victim].stack_id] = HS_SERIES_DROPPED;
			start_series(tl, tracked[victim++].slot, stack_id);
		} else {
			tl->series_of_stack[stack_id] = HS_SERIES_DROPPED;
		}
	}
	free(tracked);
	return 0;
}

/* With every series taken, only a stack above the smallest peak can get one. */
static uint64_t smallest_peak(const struct hs_timeline *tl)
{
	uint64_t smallest = UINT64_MAX;

	if (tl->series_count < HS_TIMELINE_MAX_STACKS)
		return 0;
	for (size_t s = 0; s < tl->series_count; s++)
		if (tl->series[s].peak_bytes < smallest)
			smallest = tl->series[s].peak_bytes;
	return smallest;
}

static int track_stacks(struct hs_timeline *tl, const struct hs_stack_table *stacks)
{
	struct candidate *cands = NULL;
	size_t count = 0, capacity = 0;
	uint64_t threshold = smallest_peak(tl);
	int err = cover_stacks(tl, stacks->count);

	for (uint32_t id = 0; !err && id < stacks->count; id++) {
		if (!stacks->stacks[id].live_bytes || tl->series_of_stack[id] >= 0)
			continue;
		if (stacks->stacks[id].live_bytes <= threshold) {
			tl->series_of_stack[id] = HS_SERIES_DROPPED;
			continue;
		}
		if (count == capacity) {
			struct candidate *bigger;

			capacity = capacity ? capacity * 2 : 64;
			bigger = realloc(cands, capacity * sizeof(*cands));
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			cands = bigger;
		}
		cands[count++] = (struct candidate){id, stacks->stacks[id].live_bytes, 0};
	}
	if (!err && count)
		err = place_candidates(tl, cands, count);
	free(cands);
	return err;
}

/* Index of the process stack id belongs to (found once, then remembered), or -1. */
static int32_t process_of_stack(struct hs_timeline *tl, const struct hs_stack_table *stacks,
				uint32_t id)
{
	pid_t pid = (pid_t)stacks->stacks[id].pid;

	if (tl->process_of_stack[id] >= 0)
		return tl->process_of_stack[id];
	for (size_t i = 0; i < tl->process_count; i++) {
		if (tl->processes[i].pid == pid) {
			tl->process_of_stack[id] = (int32_t)i;
			return (int32_t)i;
		}
	}
	return -1; /* no process (HS_STACK_LOST), or one not added yet: looked up again */
}

/* A point for every process still alive: its stacks' sums and the memory read for it. */
static int add_process_points(struct hs_timeline *tl, const struct hs_stack_table *stacks,
			      double t_s)
{
	for (size_t i = 0; i < tl->process_count; i++) {
		struct hs_process_timeline *p = &tl->processes[i];
		int err = p->ended ? 0 : hs_array_reserve((void **)&p->points, &p->capacity,
							  p->count, sizeof(*p->points), 16);

		if (err)
			return err; /* nothing counted yet: every process as it was */
		if (p->ended)
			continue;
		p->points[p->count] = (struct hs_timeline_point){
			.t_s = t_s, .mem = p->mem, .malloc_state = p->malloc_state };
		p->malloc_state.known = false; /* read again for the next point, or unknown */
	}
	for (uint32_t id = 0; id < stacks->count; id++) {
		const struct hs_stack *stack = &stacks->stacks[id];
		int32_t i = process_of_stack(tl, stacks, id);
		struct hs_timeline_point *point;

		if (i < 0 || tl->processes[i].ended)
			continue;
		point = &tl->processes[i].points[tl->processes[i].count];
		point->live_bytes += stack->live_bytes;
		point->live_count += stack->live_count;
		point->allocs += stack->alloc_count;
		point->frees += stack->alloc_count - stack->live_count;
		point->alloc_bytes += stack->alloc_bytes;
	}
	for (size_t i = 0; i < tl->process_count; i++)
		tl->processes[i].count += !tl->processes[i].ended;
	return 0;
}

/*
 * Add one point: the caller filled its collector and memory figures; the bytes
 * allocated so far, the per-stack values and the processes' points come from
 * the stack table (and the memory last read for each process).
 */
int hs_timeline_add(struct hs_timeline *tl, const struct hs_stack_table *stacks,
		    struct hs_timeline_point *point)
{
	int err;

	if (tl->count == HS_TIMELINE_MAX_POINTS)
		thin(tl);
	err = track_stacks(tl, stacks);
	if (!err)
		err = add_process_points(tl, stacks, point->t_s);
	if (err)
		return err;
	point->alloc_bytes = 0;
	for (size_t id = 0; id < stacks->count; id++)
		point->alloc_bytes += stacks->stacks[id].alloc_bytes;
	for (size_t s = 0; s < tl->series_count; s++) {
		struct hs_stack_series *series = &tl->series[s];
		uint64_t bytes = stacks->stacks[series->stack_id].live_bytes;

		series->live_bytes[tl->count] = bytes;
		if (bytes > series->peak_bytes)
			series->peak_bytes = bytes;
	}
	tl->points[tl->count++] = *point;
	return 0;
}

/* The memory of every process still alive, for the next point. */
static void read_memory(struct hs_timeline *tl)
{
	for (size_t i = 0; i < tl->process_count; i++)
		if (!tl->processes[i].ended)
			hs_proc_memory(tl->processes[i].pid, &tl->processes[i].mem);
}

/* The session's memory: the sum over the processes alive and read; invalid if none was. */
static struct hs_proc_memory summed_memory(const struct hs_timeline *tl)
{
	struct hs_proc_memory sum = { 0 };

	for (size_t i = 0; i < tl->process_count; i++) {
		const struct hs_proc_memory *mem = &tl->processes[i].mem;

		if (tl->processes[i].ended || !mem->valid)
			continue;
		sum.rss_bytes += mem->rss_bytes;
		sum.anon_bytes += mem->anon_bytes;
		sum.heap_bytes += mem->heap_bytes;
		sum.valid = true;
	}
	return sum;
}

/* The session's allocator figures: the sum over the processes alive, known if each one's is. */
static struct hs_malloc_figures summed_malloc(const struct hs_timeline *tl)
{
	struct hs_malloc_figures sum = { 0 };

	for (size_t i = 0; i < tl->process_count; i++) {
		const struct hs_malloc_figures *m = &tl->processes[i].malloc_state;

		if (tl->processes[i].ended)
			continue;
		if (!m->known)
			return (struct hs_malloc_figures){ 0 };
		sum.free_bytes += m->free_bytes;
		sum.free_resident_bytes += m->free_resident_bytes;
		sum.in_use_bytes += m->in_use_bytes;
		sum.trimmable_bytes += m->trimmable_bytes;
		sum.known = true;
	}
	return sum;
}

/* Each process's unknown frees into the point just added for it (the collector counts
 * them per process; the stacks cannot: those blocks have none). */
static void add_unknown_frees(struct hs_timeline *tl, const struct hs_collector *c)
{
	for (size_t i = 0; i < tl->process_count; i++) {
		struct hs_process_timeline *p = &tl->processes[i];
		struct hs_unknown_frees u;

		if (p->ended || !p->count)
			continue;
		u = hs_collector_unknown_frees(c, (uint32_t)p->pid);
		p->points[p->count - 1].unknown_frees = u.count;
		p->points[p->count - 1].unknown_free_bytes = u.bytes;
		p->points[p->count - 1].unknown_frees_unmeasured = u.unmeasured;
	}
}

static int add_collector_point(struct hs_timeline *tl, const struct hs_collector *c, double at_s)
{
	struct hs_timeline_point point = {
		.t_s = at_s - tl->start_s,
		.live_bytes = c->live_bytes,
		.live_count = c->live.count,
		.allocs = c->allocs + c->reallocs,
		.frees = c->frees,
		.unknown_frees = c->unknown_frees,
		.unknown_free_bytes = c->unknown_free_bytes,
		.unknown_frees_unmeasured = c->unknown_frees_unmeasured,
		.mem = summed_memory(tl),
		.malloc_state = summed_malloc(tl), /* before the processes' points clear theirs */
	};
	int err = hs_timeline_add(tl, &c->stacks, &point);

	if (!err)
		add_unknown_frees(tl, c);
	return err;
}

/*
 * Take a point now: the collector's state and the processes' memory (invalid
 * once one exited).  Call it right after draining the ring, so both describe
 * the same instant.
 */
int hs_timeline_sample(struct hs_timeline *tl, const struct hs_collector *c, double now_s)
{
	read_memory(tl);
	return add_collector_point(tl, c, now_s);
}

/*
 * The last point is taken in two steps: the memory at the instant the
 * programs were switched off (the targets go on while probes are detached,
 * unobserved), then the collector's state once the ring is drained.
 */
void hs_timeline_mark_end(struct hs_timeline *tl, double now_s)
{
	tl->end_s = now_s;
	read_memory(tl);
}

int hs_timeline_finish(struct hs_timeline *tl, const struct hs_collector *c)
{
	return add_collector_point(tl, c, tl->end_s);
}

/* Is a point due now?  (The caller reads what the point needs first: the allocator's state.) */
bool hs_timeline_due(const struct hs_timeline *tl, double now_s)
{
	return now_s >= tl->next_s;
}

/* glibc's figures of process pid, read for the next point (and for it only). */
void hs_timeline_set_malloc(struct hs_timeline *tl, pid_t pid,
			    const struct hs_malloc_figures *figures)
{
	struct hs_process_timeline *p = find_process(tl, pid);

	if (p && !p->ended)
		p->malloc_state = *figures;
}

/* Called on every turn of the collect loop: takes a point when one is due. */
int hs_timeline_tick(struct hs_timeline *tl, const struct hs_collector *c, double now_s)
{
	if (now_s < tl->next_s)
		return 0;
	tl->next_s += tl->interval_s;
	if (tl->next_s <= now_s)
		tl->next_s = now_s + tl->interval_s;
	return hs_timeline_sample(tl, c, now_s);
}

/* Stacks that held memory at some point but have no series now: the limit was hit. */
size_t hs_timeline_stacks_without_series(const struct hs_timeline *tl)
{
	size_t count = 0;

	for (size_t id = 0; id < tl->stack_capacity; id++)
		count += tl->series_of_stack[id] == HS_SERIES_DROPPED;
	return count;
}

/* Allocation and free rates between points from and to (zero when they coincide). */
void hs_timeline_rates(const struct hs_timeline *tl, size_t from, size_t to,
		       struct hs_timeline_rates *rates)
{
	const struct hs_timeline_point *a = &tl->points[from], *b = &tl->points[to];
	double seconds = b->t_s - a->t_s;

	memset(rates, 0, sizeof(*rates));
	if (seconds <= 0)
		return;
	rates->allocs_per_s = (b->allocs - a->allocs) / seconds;
	rates->frees_per_s = (b->frees - a->frees) / seconds;
	rates->alloc_bytes_per_s = (b->alloc_bytes - a->alloc_bytes) / seconds;
}
