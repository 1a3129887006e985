// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * verdict.c - is it a leak?  The session's series classified as leak,
 * retention, bounded, stable or inconclusive, with the figures behind it.
 *
 * Pure functions of the timeline's points: nothing here reads the target, so
 * every rule is unit-tested on synthetic series (tests/unit/analysis/test_verdict.c).
 *
 * Trends are Theil-Sen lines with Kendall's tau (trend.c says why not least
 * squares).
 *
 * Retention, when the live heap did not grow: where the points carry glibc's own figures
 * (read from the target's memory at the session's end), it is stated from the free
 * resident bytes inside malloc, measured; elsewhere it is inferred from /proc (anonymous
 * memory grew while the live heap stayed flat).  Where both exist and disagree, the
 * measurement wins and the explanation says so.
 */
#include "analysis/verdict.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/units.h"

static const char *const kind_names[HS_VERDICT_KIND_COUNT] = {
	[HS_VERDICT_INCONCLUSIVE] = "inconclusive", [HS_VERDICT_STABLE] = "stable",
	[HS_VERDICT_BOUNDED] = "bounded",	    [HS_VERDICT_LEAK] = "leak",
	[HS_VERDICT_RETENTION] = "retention",
};

const char *hs_verdict_name(enum hs_verdict_kind kind)
{
	return kind < HS_VERDICT_KIND_COUNT ? kind_names[kind] : "?";
}

/*
 * How much a verdict asks for attention, highest first: a leak (memory lost for
 * good), retention (memory kept by the allocator), bounded (grows, then stops),
 * inconclusive (could be any of those), stable.  A session over several
 * processes is as severe as its most severe process.  The values are 0 ..
 * HS_VERDICT_KIND_COUNT - 1, each once: render/wording.c lists the kinds by them.
 */
static const int kind_severity[HS_VERDICT_KIND_COUNT] = {
	[HS_VERDICT_LEAK] = 4,	       [HS_VERDICT_RETENTION] = 3, [HS_VERDICT_BOUNDED] = 2,
	[HS_VERDICT_INCONCLUSIVE] = 1, [HS_VERDICT_STABLE] = 0,
};

int hs_verdict_severity(enum hs_verdict_kind kind)
{
	return kind < HS_VERDICT_KIND_COUNT ? kind_severity[kind] : 0;
}

/* Does a verdict of kind a ask for more attention than one of kind b? */
bool hs_verdict_more_severe(enum hs_verdict_kind a, enum hs_verdict_kind b)
{
	return hs_verdict_severity(a) > hs_verdict_severity(b);
}

/* The points with from_s <= t_s <= to_s, as arrays. */
static size_t select_points(const struct hs_verdict_input *in, double from_s, double to_s,
			    double *t, double *live)
{
	size_t n = 0;

	for (size_t i = 0; i < in->count; i++) {
		if (in->points[i].t_s < from_s || in->points[i].t_s > to_s)
			continue;
		t[n] = in->points[i].t_s;
		live[n++] = in->points[i].live_bytes;
	}
	return n;
}

static int fit_span(const struct hs_verdict_input *in, double from_s, double to_s, double *t,
		    double *live, struct hs_trend *trend)
{
	return hs_trend_fit(t, live, select_points(in, from_s, to_s, t, live), trend);
}

static double median_level(const struct hs_verdict_input *in, double from_s, double to_s, double *t,
			   double *live)
{
	return hs_median(live, select_points(in, from_s, to_s, t, live));
}

/* Memory at the first and last points where /proc could be read. */
static void read_memory(const struct hs_verdict_input *in, struct hs_verdict *v)
{
	const struct hs_timeline_point *first = NULL, *last = NULL;

	for (size_t i = 0; i < in->count; i++) {
		if (!in->points[i].mem.valid)
			continue;
		if (!first)
			first = &in->points[i];
		last = &in->points[i];
	}
	if (!first || first == last)
		return;
	v->memory_known = true;
	v->rss_start = first->mem.rss_bytes;
	v->rss_end = last->mem.rss_bytes;
	v->anon_start = first->mem.anon_bytes;
	v->anon_end = last->mem.anon_bytes;
	v->heap_start = first->mem.heap_bytes;
	v->heap_end = last->mem.heap_bytes;
	v->gap_start = v->anon_start - (double)first->live_bytes;
	v->gap_end = v->anon_end - (double)last->live_bytes;
}

static bool retained(const struct hs_verdict *v)
{
	double anon_rise = v->anon_end - v->anon_start, gap_rise = v->gap_end - v->gap_start;

	return v->memory_known && anon_rise >= HS_VERDICT_MIN_RETAINED_BYTES &&
	       gap_rise >= anon_rise / 2;
}

/* glibc's figures at the first and the last point that has them. */
static void read_malloc_state(const struct hs_verdict_input *in, struct hs_verdict *v)
{
	const struct hs_timeline_point *first = NULL, *last = NULL;

	for (size_t i = 0; i < in->count; i++) {
		if (!in->points[i].malloc_state.known)
			continue;
		if (!first)
			first = &in->points[i];
		last = &in->points[i];
	}
	if (!last)
		return;
	v->malloc_known = true;
	v->malloc_end = last->malloc_state;
	if (first != last) {
		v->malloc_start_known = true;
		v->malloc_start = first->malloc_state;
		v->malloc_start_s = first->t_s - in->points[0].t_s;
	}
}

/* glibc holds much free memory, resident, at the end: large, or grown over the session. */
static bool retained_measured(const struct hs_verdict *v)
{
	double resident = v->malloc_end.free_resident_bytes;
	double rss = v->memory_known ? v->rss_end : 0;
	bool large = resident >= HS_VERDICT_MIN_MALLOC_FREE_BYTES &&
		     resident >= HS_VERDICT_MIN_MALLOC_FREE_SHARE * rss;
	bool grew = v->malloc_start_known &&
		    resident - (double)v->malloc_start.free_resident_bytes >=
			    HS_VERDICT_MIN_RETAINED_BYTES;

	return v->malloc_known && (large || grew);
}

/* The live heap did not grow: retention (measured if glibc's figures are known) or stable. */
static enum hs_verdict_kind classify_flat(struct hs_verdict *v)
{
	bool inferred = retained(v);

	if (!v->malloc_known)
		return inferred ? HS_VERDICT_RETENTION : HS_VERDICT_STABLE;
	v->retention_measured = retained_measured(v);
	v->inference_overruled = v->memory_known && inferred != v->retention_measured;
	return v->retention_measured ? HS_VERDICT_RETENTION : HS_VERDICT_STABLE;
}

/* The live heap has an upward trend: leak, bounded, or too noisy to say. */
static void classify_growth(struct hs_verdict *v)
{
	double before_late = v->live_early.slope;

	if (v->live_late.n >= 3 && v->live_late.slope <= HS_VERDICT_FLAT_RATIO * before_late) {
		v->kind = HS_VERDICT_BOUNDED;
	} else if (v->live.tau >= HS_VERDICT_STEADY_TAU && v->live_rise >= v->detect_bytes) {
		v->kind = HS_VERDICT_LEAK;
	} else {
		v->kind = HS_VERDICT_INCONCLUSIVE;
		v->doubt = HS_DOUBT_NOISY;
		v->suggest_s = 4 * v->duration_s;
	}
}

/* Blocks allocated before attach and freed from the first point to the last one at or
 * before to_s: the points' unknown frees are counted since attach. */
static void read_replaced(const struct hs_verdict_input *in, double to_s, struct hs_verdict *v)
{
	const struct hs_timeline_point *first = &in->points[0], *last = first;

	for (size_t i = 1; i < in->count && in->points[i].t_s <= to_s; i++)
		last = &in->points[i];
	if (last->unknown_frees >= first->unknown_frees)
		v->replaced_frees = last->unknown_frees - first->unknown_frees;
	if (last->unknown_frees_unmeasured >= first->unknown_frees_unmeasured)
		v->replaced_unmeasured =
			last->unknown_frees_unmeasured - first->unknown_frees_unmeasured;
	if (last->unknown_free_bytes >= first->unknown_free_bytes)
		v->replaced_bytes = (double)(last->unknown_free_bytes - first->unknown_free_bytes);
}

/*
 * A rise that ended within the first quarter: the quarters' medians both see its
 * top, so it is no rise between them.  Right after attach such a step may be blocks
 * allocated before attach being replaced by ones heapscope sees (their frees are
 * unknown frees).  Where glibc's chunk headers told their bytes, only those are
 * discounted: the step is growth if what is left is still above noise.  Frees whose
 * bytes are not known (another allocator, a realloc) in that window leave it unsaid:
 * the step may be all replacement.  It then must have stayed: the last quarter is not
 * back down.
 */
static bool early_step(const struct hs_verdict_input *in, double quarter_end_s,
		       struct hs_verdict *v)
{
	double step = v->live_start - v->live_first;

	if (step < v->detect_bytes || v->live_rise <= -v->detect_bytes)
		return false;
	read_replaced(in, quarter_end_s, v);
	v->early_rise = step;
	if (v->replaced_unmeasured || step - v->replaced_bytes < v->detect_bytes) {
		v->early_replaced = v->replaced_frees > 0;
		return false;
	}
	v->early_step = true;
	v->rise_from = v->live_first;
	v->rise_to = v->live_start;
	return true;
}

/*
 * A rise that fell back to where the heap started by the last point, the fall inside
 * the last quarter (whose median still sees the top): over the session the heap did
 * not grow, whatever the quarters' medians say, so it is judged flat, and the level
 * it ends at is the last point's.  A burst freed near the end of a session looked
 * "bounded" otherwise, at a level it had already left.  A fall that ends sooner
 * needs no rule: the last quarter's median is already low.
 */
static bool fell_back(struct hs_verdict *v)
{
	double base = fmin(v->live_first, v->live_start);

	if (v->live_last > base + v->detect_bytes || v->live_end <= v->live_last + v->detect_bytes)
		return false;
	v->fell_back = true;
	v->live_end = v->live_last;
	v->live_rise = v->live_end - v->live_start;
	return true;
}

/* When (since the first point) the live heap first reached 90% of a rise from..to. */
static double rise_end(const struct hs_verdict_input *in, double from, double to)
{
	double t0 = in->points[0].t_s;

	for (size_t i = 0; i < in->count; i++)
		if (in->points[i].live_bytes >= from + 0.9 * (to - from))
			return in->points[i].t_s - t0;
	return in->points[in->count - 1].t_s - t0;
}

static int classify_live(const struct hs_verdict_input *in, struct hs_verdict *v, double *t,
			 double *live)
{
	double t0 = in->points[0].t_s, t1 = in->points[in->count - 1].t_s, span = t1 - t0;
	int err;

	err = fit_span(in, t0, t1, t, live, &v->live);
	if (!err)
		err = fit_span(in, t0, t0 + span * 2 / 3, t, live, &v->live_early);
	if (!err)
		err = fit_span(in, t0 + span * 2 / 3, t1, t, live, &v->live_late);
	if (err)
		return err;
	v->live_start = median_level(in, t0, t0 + span / 4, t, live);
	v->live_end = median_level(in, t1 - span / 4, t1, t, live);
	v->live_rise = v->live_end - v->live_start;
	v->detect_bytes =
		fmax(HS_VERDICT_MIN_GROWTH_BYTES, HS_VERDICT_NOISE_FACTOR * v->live.noise);
	if (fell_back(v))
		v->kind = classify_flat(v);
	else if (v->live_rise >= HS_VERDICT_MIN_GROWTH_BYTES && v->live.z >= HS_VERDICT_TREND_Z)
		classify_growth(v);
	else if (early_step(in, t0 + span / 4, v))
		v->kind = HS_VERDICT_BOUNDED;
	else
		v->kind = classify_flat(v);
	if (v->kind == HS_VERDICT_BOUNDED && !v->early_step) {
		/* told as a step, it starts where the heap was before it, not halfway up */
		v->rise_from = fmin(v->live_first, v->live_start);
		v->rise_to = v->live_end;
	}
	if (v->kind == HS_VERDICT_BOUNDED)
		v->rise_end_s = rise_end(in, v->rise_from, v->rise_to);
	v->allocator_keeps = v->malloc_known ? retained_measured(v) : retained(v);
	return 0;
}

int hs_verdict_classify(const struct hs_verdict_input *in, struct hs_verdict *v)
{
	double *t, *live;
	int err;

	memset(v, 0, sizeof(*v));
	v->points = in->count;
	v->events = in->events;
	v->lost_events = in->lost_events;
	v->ended = in->ended;
	if (in->count) {
		v->duration_s = in->points[in->count - 1].t_s - in->points[0].t_s;
		v->live_first = in->points[0].live_bytes;
		v->live_last = in->points[in->count - 1].live_bytes;
	}
	for (size_t i = 0; i < in->count; i++)
		if (in->points[i].live_bytes > v->live_peak)
			v->live_peak = in->points[i].live_bytes;
	read_memory(in, v);
	read_malloc_state(in, v);
	if (in->lost_events > HS_VERDICT_MAX_LOST_SHARE * in->events) {
		v->doubt = HS_DOUBT_LOST_EVENTS;
		return 0;
	}
	if (in->count < HS_VERDICT_MIN_POINTS || v->duration_s < HS_VERDICT_MIN_SECONDS) {
		v->doubt = HS_DOUBT_TOO_SHORT;
		v->suggest_s = HS_VERDICT_SUGGEST_SECONDS;
		return 0;
	}
	t = calloc(in->count, sizeof(*t));
	live = calloc(in->count, sizeof(*live));
	err = t && live ? classify_live(in, v, t, live) : -ENOMEM;
	free(t);
	free(live);
	return err;
}

/*
 * The verdict once --leak-check has looked: growth whose blocks no pointer reaches is a leak
 * for certain; growth whose blocks are all still referenced is not a leak, however steady
 * (a cache filling, a list nobody trims).  Without growth the trend's verdict stands.
 */
void hs_verdict_with_proof(enum hs_verdict_kind kind, bool growing,
			   uint64_t growing_unreachable_blocks, char *out, size_t len)
{
	if (growing_unreachable_blocks)
		snprintf(out, len, "leak (proven: %llu blocks unreachable)",
			 (unsigned long long)growing_unreachable_blocks);
	else if (growing)
		snprintf(out, len, "reachable growth");
	else
		snprintf(out, len, "%s", hs_verdict_name(kind));
}
