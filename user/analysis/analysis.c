// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * analysis.c - what the report and JSON outputs read, computed once at the
 * end of a session: the profile (through the --min-age filter), each
 * sample's growth and the ages of its live blocks, and the verdicts: one per
 * process, and the session's, which is its most severe process's
 * (hs_verdict_more_severe; the first of equals).  With one process the session's points are that
 * process's, so they give its verdict, as they did before processes had points.
 *
 * Owns the joins: raw stacks to profile samples (profile->sample_of_stack),
 * the timeline's per-stack series summed per sample, live blocks bucketed per
 * sample.  Does not own names (profile.c), series (timeline.c), the
 * statistics (trend.c) nor the verdict's rules (verdict.c).
 *
 * Ages are measured from the end of the session: live blocks carry the
 * CLOCK_MONOTONIC time of their allocation (bpf_ktime_get_ns).
 */
#include "analysis/analysis.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/trend.h"

#define NS_PER_S 1e9

/* Per raw stack, the live blocks allocated at or before max_ts_ns. */
static struct hs_stack_live *live_older_than(const struct hs_collector *c, uint64_t max_ts_ns)
{
	struct hs_stack_live *live = calloc(c->stacks.count ? c->stacks.count : 1, sizeof(*live));

	if (!live)
		return NULL;
	hs_live_foreach(&c->live, block)
	{
		if (block->ts_ns > max_ts_ns)
			continue;
		live[block->stack_id].bytes += block->size;
		live[block->stack_id].count++;
	}
	return live;
}

/* The sum of the series of the samples' stacks, from the latest known_from on. */
static int fit_sample_series(const struct hs_timeline *tl, const struct hs_stack_series **series,
			     size_t count, double *t, double *y, struct hs_sample_stats *stats)
{
	size_t from = 0, n = 0;
	struct hs_trend trend;
	int err;

	for (size_t s = 0; s < count; s++)
		if (series[s]->known_from > from)
			from = series[s]->known_from;
	for (size_t i = from; i < tl->count; i++, n++) {
		t[n] = tl->points[i].t_s;
		y[n] = 0;
		for (size_t s = 0; s < count; s++)
			y[n] += series[s]->live_bytes[i];
	}
	if (n < 2)
		return 0;
	err = hs_trend_fit(t, y, n, &trend);
	if (err)
		return err;
	stats->has_trend = true;
	stats->growth_bytes_per_s = trend.slope;
	stats->steadiness = trend.tau;
	return 0;
}

static int by_sample(const void *a, const void *b, void *profile)
{
	const uint32_t *of = ((const struct hs_profile *)profile)->sample_of_stack;
	uint32_t x = of[(*(const struct hs_stack_series *const *)a)->stack_id];
	uint32_t y = of[(*(const struct hs_stack_series *const *)b)->stack_id];

	return x < y ? -1 : x > y;
}

/* Group the tracked series by the sample their stack belongs to, and fit each group. */
static int compute_growth(struct hs_analysis *a, const struct hs_timeline *tl)
{
	const struct hs_profile *p = &a->profile;
	const struct hs_stack_series **series = calloc(tl->series_count + 1, sizeof(*series));
	double *t = calloc(tl->count + 1, sizeof(*t)), *y = calloc(tl->count + 1, sizeof(*y));
	size_t count = 0;
	int err = series && t && y ? 0 : -ENOMEM;

	for (size_t s = 0; !err && s < tl->series_count; s++) {
		uint32_t id = tl->series[s].stack_id;

		if (id < p->stack_count && p->sample_of_stack[id] != HS_NO_SAMPLE)
			series[count++] = &tl->series[s];
	}
	if (!err)
		qsort_r(series, count, sizeof(*series), by_sample, (void *)p);
	for (size_t i = 0, j; !err && i < count; i = j) {
		uint32_t sample = p->sample_of_stack[series[i]->stack_id];

		for (j = i + 1; j < count && p->sample_of_stack[series[j]->stack_id] == sample; j++)
			;
		err = fit_sample_series(tl, series + i, j - i, t, y, &a->stats[sample]);
	}
	free(series);
	free(t);
	free(y);
	return err;
}

/* Oldest and median age of each sample's live blocks (those the profile shows). */
static int compute_ages(struct hs_analysis *a, const struct hs_collector *c, uint64_t end_ns,
			uint64_t max_ts_ns)
{
	const struct hs_profile *p = &a->profile;
	size_t *first = calloc(p->sample_count + 1, sizeof(*first));
	size_t *filled = calloc(p->sample_count + 1, sizeof(*filled));
	double *ages = calloc(c->live.count + 1, sizeof(*ages));
	int err = first && filled && ages ? 0 : -ENOMEM;

	/* Counting sort by sample: count, prefix sums, place. */
	hs_live_foreach(&c->live, block)
	{
		if (!err && block->ts_ns <= max_ts_ns &&
		    p->sample_of_stack[block->stack_id] != HS_NO_SAMPLE)
			first[p->sample_of_stack[block->stack_id] + 1]++;
	}
	for (size_t s = 0; !err && s < p->sample_count; s++)
		first[s + 1] += first[s];
	hs_live_foreach(&c->live, block)
	{
		uint32_t s;

		if (err || block->ts_ns > max_ts_ns ||
		    p->sample_of_stack[block->stack_id] == HS_NO_SAMPLE)
			continue;
		s = p->sample_of_stack[block->stack_id];
		ages[first[s] + filled[s]++] =
			block->ts_ns < end_ns ? (end_ns - block->ts_ns) / NS_PER_S : 0;
	}
	for (size_t s = 0; !err && s < p->sample_count; s++) {
		double *mine = ages + first[s];

		for (size_t i = 0; i < filled[s]; i++)
			if (mine[i] > a->stats[s].oldest_age_s)
				a->stats[s].oldest_age_s = mine[i];
		a->stats[s].median_age_s = hs_median(mine, filled[s]);
	}
	free(first);
	free(filled);
	free(ages);
	return err;
}

static int classify(const struct hs_timeline_point *points, size_t count, bool ended,
		    const struct hs_analysis_config *config, struct hs_verdict *v)
{
	struct hs_verdict_input input = {
		.points = points,
		.count = count,
		.events = config->events,
		.lost_events = config->lost_events, /* not told per process: each gets them all */
		.ended = ended,
	};

	return hs_verdict_classify(&input, v);
}

/* Every process's verdict, and the session's: the most severe of them. */
static int classify_processes(struct hs_analysis *a, const struct hs_timeline *tl,
			      const struct hs_analysis_config *config)
{
	bool one_ended = tl->process_count == 1 && tl->processes[0].ended;
	int err = classify(tl->points, tl->count, one_ended, config, &a->totals);

	a->processes = calloc(tl->process_count + 1, sizeof(*a->processes));
	if (!a->processes)
		return -ENOMEM;
	a->process_count = tl->process_count;
	a->verdict = a->totals;
	for (size_t i = 0; !err && i < tl->process_count; i++) {
		const struct hs_process_timeline *p = &tl->processes[i];

		a->processes[i].pid = p->pid;
		a->processes[i].timeline = p;
		if (tl->process_count == 1)
			a->processes[i].verdict = a->totals;
		else
			err = classify(p->points, p->count, p->ended, config,
				       &a->processes[i].verdict);
	}
	if (err || tl->process_count < 2)
		return err;
	for (size_t i = 0; i < a->process_count; i++)
		if (hs_verdict_more_severe(a->processes[i].verdict.kind,
					   a->processes[a->verdict_process].verdict.kind))
			a->verdict_process = i;
	a->verdict = a->processes[a->verdict_process].verdict;
	return 0;
}

/* The verdict of process pid, or NULL; processes[i] is the timeline's process i. */
const struct hs_process_verdict *hs_analysis_process(const struct hs_analysis *a, pid_t pid)
{
	const struct hs_process_timeline *p =
		a->processes ? hs_timeline_process(a->timeline, pid) : NULL;

	return p ? &a->processes[p - a->timeline->processes] : NULL;
}

int hs_analysis_build(struct hs_analysis *a, const struct hs_collector *c,
		      const struct hs_timeline *tl, struct hs_symbolizer *sym,
		      const struct hs_analysis_config *config)
{
	uint64_t end_ns = config->end_s * NS_PER_S;
	uint64_t min_age_ns = config->min_age_s * NS_PER_S;
	uint64_t max_ts_ns = end_ns > min_age_ns ? end_ns - min_age_ns : 0;
	struct hs_stack_live *older = NULL;
	int err;

	memset(a, 0, sizeof(*a));
	a->timeline = tl;
	a->min_age_s = config->min_age_s;
	a->stacks_without_series = hs_timeline_stacks_without_series(tl);
	if (config->min_age_s > 0) {
		older = live_older_than(c, max_ts_ns);
		if (!older)
			return -ENOMEM;
	} else {
		max_ts_ns = UINT64_MAX;
	}
	err = hs_profile_build(&a->profile, &c->stacks, older, sym, config->scope);
	free(older);
	if (err)
		return err;
	a->stats = calloc(a->profile.sample_count + 1, sizeof(*a->stats));
	if (!a->stats)
		return -ENOMEM;
	err = compute_growth(a, tl);
	if (!err)
		err = compute_ages(a, c, end_ns, max_ts_ns);
	if (!err)
		err = classify_processes(a, tl, config);
	return err;
}

void hs_analysis_free(struct hs_analysis *a)
{
	hs_profile_free(&a->profile);
	free(a->stats);
	free(a->processes);
	memset(a, 0, sizeof(*a));
}

struct ranked {
	size_t index;
	double key, tie;
};

static int highest_first(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->tie != y->tie)
		return x->tie > y->tie ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sample indexes in the given order; the caller frees *indexes. */
int hs_analysis_order(const struct hs_analysis *a, enum hs_sample_order order, size_t **indexes,
		      size_t *count)
{
	const struct hs_profile *p = &a->profile;
	struct ranked *ranked = calloc(p->sample_count + 1, sizeof(*ranked));
	size_t n = 0;

	*indexes = calloc(p->sample_count + 1, sizeof(**indexes));
	if (!ranked || !*indexes) {
		free(ranked);
		free(*indexes);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->sample_count; i++) {
		const struct hs_sample_stats *st = &a->stats[i];

		if (order == HS_ORDER_GROWTH && !(st->has_trend && st->growth_bytes_per_s > 0))
			continue;
		ranked[n++] =
			order == HS_ORDER_GROWTH
				? (struct ranked){i, st->growth_bytes_per_s, st->steadiness}
				: (struct ranked){i, p->samples[i].values[HS_WEIGHT_INUSE_BYTES],
						  p->samples[i].values[HS_WEIGHT_ALLOC_BYTES]};
	}
	qsort(ranked, n, sizeof(*ranked), highest_first);
	for (size_t i = 0; i < n; i++)
		(*indexes)[i] = ranked[i].index;
	*count = n;
	free(ranked);
	return 0;
}

size_t hs_analysis_holding(const struct hs_analysis *a, const size_t *indexes, size_t count)
{
	while (count && !a->profile.samples[indexes[count - 1]].values[HS_WEIGHT_INUSE_BYTES])
		count--;
	return count;
}
