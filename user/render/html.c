// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * html.c - the session as one self-contained page, the evidence people attach
 * to a ticket: who was profiled, when and for how long, with the totals; a
 * banner when results may be incomplete; the verdict in the report's words
 * with its figures; the timeline chart (one per process, with a picker); the
 * flame graph, switchable between its weights; the top stacks by growth and
 * by live bytes.  The text reads without JavaScript; the script only switches
 * views and charts.
 *
 * The page is a table of sections and the flame graph a table of views: a
 * later section (the allocator state of `heapscope inspect`, the leak check)
 * or view (leaked bytes) is one more row with its writer, and says with
 * present() whether the session has what it shows.
 *
 * Owns: the session page's sections and the diff page.  Does not own: the
 * page frame, escaping, charts (html_page.c, html_chart.c), the flame graph
 * (svg.c) or the words of the verdict (render.c, verdict.c).
 * Invariant: every figure is the one the other formats print for the same
 * session (summary, analysis, profile: never recomputed here), and every
 * name goes through hs_html_text().
 */
#include "render/html.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lib/units.h"
#include "lib/version.h"
#include "render/html_page.h"
#include "render/leaks.h"
#include "render/svg.h"

struct html_section {
	const char *id, *heading;
	bool (*present)(const struct hs_render_input *in); /* NULL: always */
	int (*write)(FILE *out, const struct hs_render_input *in);
};

/* A flame graph view of the session: the profile weighed one way. */
struct session_view {
	const struct hs_render_input *in;
	enum hs_weight weight;
};

static int write_session_svg(FILE *out, const void *ctx)
{
	const struct session_view *view = ctx;
	struct hs_render_input weighed = *view->in;

	weighed.weight = view->weight;
	return hs_render_svg(out, &weighed);
}

/* "2026-12-02 00:41:12 UTC", or "" when the start is not known. */
static void started_text(const struct hs_summary *sum, char *out, size_t len)
{
	time_t started = sum->started_unix_ns / 1000000000ull;
	struct tm tm;

	out[0] = '\0';
	if (sum->started_unix_ns && gmtime_r(&started, &tm))
		strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void write_title(FILE *out, const struct hs_render_input *in)
{
	const struct hs_summary *sum = in->summary;
	const uint64_t *totals = in->profile->totals;
	char name[64], started[40];

	hs_render_session_name(sum, name, sizeof(name));
	started_text(sum, started, sizeof(started));
	fputs("<header>\n<h1>heapscope: ", out);
	hs_html_text(out, name);
	fputs("</h1>\n<p class=\"facts\">", out);
	if (started[0])
		fprintf(out, "<span>started %s</span>", started);
	fprintf(out, "<span>for %.1f s</span><span>flame graph weighed by ", sum->duration_s);
	hs_html_text(out, hs_weight_name(in->weight));
	fputs("</span><br>\n<span>live ", out);
	hs_html_bytes(out, "total-live-bytes", sum->live_bytes);
	fputs(" in ", out);
	hs_html_count(out, "total-live-count", sum->live_count);
	fputs(" blocks</span><span>allocated ", out);
	hs_html_bytes(out, "total-alloc-bytes", totals[HS_WEIGHT_ALLOC_BYTES]);
	fputs(" in ", out);
	hs_html_count(out, "total-alloc-count", totals[HS_WEIGHT_ALLOC_COUNT]);
	fputs(" calls</span><span>", out);
	hs_html_count(out, "total-events", sum->events);
	fputs(" events, ", out);
	hs_html_count(out, "total-lost-events", sum->lost_events);
	fputs(" lost</span>", out);
	if (sum->overhead_known)
		fprintf(out, "<span id=\"overhead\">probes took %.1f%% of the %s CPU</span>",
			sum->overhead_pct, sum->process_count > 1 ? "targets'" : "target's");
	fputs("<span>heapscope ", out);
	hs_html_text(out, hs_version());
	fputs("</span></p>\n</header>\n", out);
}

/* What makes the figures below less than the whole truth, said before them. */
static void write_banner(FILE *out, const struct hs_summary *sum)
{
	char cut_short[256];

	if (sum->lost_events || sum->replaced_blocks || sum->stacks_not_kept)
		fprintf(out, "<p class=\"banner\" id=\"banner-losses\">Results may be incomplete: "
			"%llu events lost, %llu frees never seen, %llu stacks not kept.</p>\n",
			(unsigned long long)sum->lost_events,
			(unsigned long long)sum->replaced_blocks,
			(unsigned long long)sum->stacks_not_kept);
	if (sum->target_exited || sum->target_execed)
		fprintf(out, "<p class=\"banner\" id=\"banner-ended\">The session was cut short: "
			"%s %s after %.1f s.</p>\n",
			sum->process_count > 1 ? "every target" : "the target",
			sum->target_execed ? "exec()ed another program" : "exited",
			sum->duration_s);
	hs_render_cut_short(sum, cut_short, sizeof(cut_short));
	if (cut_short[0]) {
		fputs("<p class=\"banner\" id=\"banner-overhead\">The session was cut short: ", out);
		hs_html_text(out, cut_short);
		fputs(".</p>\n", out);
	}
}

static void memory_row(FILE *out, const char *what, bool known, double start, double end)
{
	fputs("<tr><td class=\"name\">", out);
	hs_html_text(out, what);
	if (known)
		fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", HS_BYTES(start),
			HS_BYTES(end), HS_BYTES(end - start));
	else
		fputs("</td><td>?</td><td>?</td><td>?</td></tr>\n", out);
}

/* The verdict as the report words it, and the memory figures behind it. */
static int write_verdict(FILE *out, const struct hs_render_input *in)
{
	const struct hs_analysis *a = in->analysis;
	const struct hs_verdict *v = &a->totals;
	const struct hs_timeline *tl = a->timeline;
	const char *kind = hs_verdict_name(a->verdict.kind);
	char explanation[HS_RENDER_EXPLANATION_MAX];

	hs_render_explanation(in, explanation, sizeof(explanation));
	fprintf(out, "<p><span id=\"verdict-name\" class=\"verdict-name verdict-%s\">%s"
		"</span></p>\n<p id=\"verdict-explanation\">", kind, kind);
	hs_html_text(out, explanation);
	fprintf(out, "</p>\n<table id=\"memory\"><tr><th class=\"name\">%s</th><th>start</th>"
		"<th>end</th><th>change</th></tr>\n",
		a->process_count > 1 ? "processes alive, summed" : "memory");
	memory_row(out, "live heap (since attach)", tl->count > 0,
		   tl->count ? tl->points[0].live_bytes : 0,
		   tl->count ? tl->points[tl->count - 1].live_bytes : 0);
	memory_row(out, "RSS", v->memory_known, v->rss_start, v->rss_end);
	memory_row(out, "anonymous", v->memory_known, v->anon_start, v->anon_end);
	memory_row(out, "[heap] mapping", v->memory_known, v->heap_start, v->heap_end);
	memory_row(out, "anonymous - live heap", v->memory_known, v->gap_start, v->gap_end);
	fputs("</table>\n", out);
	if (in->summary->unknown_frees)
		fprintf(out, "<p>The live heap counts blocks allocated since attach; %llu older "
			"blocks were freed, sizes unknown.</p>\n",
			(unsigned long long)in->summary->unknown_frees);
	return ferror(out) ? -EIO : 0;
}

/* The session's points; with several processes, each one's too, and a picker between them. */
static int write_timeline(FILE *out, const struct hs_render_input *in)
{
	const struct hs_analysis *a = in->analysis;
	const struct hs_timeline *tl = a->timeline;
	size_t charts = a->process_count < HS_HTML_MAX_CHARTS ? a->process_count
							       : HS_HTML_MAX_CHARTS;
	char label[96];
	int err;

	if (a->process_count > 1)
		fputs("<p hidden>Show: <select id=\"chart-picker\"></select></p>\n", out);
	err = hs_html_chart(out, a->process_count > 1 ? "every process, summed" : "the session",
			    tl->points, tl->count);
	for (size_t i = 0; !err && a->process_count > 1 && i < charts; i++) {
		const struct hs_process_verdict *pv = &a->processes[i];

		hs_render_process_name(in->summary, pv->pid, label, sizeof(label));
		err = hs_html_chart(out, label, pv->timeline->points, pv->timeline->count);
	}
	if (!err && a->process_count > charts)
		fprintf(out, "<p>%zu more processes are in the sum, without a chart of their "
			"own.</p>\n", a->process_count - charts);
	return err;
}

static bool has_allocator_state(const struct hs_render_input *in)
{
	return in->heap_reading_count > 0;
}

/* One figure at start and end; "?" where that state was not read. */
static void state_row(FILE *out, const char *what, const struct hs_heap_reading *r,
		      uint64_t start, uint64_t end)
{
	bool start_known = r->start_read && r->start.heap_read;
	bool end_known = r->end_read && r->end.heap_read;

	fputs("<tr><td class=\"name\">", out);
	hs_html_text(out, what);
	fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
		start_known ? HS_BYTES(start) : "?", end_known ? HS_BYTES(end) : "?",
		start_known && end_known ? HS_BYTES((double)end - (double)start) : "?");
}

/* One process's allocator state: the report's sentences, the totals at start and end, the
 * advice, what reading it cost. */
static void write_process_state(FILE *out, const struct hs_render_input *in,
				const struct hs_heap_reading *r)
{
	const struct hs_glibc_arena_stats *a = &r->start.heap.total, *b = &r->end.heap.total;
	const struct hs_inspection *last = r->end_read && r->end.heap_read ? &r->end : &r->start;
	char text[HS_RENDER_EXPLANATION_MAX];

	hs_render_process_name(in->summary, r->pid, text, sizeof(text));
	fprintf(out, "<h3 id=\"allocator-state-%d\">", r->pid);
	hs_html_text(out, text);
	fputs("</h3>\n<p class=\"allocator-start\">start: ", out);
	hs_heap_state_sentence(&r->start, text, sizeof(text));
	hs_html_text(out, text);
	fputs("</p>\n", out);
	if (!r->start_read || r->start.allocator != HS_ALLOCATOR_GLIBC)
		return; /* another allocator: its one line says its state is not read */
	fputs("<p class=\"allocator-end\">end: ", out);
	if (r->end_read)
		hs_heap_state_sentence(&r->end, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "not read: the process had gone before the session "
			 "ended.");
	hs_html_text(out, text);
	fputs("</p>\n", out);
	if (!last->heap_read)
		return;
	fprintf(out, "<table class=\"allocator-totals\"><tr><th class=\"name\">glibc</th>"
		"<th>start</th><th>end</th><th>change</th></tr>\n");
	state_row(out, "system (arenas)", r, a->system_bytes, b->system_bytes);
	state_row(out, "in use", r, a->in_use_bytes, b->in_use_bytes);
	state_row(out, "free (top, fastbins, bins)", r, hs_glibc_free_bytes(a),
		  hs_glibc_free_bytes(b));
	state_row(out, "free and resident", r, a->free_resident_bytes, b->free_resident_bytes);
	state_row(out, "malloc_trim(0) would return", r, a->trimmable_bytes, b->trimmable_bytes);
	state_row(out, "mmapped blocks", r, r->start.heap.mmapped_bytes, r->end.heap.mmapped_bytes);
	fputs("</table>\n<p class=\"allocator-advice\">", out);
	hs_heap_state_advice_text(last, text, sizeof(text));
	hs_html_text(out, text);
	fprintf(out, "</p>\n<p>Read %u times from outside (%u timeline points, %u skipped to keep "
		"reading within %.0f%% of the session's time), %.1f ms on average.</p>\n",
		r->reads, r->point_reads, r->skipped_points, HS_HEAP_READ_BUDGET_SHARE * 100,
		r->reads ? r->read_ms_total / r->reads : 0);
}

static int write_allocator_state(FILE *out, const struct hs_render_input *in)
{
	for (size_t i = 0; i < in->heap_reading_count && i < HS_HTML_MAX_CHARTS; i++)
		write_process_state(out, in, &in->heap_readings[i]);
	return ferror(out) ? -EIO : 0;
}

static int write_flame(FILE *out, const struct hs_render_input *in)
{
	const struct session_view inuse = { in, HS_WEIGHT_INUSE_BYTES };
	const struct session_view alloc = { in, HS_WEIGHT_ALLOC_BYTES };
	const struct session_view leaked = { in, HS_WEIGHT_LEAKED_BYTES };
	const struct hs_html_view views[] = {
		{ "inuse", "in-use bytes", write_session_svg, &inuse },
		{ "alloc", "allocated bytes", write_session_svg, &alloc },
		{ "leaked", "leaked bytes", write_session_svg, &leaked }, /* --leak-check */
	};
	size_t count = sizeof(views) / sizeof(views[0]);

	return hs_html_views(out, views, in->leaks && in->leaks->done ? count : count - 1);
}

static void write_frames(FILE *out, const struct hs_profile *profile,
			 const struct hs_profile_sample *sample)
{
	uint32_t shown = sample->frame_count < HS_HTML_MAX_FRAMES ? sample->frame_count
								  : HS_HTML_MAX_FRAMES;

	fputs("<details><summary><code>", out);
	if (sample->frame_count)
		hs_html_text(out, profile->names[sample->names[sample->frame_count - 1]]);
	fputs("</code></summary><ol class=\"frames\">", out);
	for (uint32_t f = 0; f < shown; f++) {
		fputs("<li>", out);
		hs_html_text(out, profile->names[sample->names[sample->frame_count - 1 - f]]);
		fputs("</li>", out);
	}
	fputs("</ol>", out);
	if (shown < sample->frame_count)
		fprintf(out, "... %u more frames", sample->frame_count - shown);
	if (sample->truncated)
		fputs(" (stack truncated at --max-frames)", out);
	fputs("</details>", out);
}

/* The top stacks in order, leaf first (like a backtrace), with their growth and ages. */
static int write_top(FILE *out, const struct hs_render_input *in, enum hs_sample_order order,
		     const char *id)
{
	const struct hs_analysis *a = in->analysis;
	size_t *indexes, count, shown;
	int err = hs_analysis_order(a, order, &indexes, &count);

	if (err)
		return err;
	if (order == HS_ORDER_LIVE)
		count = hs_analysis_holding(a, indexes, count);
	shown = count < HS_HTML_TOP_STACKS ? count : HS_HTML_TOP_STACKS;
	fprintf(out, "<p>%zu of %zu stacks%s</p>\n", shown, count, count ? ":" : ".");
	if (shown)
		fprintf(out, "<table id=\"%s\"><tr><th>#</th><th>growth</th><th>steadiness</th>"
			"<th>live</th><th>blocks</th><th>allocated</th><th>calls</th>"
			"<th>oldest</th><th>median age</th>"
			"<th class=\"name\">stack (leaf first)</th></tr>\n", id);
	for (size_t i = 0; i < shown; i++) {
		const struct hs_profile_sample *sample = &a->profile.samples[indexes[i]];
		const struct hs_sample_stats *st = &a->stats[indexes[i]];

		fprintf(out, "<tr><td>%zu</td>", i + 1);
		if (st->has_trend)
			fprintf(out, "<td>%s/s</td><td>%.2f</td>", HS_BYTES(st->growth_bytes_per_s),
				st->steadiness);
		else
			fputs("<td>-</td><td>-</td>", out);
		fprintf(out, "<td>%s</td><td>%llu</td><td>%s</td><td>%llu</td>",
			HS_BYTES(sample->values[HS_WEIGHT_INUSE_BYTES]),
			(unsigned long long)sample->values[HS_WEIGHT_INUSE_COUNT],
			HS_BYTES(sample->values[HS_WEIGHT_ALLOC_BYTES]),
			(unsigned long long)sample->values[HS_WEIGHT_ALLOC_COUNT]);
		if (sample->values[HS_WEIGHT_INUSE_COUNT])
			fprintf(out, "<td>%.1f s</td><td>%.1f s</td>", st->oldest_age_s,
				st->median_age_s);
		else
			fputs("<td>-</td><td>-</td>", out);
		fputs("<td class=\"name\">", out);
		write_frames(out, &a->profile, sample);
		fputs("</td></tr>\n", out);
	}
	if (shown)
		fputs("</table>\n", out);
	free(indexes);
	return ferror(out) ? -EIO : 0;
}

static int write_growing(FILE *out, const struct hs_render_input *in)
{
	return write_top(out, in, HS_ORDER_GROWTH, "top-growing");
}

static int write_live(FILE *out, const struct hs_render_input *in)
{
	return write_top(out, in, HS_ORDER_LIVE, "top-live");
}

static int write_losses(FILE *out, const struct hs_render_input *in)
{
	const struct hs_summary *sum = in->summary;

	fprintf(out, "<p>%llu events lost, %llu frees never seen, %llu stacks not kept, %zu stacks "
		"without a series (over %d).  %llu unknown frees: blocks allocated before attach, "
		"not in the live heap, which counts only blocks allocated since.</p>\n",
		(unsigned long long)sum->lost_events, (unsigned long long)sum->replaced_blocks,
		(unsigned long long)sum->stacks_not_kept, in->analysis->stacks_without_series,
		HS_TIMELINE_MAX_STACKS, (unsigned long long)sum->unknown_frees);
	return ferror(out) ? -EIO : 0;
}

/* The page, top to bottom.  The leak check plugs in here, with a present() that says whether
 * the session has it, as the allocator state (glibc targets) does. */
static bool has_leak_check(const struct hs_render_input *in)
{
	return in->leaks != NULL;
}

/* --leak-check: the report's LEAKS section, its words and figures as they are, escaped. */
static int write_leak_check(FILE *out, const struct hs_render_input *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int err;

	if (!mem)
		return -ENOMEM;
	err = hs_render_leaks_report(mem, in);
	if (fclose(mem) && !err)
		err = -EIO;
	if (!err) {
		fputs("<pre id=\"leak-check\">", out);
		hs_html_text(out, text);
		fputs("</pre>\n", out);
	}
	free(text);
	return err ? err : ferror(out) ? -EIO : 0;
}

static const struct html_section sections[] = {
	{ "verdict", "Verdict", NULL, write_verdict },
	{ "timeline", "Timeline", NULL, write_timeline },
	{ "allocator-state", "Allocator state", has_allocator_state, write_allocator_state },
	{ "leak-check", "Leak check", has_leak_check, write_leak_check },
	{ "flame-graph", "Flame graph", NULL, write_flame },
	{ "growing", "Top stacks by growth", NULL, write_growing },
	{ "live", "Top stacks by live bytes", NULL, write_live },
	{ "losses", "Losses", NULL, write_losses },
};

int hs_render_html(FILE *out, const struct hs_render_input *input)
{
	char name[64], title[128];
	int err = 0;

	if (!input->summary || !input->analysis)
		return -EINVAL;
	hs_render_session_name(input->summary, name, sizeof(name));
	snprintf(title, sizeof(title), "heapscope: %s, %s", name,
		 hs_verdict_name(input->analysis->verdict.kind));
	hs_html_begin(out, title);
	write_title(out, input);
	write_banner(out, input->summary);
	for (size_t i = 0; !err && i < sizeof(sections) / sizeof(sections[0]); i++) {
		const struct html_section *s = &sections[i];

		if (s->present && !s->present(input))
			continue;
		fprintf(out, "<section id=\"section-%s\">\n<h2>%s</h2>\n", s->id, s->heading);
		err = s->write(out, input);
		fputs("</section>\n", out);
	}
	return err ? err : hs_html_end(out);
}

struct diff_view {
	struct hs_diff *diff;
	const char *old_name, *new_name;
};

static int write_diff_svg(FILE *out, const void *ctx)
{
	const struct diff_view *view = ctx;

	return hs_diff_write_svg(out, view->diff, view->old_name, view->new_name);
}

/* heapscope diff -f html: both totals and the differential flame graph. */
int hs_diff_write_html(FILE *out, struct hs_diff *diff, const char *old_name,
		       const char *new_name)
{
	const struct diff_view ctx = { diff, old_name, new_name };
	const struct hs_html_view view = { "diff", "difference", write_diff_svg, &ctx };
	char change[32];
	int err;

	hs_html_begin(out, "heapscope diff");
	fputs("<header>\n<h1>heapscope diff: ", out);
	hs_html_text(out, old_name);
	fputs(" &#8594; ", out);
	hs_html_text(out, new_name);
	fputs("</h1>\n<p class=\"facts\"><span>old total ", out);
	hs_html_count(out, "total-old", diff->old_total);
	fputs("</span><span>new total ", out);
	hs_html_count(out, "total-new", diff->new_total);
	hs_group_digits(diff->new_total >= diff->old_total ? diff->new_total - diff->old_total
							    : diff->old_total - diff->new_total,
			change, sizeof(change));
	fprintf(out, "</span><span>change %s%s</span></p>\n</header>\n"
		"<p>Red frames grew, blue ones shrank; a frame is as wide as the larger of its two "
		"weights.</p>\n", diff->new_total >= diff->old_total ? "+" : "-", change);
	err = hs_html_views(out, &view, 1);
	return err ? err : hs_html_end(out);
}
