/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_VERDICT_H
#define HEAPSCOPE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/timeline.h"
#include "analysis/trend.h"

/* Thresholds of the classification; README "Verdict" explains each. */
#define HS_VERDICT_MIN_SECONDS	      3.0
#define HS_VERDICT_MIN_POINTS	      6
#define HS_VERDICT_MIN_GROWTH_BYTES   (32.0 * 1024)   /* a smaller live-heap rise is not growth */
#define HS_VERDICT_MIN_RETAINED_BYTES (1024.0 * 1024) /* a smaller RSS rise is not retention */
#define HS_VERDICT_NOISE_FACTOR	      3.0  /* a rise must exceed this many noise spreads */
#define HS_VERDICT_TREND_Z	      2.33 /* Mann-Kendall: a trend at the 1% level */
#define HS_VERDICT_STEADY_TAU	      0.5  /* Kendall's tau of a steady rise */
#define HS_VERDICT_FLAT_RATIO	      0.25 /* last third's slope / the rest's under this: flat */
#define HS_VERDICT_MAX_LOST_SHARE     0.01 /* lost events above this share: no verdict */
#define HS_VERDICT_SUGGEST_SECONDS    30.0
/* Retention measured inside glibc: free resident bytes at least this and this share of RSS,
 * or grown by at least HS_VERDICT_MIN_RETAINED_BYTES over the session. */
#define HS_VERDICT_MIN_MALLOC_FREE_BYTES (1024.0 * 1024)
#define HS_VERDICT_MIN_MALLOC_FREE_SHARE 0.10

enum hs_verdict_kind {
	HS_VERDICT_INCONCLUSIVE = 0,
	HS_VERDICT_STABLE,
	HS_VERDICT_BOUNDED,
	HS_VERDICT_LEAK,
	HS_VERDICT_RETENTION,
	HS_VERDICT_KIND_COUNT,
};

/* Why a verdict is inconclusive. */
enum hs_verdict_doubt {
	HS_DOUBT_NONE = 0,
	HS_DOUBT_TOO_SHORT,
	HS_DOUBT_LOST_EVENTS,
	HS_DOUBT_NOISY,
};

struct hs_verdict_input {
	const struct hs_timeline_point *points;
	size_t count;
	uint64_t events, lost_events;
	bool ended; /* the process exited or exec()ed: judged on what it lived */
};

struct hs_verdict {
	enum hs_verdict_kind kind;
	enum hs_verdict_doubt doubt;
	double duration_s;
	size_t points;
	struct hs_trend live;		       /* the live heap over the whole session */
	struct hs_trend live_early, live_late; /* its first two thirds and last third */
	double live_start, live_end;	       /* medians of the first and the last quarter */
					       /* (live_end: the last point if fell_back) */
	double live_rise;		       /* live_end - live_start */
	double live_peak;
	double live_first, live_last; /* at the first and the last point */
	/* bounded: the rise, from what level to what level, ended by rise_end_s (since the
	 * first point); early_step: it ended within the first quarter */
	double rise_from, rise_to, rise_end_s;
	bool early_step;
	bool fell_back; /* it rose, then fell back to its start by the last point */
	/* The first quarter's blocks allocated before attach and freed (the points' unknown
	 * frees): how many, their bytes where glibc's chunk headers told them, how many
	 * without; early_replaced: a rise in it was read as them being replaced, not growth. */
	uint64_t replaced_frees, replaced_unmeasured;
	double replaced_bytes, early_rise;
	bool early_replaced;
	bool ended; /* as in the input */
	double detect_bytes; /* the smallest rise this session tells from noise */
	bool memory_known;   /* the /proc figures below were read at start and end */
	double rss_start, rss_end, anon_start, anon_end, heap_start, heap_end;
	double gap_start, gap_end; /* anonymous memory minus live heap */
	/* glibc's own figures (the points' malloc_state): at the last point that has them,
	 * and at the first, when it is another point */
	bool malloc_known, malloc_start_known;
	struct hs_malloc_figures malloc_start, malloc_end;
	double malloc_start_s; /* the point malloc_start was read for (0: the first point) */
	bool retention_measured; /* the verdict on retention comes from glibc's figures */
	bool allocator_keeps; /* whatever the verdict, the allocator keeps freed memory */
	bool inference_overruled; /* and the /proc inference said otherwise */
	double suggest_s;	   /* inconclusive: how long a session to run */
	uint64_t events, lost_events;
};

int hs_verdict_classify(const struct hs_verdict_input *in, struct hs_verdict *v);
const char *hs_verdict_name(enum hs_verdict_kind kind);
int hs_verdict_severity(enum hs_verdict_kind kind);
bool hs_verdict_more_severe(enum hs_verdict_kind a, enum hs_verdict_kind b);
void hs_verdict_explain(const struct hs_verdict *v, char *out, size_t len);
void hs_verdict_with_proof(enum hs_verdict_kind kind, bool growing,
			   uint64_t growing_unreachable_blocks, char *out, size_t len);

#endif
