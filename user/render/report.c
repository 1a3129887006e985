// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report.c - the report for people: the verdict in plain words with
 * its figures, the memory at start and end, a short timeline, the top stacks
 * by live bytes and by growth with their frames (leaf first, like a
 * backtrace), and what was lost.  With several processes, a table of them
 * with their verdicts and a section per process (its verdict, its memory, its
 * top stacks), the most severe first.  For glibc targets, the allocator's
 * state read at start and end (render/heap_state.c's section).  Everything
 * here comes from the analysis (analysis.c); this file only lays it out.
 */
#include "render/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/wording.h"
#include "lib/text.h"
#include "render/leaks.h"
#include "lib/units.h"
#include "lib/version.h"

#define REPORT_WIDTH	     96
#define REPORT_TOP_STACKS    10 /* per list */
#define REPORT_MAX_FRAMES    16 /* per stack; deeper ones say how many are left out */
#define REPORT_TIMELINE_ROWS 12
#define REPORT_MAX_PROCESSES 32 /* sections; the PROCESSES table has every process */

/* Text wrapped at REPORT_WIDTH, each line indented. */
static void wrap(FILE *out, const char *text, int indent)
{
	hs_text_wrap(out, text, indent, "", REPORT_WIDTH);
}

static void write_header(FILE *out, const struct hs_render_input *in)
{
	const struct hs_summary *sum = in->summary;
	const struct hs_timeline *tl = in->analysis->timeline;
	char name[64], cut_short[256];

	hs_render_session_name(sum, name, sizeof(name));
	fprintf(out, "heapscope report: %s%s%s, %.1f s, %zu points every %.2g s\n", name,
		sum->merged && sum->process_count > 1 ? " merged" : "",
		!sum->target_exited ? "" : sum->process_count > 1 ? ", all exited" : ", exited",
		sum->duration_s, tl->count, tl->interval_s);
	fprintf(out, "by heapscope %s\n", hs_version());
	if (sum->overhead_known)
		fprintf(out, "overhead: heapscope's probes took %.1f%% of the %s CPU time\n",
			sum->overhead_pct, sum->process_count > 1 ? "targets'" : "target's");
	hs_render_cut_short(sum, cut_short, sizeof(cut_short));
	if (cut_short[0])
		fprintf(out, "CUT SHORT: %s\n", cut_short);
	fputc('\n', out);
}

static const char *process_state(const struct hs_process_summary *p)
{
	return p->exited ? "exited" : p->execed ? "exec()ed" : "running";
}

static const char *process_verdict(const struct hs_analysis *a, pid_t pid)
{
	const struct hs_process_verdict *pv = hs_analysis_process(a, pid);

	return pv ? hs_verdict_name(pv->verdict.kind) : "-";
}

/* One row per process and their totals; shown with several processes, or one in a
 * PID namespace (its PID there differs from the host's). */
static void write_processes(FILE *out, const struct hs_summary *sum, const struct hs_analysis *a)
{
	uint64_t live = 0, blocks = 0, allocated = 0, calls = 0;

	if (sum->process_count == 0 ||
	    (sum->process_count == 1 && sum->processes[0].ns_pid == sum->processes[0].pid))
		return;
	fprintf(out, "PROCESSES %8s %8s %-16s %-9s %-12s %12s %10s %12s %10s\n", "PID", "NS PID",
		"COMM", "STATE", "VERDICT", "live", "blocks", "allocated", "calls");
	for (size_t i = 0; i < sum->process_count; i++) {
		const struct hs_process_summary *p = &sum->processes[i];

		fprintf(out, "  %16d %8d %-16s %-9s %-12s %12s %10llu %12s %10llu\n", p->pid,
			p->ns_pid, p->comm, process_state(p), process_verdict(a, p->pid),
			HS_BYTES(p->live_bytes), (unsigned long long)p->live_count,
			HS_BYTES(p->alloc_bytes), (unsigned long long)p->alloc_count);
		live += p->live_bytes;
		blocks += p->live_count;
		allocated += p->alloc_bytes;
		calls += p->alloc_count;
	}
	if (sum->process_count > 1)
		fprintf(out, "  %-65s %12s %10llu %12s %10llu\n", "total", HS_BYTES(live),
			(unsigned long long)blocks, HS_BYTES(allocated), (unsigned long long)calls);
	fputc('\n', out);
}

static void write_verdict(FILE *out, const struct hs_render_input *in)
{
	char explanation[HS_RENDER_EXPLANATION_MAX];

	hs_render_explanation(in, explanation, sizeof(explanation));
	char verdict[128];

	hs_render_leak_verdict(in, verdict, sizeof(verdict)); /* with --leak-check's proof */
	fprintf(out, "VERDICT: %s\n", verdict);
	wrap(out, explanation, 2);
	fputc('\n', out);
}

static void write_memory_row(FILE *out, const char *what, bool known, double start, double end)
{
	if (known)
		fprintf(out, "  %-30s %12s %12s %12s\n", what, HS_BYTES(start), HS_BYTES(end),
			HS_BYTES(end - start));
	else
		fprintf(out, "  %-30s %12s %12s %12s\n", what, "?", "?", "?");
}

/* Live heap, RSS, anonymous, [heap] at start and end: of the session's or one process's points. */
static void write_memory_rows(FILE *out, const struct hs_verdict *v,
			      const struct hs_timeline_point *points, size_t count)
{
	uint64_t live_first = count ? points[0].live_bytes : 0;
	uint64_t live_last = count ? points[count - 1].live_bytes : 0;

	write_memory_row(out, "live heap (since attach)", count > 0, live_first, live_last);
	write_memory_row(out, "RSS", v->memory_known, v->rss_start, v->rss_end);
	write_memory_row(out, "anonymous", v->memory_known, v->anon_start, v->anon_end);
	write_memory_row(out, "[heap] mapping", v->memory_known, v->heap_start, v->heap_end);
	write_memory_row(out, "anonymous - live heap", v->memory_known, v->gap_start, v->gap_end);
}

static void write_memory(FILE *out, const struct hs_render_input *in)
{
	const struct hs_analysis *a = in->analysis;
	const struct hs_verdict *v = &a->totals;
	const struct hs_timeline *tl = a->timeline;
	struct hs_timeline_rates rates;

	fprintf(out, "MEMORY %-25s %12s %12s %12s\n",
		a->process_count > 1 ? "(processes alive, summed)" : "", "start", "end", "change");
	write_memory_rows(out, v, tl->points, tl->count);
	if (in->summary->unknown_frees && !in->summary->unknown_free_bytes)
		fprintf(out,
			"  (the live heap counts blocks allocated since attach; %llu older blocks "
			"were freed, sizes unknown,\n"
			"   so anonymous - live heap falls as they go)\n",
			(unsigned long long)in->summary->unknown_frees);
	else if (in->summary->unknown_frees)
		fprintf(out,
			"  (the live heap counts blocks allocated since attach; %llu older blocks "
			"were freed, %s by glibc's\n"
			"   chunk headers (%llu of unknown size), so anonymous - live heap falls as "
			"they go)\n",
			(unsigned long long)in->summary->unknown_frees,
			HS_BYTES(in->summary->unknown_free_bytes),
			(unsigned long long)in->summary->unknown_frees_unmeasured);
	if (tl->count > 1) {
		hs_timeline_rates(tl, 0, tl->count - 1, &rates);
		fprintf(out,
			"  live heap peak %s; on average %.0f allocations/s, %.0f frees/s, "
			"%s/s allocated\n",
			HS_BYTES(v->live_peak), rates.allocs_per_s, rates.frees_per_s,
			HS_BYTES(rates.alloc_bytes_per_s));
	}
	fputc('\n', out);
}

/* A few evenly spread points, the last one included. */
static void write_timeline(FILE *out, const struct hs_timeline *tl)
{
	size_t rows = tl->count < REPORT_TIMELINE_ROWS ? tl->count : REPORT_TIMELINE_ROWS;
	size_t previous = 0;

	if (rows < 2)
		return;
	fprintf(out, "TIMELINE %8s %12s %12s %12s %14s %12s\n", "t", "live heap", "anonymous",
		"RSS", "allocs/s", "malloc free");
	for (size_t r = 0; r < rows; r++) {
		size_t i = r * (tl->count - 1) / (rows - 1);
		const struct hs_timeline_point *p = &tl->points[i];
		struct hs_timeline_rates rates;

		hs_timeline_rates(tl, previous, i, &rates);
		fprintf(out, "  %14.1fs %12s %12s %12s %14.0f %12s\n", p->t_s,
			HS_BYTES(p->live_bytes), p->mem.valid ? HS_BYTES(p->mem.anon_bytes) : "?",
			p->mem.valid ? HS_BYTES(p->mem.rss_bytes) : "?", rates.allocs_per_s,
			p->malloc_state.known ? HS_BYTES(p->malloc_state.free_bytes) : "-");
		previous = i;
	}
	fputc('\n', out);
}

/* Each glibc target's allocator state, read at start and end (heap_state.c lays it out). */
static void write_allocator_state(FILE *out, const struct hs_render_input *in)
{
	for (size_t i = 0; i < in->heap_reading_count && i < REPORT_MAX_PROCESSES; i++)
		hs_heap_reading_report(out, &in->heap_readings[i], in->summary->duration_s);
}

static void write_frames(FILE *out, const struct hs_profile *profile,
			 const struct hs_profile_sample *sample)
{
	uint32_t shown =
		sample->frame_count < REPORT_MAX_FRAMES ? sample->frame_count : REPORT_MAX_FRAMES;

	for (uint32_t f = 0; f < shown; f++)
		fprintf(out, "        %s\n",
			profile->names[sample->names[sample->frame_count - 1 - f]]);
	if (shown < sample->frame_count)
		fprintf(out, "        ... %u more frames\n", sample->frame_count - shown);
	if (sample->truncated)
		fputs("        ... (stack truncated at --max-frames)\n", out);
}

static void write_stack(FILE *out, const struct hs_analysis *a, size_t rank, size_t index)
{
	const struct hs_profile_sample *sample = &a->profile.samples[index];
	const struct hs_sample_stats *st = &a->stats[index];

	fprintf(out, "  #%zu  %s live in %llu blocks; %s allocated in %llu calls\n", rank,
		HS_BYTES(sample->values[HS_WEIGHT_INUSE_BYTES]),
		(unsigned long long)sample->values[HS_WEIGHT_INUSE_COUNT],
		HS_BYTES(sample->values[HS_WEIGHT_ALLOC_BYTES]),
		(unsigned long long)sample->values[HS_WEIGHT_ALLOC_COUNT]);
	if (st->has_trend)
		fprintf(out, "      growth %s/s (steadiness %.2f)",
			HS_BYTES(st->growth_bytes_per_s), st->steadiness);
	else
		fputs("      growth not measured", out);
	if (sample->values[HS_WEIGHT_INUSE_COUNT])
		fprintf(out, "; live blocks aged %.1f s oldest, %.1f s median", st->oldest_age_s,
			st->median_age_s);
	fputc('\n', out);
	write_frames(out, &a->profile, sample);
}

static int write_top(FILE *out, const struct hs_analysis *a, enum hs_sample_order order,
		     const char *title)
{
	size_t *indexes, count, shown;
	int err = hs_analysis_order(a, order, &indexes, &count);

	if (err)
		return err;
	if (order == HS_ORDER_LIVE)
		count = hs_analysis_holding(a, indexes, count);
	shown = count < REPORT_TOP_STACKS ? count : REPORT_TOP_STACKS;
	fprintf(out, "%s (%zu of %zu)%s\n", title, shown, count, count ? "" : ": none");
	for (size_t i = 0; i < shown; i++)
		write_stack(out, a, i + 1, indexes[i]);
	fputc('\n', out);
	free(indexes);
	return 0;
}

/* Sample indexes by growth and by live bytes, to find each process's top stacks. */
struct top_lists {
	size_t *growth, growth_count;
	size_t *live, live_count;
};

/* The leaf of the first sample of pid in order (holding live bytes, if live_only), or NULL. */
static const char *top_leaf(const struct hs_analysis *a, const size_t *order, size_t count,
			    pid_t pid, bool live_only, size_t *index)
{
	for (size_t i = 0; i < count; i++) {
		const struct hs_profile_sample *sample = &a->profile.samples[order[i]];

		if ((pid_t)sample->pid != pid ||
		    (live_only && !sample->values[HS_WEIGHT_INUSE_BYTES]))
			continue;
		*index = order[i];
		return a->profile.names[sample->names[sample->frame_count - 1]];
	}
	return NULL;
}

static void write_process_tops(FILE *out, const struct hs_analysis *a,
			       const struct top_lists *tops, pid_t pid)
{
	size_t i;
	const char *leaf = top_leaf(a, tops->growth, tops->growth_count, pid, false, &i);

	if (leaf)
		fprintf(out, "  fastest growing stack: %s, %s/s (steadiness %.2f)\n", leaf,
			HS_BYTES(a->stats[i].growth_bytes_per_s), a->stats[i].steadiness);
	leaf = top_leaf(a, tops->live, tops->live_count, pid, true, &i);
	if (leaf)
		fprintf(out, "  most live bytes: %s, %s in %llu blocks\n", leaf,
			HS_BYTES(a->profile.samples[i].values[HS_WEIGHT_INUSE_BYTES]),
			(unsigned long long)a->profile.samples[i].values[HS_WEIGHT_INUSE_COUNT]);
}

static void write_process(FILE *out, const struct hs_render_input *in, size_t index,
			  const struct top_lists *tops)
{
	const struct hs_analysis *a = in->analysis;
	const struct hs_process_verdict *pv = &a->processes[index];
	const struct hs_verdict *v = &pv->verdict;
	char name[64], explanation[HS_RENDER_EXPLANATION_MAX];

	hs_render_process_name(in->summary, pv->pid, name, sizeof(name));
	fprintf(out, "PROCESS %s: %s, %.1f s, %zu points\n", name, hs_verdict_name(v->kind),
		v->duration_s, v->points);
	if (index == a->verdict_process) {
		fputs("  (the session's verdict: explained under VERDICT above)\n", out);
	} else {
		hs_render_process_explanation(in, pv->pid, v, explanation, sizeof(explanation));
		wrap(out, explanation, 2);
	}
	fprintf(out, "  %-30s %12s %12s %12s\n", "", "start", "end", "change");
	write_memory_rows(out, v, pv->timeline->points, pv->timeline->count);
	if (!in->summary->merged) /* merged samples belong to no one process */
		write_process_tops(out, a, tops, pv->pid);
	fputc('\n', out);
}

struct ranked_process {
	size_t index;
	int severity;
};

/* Most severe first, then in the order the processes were added. */
static int most_severe_first(const void *a, const void *b)
{
	const struct ranked_process *x = a, *y = b;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* With several processes: a section each, the most severe first, at most REPORT_MAX_PROCESSES. */
static int write_process_sections(FILE *out, const struct hs_render_input *in)
{
	const struct hs_analysis *a = in->analysis;
	struct ranked_process *ranked;
	struct top_lists tops = { 0 };
	size_t shown = a->process_count < REPORT_MAX_PROCESSES ? a->process_count
							       : REPORT_MAX_PROCESSES;
	int err;

	if (a->process_count < 2)
		return 0;
	ranked = calloc(a->process_count, sizeof(*ranked));
	err = ranked ? hs_analysis_order(a, HS_ORDER_GROWTH, &tops.growth, &tops.growth_count)
		     : -ENOMEM;
	if (!err)
		err = hs_analysis_order(a, HS_ORDER_LIVE, &tops.live, &tops.live_count);
	for (size_t i = 0; !err && i < a->process_count; i++) {
		ranked[i].index = i;
		ranked[i].severity = hs_verdict_severity(a->processes[i].verdict.kind);
	}
	if (!err)
		qsort(ranked, a->process_count, sizeof(*ranked), most_severe_first);
	for (size_t i = 0; !err && i < shown; i++)
		write_process(out, in, ranked[i].index, &tops);
	if (!err && shown < a->process_count)
		fprintf(out, "(%zu more processes, the least severe: their verdicts are in the "
			"PROCESSES table)\n\n", a->process_count - shown);
	free(ranked);
	free(tops.growth);
	free(tops.live);
	return err;
}

static void write_losses(FILE *out, const struct hs_render_input *in)
{
	const struct hs_summary *sum = in->summary;

	fprintf(out,
		"LOSSES: %llu events lost, %llu frees never seen, %llu stacks not kept, "
		"%zu stacks without a series (over %d)\n",
		(unsigned long long)sum->lost_events, (unsigned long long)sum->replaced_blocks,
		(unsigned long long)sum->stacks_not_kept, in->analysis->stacks_without_series,
		HS_TIMELINE_MAX_STACKS);
	fprintf(out,
		"UNKNOWN FREES: %llu (blocks allocated before attach: not in the live heap, "
		"which counts only blocks allocated since); %s by glibc's chunk headers, %llu "
		"of unknown size\n",
		(unsigned long long)sum->unknown_frees, HS_BYTES(sum->unknown_free_bytes),
		(unsigned long long)sum->unknown_frees_unmeasured);
}

int hs_render_report(FILE *out, const struct hs_render_input *input)
{
	const struct hs_analysis *a = input->analysis;
	const struct hs_profile *p = &a->profile;
	int err;

	write_header(out, input);
	write_processes(out, input->summary, a);
	write_verdict(out, input);
	err = write_process_sections(out, input);
	if (err)
		return err;
	err = hs_render_leaks_report(out, input); /* --leak-check */
	if (err)
		return err;
	write_memory(out, input);
	write_timeline(out, a->timeline);
	write_allocator_state(out, input);
	if (a->min_age_s > 0)
		fprintf(out,
			"Only live blocks older than %.1f s are shown (--min-age): %s in %llu "
			"blocks.\n\n",
			a->min_age_s, HS_BYTES(p->totals[HS_WEIGHT_INUSE_BYTES]),
			(unsigned long long)p->totals[HS_WEIGHT_INUSE_COUNT]);
	err = write_top(out, a, HS_ORDER_GROWTH, "TOP STACKS BY GROWTH");
	if (!err)
		err = write_top(out, a, HS_ORDER_LIVE, "TOP STACKS BY LIVE BYTES");
	if (err)
		return err;
	write_losses(out, input);
	return ferror(out) ? -EIO : 0;
}
