// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * verdict_explain.c - a verdict in plain words: one paragraph that states it with the
 * figures behind it (the rise, the slopes, memory from /proc, glibc's own figures, what
 * was discounted) and what to try.  verdict.c classifies; this file only tells, from the
 * fields of struct hs_verdict, and reads nothing else.
 */
#include <stdarg.h>
#include <stdio.h>

#include "analysis/verdict.h"
#include "lib/units.h"

struct text {
	char *out;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void say(struct text *text, const char *fmt, ...)
{
	va_list args;
	int n;

	if (text->used >= text->len)
		return;
	va_start(args, fmt);
	n = vsnprintf(text->out + text->used, text->len - text->used, fmt, args);
	va_end(args);
	if (n > 0)
		text->used += n;
}

static void explain_memory(const struct hs_verdict *v, struct text *text)
{
	if (!v->memory_known)
		return;
	say(text, " Anonymous memory went from %s to %s (RSS %s to %s).", HS_BYTES(v->anon_start),
	    HS_BYTES(v->anon_end), HS_BYTES(v->rss_start), HS_BYTES(v->rss_end));
}

static void explain_leak(const struct hs_verdict *v, struct text *text)
{
	say(text,
	    "The live heap grows steadily: %s/s, about +%s over %.1f s (Kendall's tau %.2f "
	    "over %zu points), and still %s/s over the last third.",
	    HS_BYTES(v->live.slope), HS_BYTES(v->live.slope * v->duration_s), v->duration_s,
	    v->live.tau, v->points, HS_BYTES(v->live_late.slope));
	say(text, " Blocks allocated during the session stay allocated: the top growing stacks "
		  "hold them.");
	explain_memory(v, text);
	if (v->allocator_keeps)
		say(text, " Besides, the allocator keeps freed memory: see retention.");
	say(text, " Caveat: a cache that is still filling grows the same way; a longer session "
		  "shows whether it flattens.");
}

/*
 * A rise the first two thirds' slope accounts for is told as a rate; one that came
 * as a step (a slope near 0 on both sides of it) as the step, from level to level:
 * "grew at 0 B/s" would contradict the rise.
 */
static void explain_bounded(const struct hs_verdict *v, struct text *text)
{
	double rise = v->rise_to - v->rise_from;
	double by_slope = v->live_early.slope * v->duration_s * 2 / 3;

	if (!v->early_step && by_slope >= rise / 2)
		say(text,
		    "The live heap grew, then flattened at %s (%s/s over the first two thirds "
		    "of %.1f s, %s/s over the last third).",
		    HS_BYTES(v->live_end), HS_BYTES(v->live_early.slope), v->duration_s,
		    HS_BYTES(v->live_late.slope));
	else
		say(text,
		    "The live heap grew in a step, by %s from %s to %s within the first %.1f s "
		    "of %.1f s, then stayed flat (ending at %s; %s/s over the last third).",
		    HS_BYTES(rise), HS_BYTES(v->rise_from), HS_BYTES(v->rise_to), v->rise_end_s,
		    v->duration_s, HS_BYTES(v->live_last), HS_BYTES(v->live_late.slope));
	if (v->early_step && !v->replaced_frees)
		say(text, " No block allocated before attach was freed while it rose, so the step "
			  "is new memory, not old blocks replaced.");
	else if (v->early_step)
		say(text,
		    " Blocks allocated before attach were freed while it rose: %llu, %s by "
		    "their glibc chunk headers; the step is %s more than they were, new memory, "
		    "not only old blocks replaced.",
		    (unsigned long long)v->replaced_frees, HS_BYTES(v->replaced_bytes),
		    HS_BYTES(v->early_rise - v->replaced_bytes));
	say(text, " A cache or pool reaching its size looks like this, not a leak; if it grows "
		  "again later, a longer session will show it.");
	explain_memory(v, text);
}

static void explain_retention(const struct hs_verdict *v, struct text *text)
{
	say(text,
	    "The live heap did not grow (it ends at %s, after a peak of %s) but anonymous "
	    "memory grew by %s (%s to %s; the [heap] mapping %s to %s): memory freed by "
	    "the program is kept by the allocator instead of being returned to the system.",
	    HS_BYTES(v->live_end), HS_BYTES(v->live_peak), HS_BYTES(v->anon_end - v->anon_start),
	    HS_BYTES(v->anon_start), HS_BYTES(v->anon_end), HS_BYTES(v->heap_start),
	    HS_BYTES(v->heap_end));
	say(text, " Anonymous memory minus live heap went from %s to %s.", HS_BYTES(v->gap_start),
	    HS_BYTES(v->gap_end));
	say(text, " glibc returns memory only from the top of the heap, so one block still in use "
		  "near the top pins everything below it. To try: call malloc_trim(0) after large "
		  "frees; MALLOC_ARENA_MAX=2 when many threads allocate; a lower mmap threshold "
		  "(mallopt M_MMAP_THRESHOLD, or GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536) "
		  "so large blocks get their own mappings; or jemalloc "
		  "(LD_PRELOAD=libjemalloc.so.2), which returns free pages over time.");
}

/* glibc's figures at the end (and at the start, when read then too). */
static void explain_malloc(const struct hs_verdict *v, struct text *text)
{
	const struct hs_malloc_figures *end = &v->malloc_end, *start = &v->malloc_start;

	say(text,
	    " glibc holds %s free inside malloc, %s of it resident; malloc_trim(0) would return "
	    "about %s (%s in use in its arenas).",
	    HS_BYTES(end->free_bytes), HS_BYTES(end->free_resident_bytes),
	    HS_BYTES(end->trimmable_bytes), HS_BYTES(end->in_use_bytes));
	if (v->malloc_start_known && v->malloc_start_s == 0)
		say(text, " At the start it held %s free, %s of it resident.",
		    HS_BYTES(start->free_bytes), HS_BYTES(start->free_resident_bytes));
	else if (v->malloc_start_known) /* not read at the first point: when it was */
		say(text, " At %.1f s it held %s free, %s of it resident.", v->malloc_start_s,
		    HS_BYTES(start->free_bytes), HS_BYTES(start->free_resident_bytes));
}

/* The /proc inference said otherwise than glibc's figures: say which one the verdict took. */
static void explain_overruled(const struct hs_verdict *v, struct text *text)
{
	if (!v->inference_overruled)
		return;
	if (v->retention_measured)
		say(text,
		    " Anonymous memory alone (%s to %s) would not have shown it: the figure "
		    "measured inside malloc decides.",
		    HS_BYTES(v->anon_start), HS_BYTES(v->anon_end));
	else
		say(text,
		    " Anonymous memory grew by %s, which alone would read as retention, but "
		    "glibc's measured free memory is small: the growth is not malloc keeping "
		    "freed memory (mmapped blocks, other mappings, or a cache outside the heap), "
		    "and the measurement decides.",
		    HS_BYTES(v->anon_end - v->anon_start));
}

/* Retention measured inside glibc: the figures, then what the /proc inference said. */
static void explain_retention_measured(const struct hs_verdict *v, struct text *text)
{
	say(text,
	    "The live heap did not grow (it ends at %s, after a peak of %s), yet memory freed "
	    "by the program stays inside the allocator instead of going back to the system.",
	    HS_BYTES(v->live_end), HS_BYTES(v->live_peak));
	explain_malloc(v, text);
	explain_memory(v, text);
	explain_overruled(v, text);
}

/* A rise in the first quarter was read as old blocks replaced: what it was and why. */
static void explain_replaced(const struct hs_verdict *v, struct text *text)
{
	if (!v->early_replaced)
		return;
	if (v->replaced_unmeasured)
		say(text,
		    " It rose by %s in the first quarter, while %llu blocks allocated before "
		    "attach were freed, %llu of them of unknown size: the rise may be them being "
		    "replaced by blocks heapscope sees.",
		    HS_BYTES(v->early_rise), (unsigned long long)v->replaced_frees,
		    (unsigned long long)v->replaced_unmeasured);
	else
		say(text,
		    " It rose by %s in the first quarter, while %llu blocks allocated before "
		    "attach were freed, %s by their glibc chunk headers: net of them the rise "
		    "is within noise, old blocks replaced by ones heapscope sees, not growth.",
		    HS_BYTES(v->early_rise), (unsigned long long)v->replaced_frees,
		    HS_BYTES(v->replaced_bytes));
}

static void explain_stable(const struct hs_verdict *v, struct text *text)
{
	double visible = v->detect_bytes / (0.75 * v->duration_s);

	say(text, "The live heap did not grow beyond noise: %s to %s in %.1f s%s.",
	    HS_BYTES(v->live_start), HS_BYTES(v->live_end), v->duration_s,
	    v->ended ? " (the process ended then)" : "");
	explain_replaced(v, text);
	explain_memory(v, text);
	if (v->malloc_known)
		explain_malloc(v, text);
	explain_overruled(v, text);
	if (v->ended)
		say(text, " Growth slower than about %s/s could not be seen in a life this short.",
		    HS_BYTES(visible));
	else
		say(text,
		    " Growth slower than about %s/s cannot be seen in a session this short; a "
		    "session N times longer sees growth N times slower.",
		    HS_BYTES(visible));
}

static void explain_doubt(const struct hs_verdict *v, struct text *text)
{
	switch (v->doubt) {
	case HS_DOUBT_LOST_EVENTS:
		say(text,
		    "%llu of %llu events were lost, and a lost free looks like a leak: no "
		    "verdict. Run again with a larger --ringbuf-size.",
		    (unsigned long long)v->lost_events, (unsigned long long)v->events);
		break;
	case HS_DOUBT_TOO_SHORT:
		if (v->ended && v->points < 2) { /* its totals are all there is */
			say(text, "The process ended before heapscope could sample it twice: "
				  "nothing to judge it on.");
			break;
		}
		if (v->ended) { /* no longer session can be run on it */
			say(text,
			    "The process ended after %.1f s (%zu points), too short a life to tell "
			    "growth from noise; its live heap ended at %s (peak %s).",
			    v->duration_s, v->points, HS_BYTES(v->live_last),
			    HS_BYTES(v->live_peak));
			break;
		}
		say(text,
		    "%.1f s and %zu points are too few to tell growth from noise: run at "
		    "least %.0f s (-d %.0f).",
		    v->duration_s, v->points, v->suggest_s, v->suggest_s);
		break;
	default:
		say(text,
		    "The live heap rose by %s in %.1f s, but unsteadily (Kendall's tau %.2f; "
		    "swings of %s around the trend)",
		    HS_BYTES(v->live_rise), v->duration_s, v->live.tau, HS_BYTES(v->live.noise));
		if (v->ended)
			say(text, ", and the process ended then: a trend cannot be told from "
				  "noise in its life.");
		else
			say(text, ": run longer (-d %.0f) to tell a trend from noise.",
			    v->suggest_s);
		break;
	}
}

/* The verdict in plain words, with its figures: one paragraph. */
void hs_verdict_explain(const struct hs_verdict *v, char *out, size_t len)
{
	struct text text = {out, len, 0};

	if (len)
		out[0] = '\0';
	switch (v->kind) {
	case HS_VERDICT_LEAK:
		explain_leak(v, &text);
		break;
	case HS_VERDICT_BOUNDED:
		explain_bounded(v, &text);
		break;
	case HS_VERDICT_RETENTION:
		if (v->retention_measured)
			explain_retention_measured(v, &text);
		else
			explain_retention(v, &text);
		break;
	case HS_VERDICT_STABLE:
		explain_stable(v, &text);
		break;
	default:
		explain_doubt(v, &text);
		break;
	}
}
