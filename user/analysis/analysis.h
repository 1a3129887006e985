/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ANALYSIS_H
#define HEAPSCOPE_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/collect.h"
#include "analysis/profile.h"
#include "symbol/symbolize.h"
#include "analysis/timeline.h"
#include "analysis/verdict.h"

/* What the report says about one profile sample besides its four values. */
struct hs_sample_stats {
	bool has_trend;		   /* its stacks have a series of at least two points */
	double growth_bytes_per_s; /* Theil-Sen slope of its live bytes */
	double steadiness;	   /* Kendall's tau of the same series: 1 = rose every time */
	double oldest_age_s;	   /* of its live blocks shown (after --min-age); 0 if none */
	double median_age_s;
};

struct hs_analysis_config {
	double min_age_s; /* 0: every live block */
	double end_s;	  /* CLOCK_MONOTONIC seconds at which the session ended */
	uint64_t events, lost_events;
	const struct hs_profile_scope *scope; /* the session's processes; NULL: one */
};

/* One process of the session and its own verdict. */
struct hs_process_verdict {
	pid_t pid;
	const struct hs_process_timeline *timeline;
	struct hs_verdict verdict;
};

/* Everything the outputs read, computed once when the session has ended. */
struct hs_analysis {
	struct hs_profile profile;
	struct hs_sample_stats *stats; /* one per profile sample */
	struct hs_verdict verdict; /* the session's: of its most severe process, with several */
	struct hs_verdict totals;  /* the session's points, every process summed: its figures */
	struct hs_process_verdict *processes; /* the timeline's, in the order they were added */
	size_t process_count;
	size_t verdict_process; /* which of them the verdict comes from (with several) */
	const struct hs_timeline *timeline;
	double min_age_s;
	size_t stacks_without_series; /* HS_TIMELINE_MAX_STACKS was hit */
};

enum hs_sample_order {
	HS_ORDER_LIVE,	 /* most live bytes first, then most allocated */
	HS_ORDER_GROWTH, /* fastest growing first; only growing samples */
};

int hs_analysis_build(struct hs_analysis *a, const struct hs_collector *c,
		      const struct hs_timeline *tl, struct hs_symbolizer *sym,
		      const struct hs_analysis_config *config);
void hs_analysis_free(struct hs_analysis *a);
const struct hs_process_verdict *hs_analysis_process(const struct hs_analysis *a, pid_t pid);
int hs_analysis_order(const struct hs_analysis *a, enum hs_sample_order order, size_t **indexes,
		      size_t *count);
/* Of samples ranked by live bytes, how many lead that hold any (the rest only allocated). */
size_t hs_analysis_holding(const struct hs_analysis *a, const size_t *indexes, size_t count);

#endif
