// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * json.c - the report for scripts: the session, the verdict with its
 * figures, every process with its own verdict and figures, the series, and
 * every stack with its frames (root first), values, growth and ages; for glibc
 * targets, the allocator's state at start and end and its figures at the points
 * where it was read.  The
 * schema is documented in README.md ("JSON"); fields are only ever added.
 * Stacks come most live bytes first.
 */
#include "render/json.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/json_writer.h"
#include "lib/version.h"
#include "render/wording.h"
#include "render/leaks.h"

#define JSON_VERSION 2 /* 2: each process's verdict, verdict_pid */

/* sep: ",\n  " between the session's fields, ", " inside a process's object. */
static void named_number(FILE *out, const char *sep, const char *name, double value)
{
	fprintf(out, "%s\"%s\": ", sep, name);
	hs_json_number(out, value);
}

static void field(FILE *out, const char *name, double value)
{
	named_number(out, ",\n  ", name, value);
}

/* A figure that only exists when it was measured (/proc could be read). */
static void known_number(FILE *out, const char *sep, const char *name, bool known, double value)
{
	if (known)
		named_number(out, sep, name, value);
	else
		fprintf(out, "%s\"%s\": null", sep, name);
}

/* The figures behind a verdict: the live heap's peak and trend, the memory at start and end. */
static void write_evidence(FILE *out, const char *sep, const struct hs_verdict *v)
{
	bool known = v->memory_known;

	named_number(out, sep, "live_peak_bytes", v->live_peak);
	named_number(out, sep, "live_growth_bytes_per_s", v->live.slope);
	named_number(out, sep, "live_growth_steadiness", v->live.tau);
	known_number(out, sep, "rss_bytes_start", known, v->rss_start);
	known_number(out, sep, "rss_bytes_end", known, v->rss_end);
	known_number(out, sep, "anon_bytes_start", known, v->anon_start);
	known_number(out, sep, "anon_bytes_end", known, v->anon_end);
	known_number(out, sep, "heap_mapping_bytes_start", known, v->heap_start);
	known_number(out, sep, "heap_mapping_bytes_end", known, v->heap_end);
}

/* glibc's figures behind a verdict: at the first and the last point that has them. */
static void write_malloc_evidence(FILE *out, const char *sep, const struct hs_verdict *v)
{
	known_number(out, sep, "malloc_free_bytes_start", v->malloc_start_known,
		     v->malloc_start.free_bytes);
	known_number(out, sep, "malloc_free_resident_bytes_start", v->malloc_start_known,
		     v->malloc_start.free_resident_bytes);
	known_number(out, sep, "malloc_free_bytes_end", v->malloc_known, v->malloc_end.free_bytes);
	known_number(out, sep, "malloc_free_resident_bytes_end", v->malloc_known,
		     v->malloc_end.free_resident_bytes);
	known_number(out, sep, "malloc_trimmable_bytes_end", v->malloc_known,
		     v->malloc_end.trimmable_bytes);
	fprintf(out, "%s\"retention_measured\": %s", sep, v->retention_measured ? "true" : "false");
}

/* The overhead meter's share (null when the targets hardly ran), --max-overhead (null: not
 * given) and why heapscope cut the session short (null: it did not). */
static void write_overhead(FILE *out, const struct hs_summary *sum)
{
	char cut_short[256];

	known_number(out, ",\n  ", "overhead_pct", sum->overhead_known, sum->overhead_pct);
	known_number(out, ",\n  ", "max_overhead_pct", sum->max_overhead_pct > 0,
		     sum->max_overhead_pct);
	hs_render_cut_short(sum, cut_short, sizeof(cut_short));
	fprintf(out, ",\n  \"stopped_by_max_overhead\": %s,\n  \"cut_short\": ",
		sum->overhead_stopped ? "true" : "false");
	if (cut_short[0])
		hs_json_string(out, cut_short);
	else
		fputs("null", out);
}

static void write_session(FILE *out, const struct hs_render_input *in)
{
	const struct hs_summary *sum = in->summary;
	const struct hs_analysis *a = in->analysis;
	char explanation[HS_RENDER_EXPLANATION_MAX];

	hs_render_explanation(in, explanation, sizeof(explanation));
	fprintf(out, "{\n  \"version\": %d,\n  \"heapscope_version\": ", JSON_VERSION);
	hs_json_string(out, hs_version());
	fprintf(out, ",\n  \"pid\": %d,\n  \"comm\": ", sum->pid);
	hs_json_string(out, sum->comm);
	field(out, "duration_s", sum->duration_s);
	field(out, "interval_s", a->timeline->interval_s);
	field(out, "points", a->timeline->count);
	fprintf(out, ",\n  \"verdict\": \"%s\",\n  \"verdict_pid\": %d,\n  \"explanation\": ",
		hs_verdict_name(a->verdict.kind),
		a->process_count ? a->processes[a->verdict_process].pid : sum->pid);
	hs_json_string(out, explanation);
	field(out, "live_bytes", sum->live_bytes);
	field(out, "live_count", sum->live_count);
	write_evidence(out, ",\n  ", &a->totals);
	write_malloc_evidence(out, ",\n  ", &a->verdict);
	field(out, "events", sum->events);
	field(out, "lost_events", sum->lost_events);
	field(out, "unknown_frees", sum->unknown_frees);
	field(out, "unknown_free_bytes", sum->unknown_free_bytes);
	field(out, "unknown_frees_unmeasured", sum->unknown_frees_unmeasured);
	field(out, "short_lived_processes", sum->short_lived_processes);
	field(out, "stacks_without_series", a->stacks_without_series);
	field(out, "min_age_s", a->min_age_s);
	write_overhead(out, sum);
}

/* glibc's figures at a point: null where they were not read for it. */
static void write_malloc_figures(FILE *out, const struct hs_malloc_figures *m)
{
	known_number(out, ", ", "malloc_free_bytes", m->known, m->free_bytes);
	known_number(out, ", ", "malloc_free_resident_bytes", m->known, m->free_resident_bytes);
	known_number(out, ", ", "malloc_in_use_bytes", m->known, m->in_use_bytes);
	known_number(out, ", ", "malloc_trimmable_bytes", m->known, m->trimmable_bytes);
}

static void write_series(FILE *out, const struct hs_timeline *tl)
{
	fputs(",\n  \"series\": [", out);
	for (size_t i = 0; i < tl->count; i++) {
		const struct hs_timeline_point *p = &tl->points[i];
		struct hs_timeline_rates rates;

		hs_timeline_rates(tl, i ? i - 1 : 0, i, &rates);
		fprintf(out, "%s\n    {\"t_s\": ", i ? "," : "");
		hs_json_number(out, p->t_s);
		fprintf(out, ", \"live_bytes\": %llu, \"live_count\": %llu",
			(unsigned long long)p->live_bytes, (unsigned long long)p->live_count);
		if (p->mem.valid)
			fprintf(out,
				", \"rss_bytes\": %llu, \"anon_bytes\": %llu, "
				"\"heap_mapping_bytes\": %llu",
				(unsigned long long)p->mem.rss_bytes,
				(unsigned long long)p->mem.anon_bytes,
				(unsigned long long)p->mem.heap_bytes);
		else
			fputs(", \"rss_bytes\": null, \"anon_bytes\": null, "
			      "\"heap_mapping_bytes\": null",
			      out);
		write_malloc_figures(out, &p->malloc_state);
		fputs(", \"allocs_per_s\": ", out);
		hs_json_number(out, rates.allocs_per_s);
		fputs(", \"frees_per_s\": ", out);
		hs_json_number(out, rates.frees_per_s);
		fputs(", \"alloc_bytes_per_s\": ", out);
		hs_json_number(out, rates.alloc_bytes_per_s);
		fputc('}', out);
	}
	fputs("\n  ]", out);
}

/* A process's own verdict and its figures; null where it has none (never sampled). */
static void write_process_verdict(FILE *out, const struct hs_render_input *in,
				  const struct hs_process_verdict *pv)
{
	static const struct hs_verdict none;
	char explanation[HS_RENDER_EXPLANATION_MAX];

	if (pv) {
		hs_render_process_explanation(in, pv->pid, &pv->verdict, explanation,
					      sizeof(explanation));
		fprintf(out, ", \"verdict\": \"%s\", \"explanation\": ",
			hs_verdict_name(pv->verdict.kind));
		hs_json_string(out, explanation);
	} else {
		fputs(", \"verdict\": null, \"explanation\": null", out);
	}
	named_number(out, ", ", "duration_s", pv ? pv->verdict.duration_s : 0);
	named_number(out, ", ", "points", pv ? pv->verdict.points : 0);
	write_evidence(out, ", ", pv ? &pv->verdict : &none);
	write_malloc_evidence(out, ", ", pv ? &pv->verdict : &none);
}

/* Every process of the session, one object a line; exited/execed say how it ended; a glibc
 * target's allocator_state, read at start and end (null for the others). */
static void write_processes(FILE *out, const struct hs_render_input *in)
{
	const struct hs_summary *sum = in->summary;
	const struct hs_analysis *a = in->analysis;

	fprintf(out, ",\n  \"merged\": %s,\n  \"processes\": [", sum->merged ? "true" : "false");
	for (size_t i = 0; i < sum->process_count; i++) {
		const struct hs_process_summary *p = &sum->processes[i];

		fprintf(out, "%s\n    {\"pid\": %d, \"ns_pid\": %d, \"comm\": ", i ? "," : "",
			p->pid, p->ns_pid);
		hs_json_string(out, p->comm);
		fprintf(out,
			", \"exited\": %s, \"execed\": %s, \"live_bytes\": %llu, "
			"\"live_count\": %llu, \"alloc_bytes\": %llu, \"alloc_count\": %llu",
			p->exited ? "true" : "false", p->execed ? "true" : "false",
			(unsigned long long)p->live_bytes, (unsigned long long)p->live_count,
			(unsigned long long)p->alloc_bytes, (unsigned long long)p->alloc_count);
		fprintf(out,
			", \"unknown_frees\": %llu, \"unknown_free_bytes\": %llu, "
			"\"unknown_frees_unmeasured\": %llu",
			(unsigned long long)p->unknown_frees,
			(unsigned long long)p->unknown_free_bytes,
			(unsigned long long)p->unknown_frees_unmeasured);
		write_process_verdict(out, in, hs_analysis_process(a, p->pid));
		fputs(", \"allocator_state\": ", out);
		if (hs_render_heap_reading(in, p->pid))
			hs_heap_reading_json(out, hs_render_heap_reading(in, p->pid),
					     sum->duration_s);
		else
			fputs("null", out);
		fputc('}', out);
	}
	fputs("\n  ]", out);
}

static void write_stack(FILE *out, const struct hs_profile *profile,
			const struct hs_profile_sample *sample, const struct hs_sample_stats *st)
{
	fputs("\n    {\"frames\": [", out);
	for (uint32_t f = 0; f < sample->frame_count; f++) {
		fputs(f ? ", " : "", out);
		hs_json_string(out, profile->names[sample->names[f]]);
	}
	fprintf(out,
		"], \"live_bytes\": %llu, \"live_count\": %llu, \"alloc_bytes\": %llu, "
		"\"alloc_count\": %llu, \"growth_bytes_per_s\": ",
		(unsigned long long)sample->values[HS_WEIGHT_INUSE_BYTES],
		(unsigned long long)sample->values[HS_WEIGHT_INUSE_COUNT],
		(unsigned long long)sample->values[HS_WEIGHT_ALLOC_BYTES],
		(unsigned long long)sample->values[HS_WEIGHT_ALLOC_COUNT]);
	if (st->has_trend) {
		hs_json_number(out, st->growth_bytes_per_s);
		fputs(", \"steadiness\": ", out);
		hs_json_number(out, st->steadiness);
	} else {
		fputs("null, \"steadiness\": null", out);
	}
	fputs(", \"oldest_age_s\": ", out);
	hs_json_number(out, st->oldest_age_s);
	fputs(", \"median_age_s\": ", out);
	hs_json_number(out, st->median_age_s);
	fprintf(out, ", \"truncated\": %s}", sample->truncated ? "true" : "false");
}

int hs_render_json(FILE *out, const struct hs_render_input *input)
{
	const struct hs_analysis *a = input->analysis;
	size_t *order, count;
	int err = hs_analysis_order(a, HS_ORDER_LIVE, &order, &count);

	if (err)
		return err;
	write_session(out, input);
	err = hs_render_leaks_json(out, input); /* --leak-check */
	if (err) {
		free(order);
		return err;
	}
	write_processes(out, input);
	write_series(out, a->timeline);
	fputs(",\n  \"stacks\": [", out);
	for (size_t i = 0; i < count; i++) {
		fputs(i ? "," : "", out);
		write_stack(out, &a->profile, &a->profile.samples[order[i]], &a->stats[order[i]]);
	}
	fputs("\n  ]\n}\n", out);
	free(order);
	return ferror(out) ? -EIO : 0;
}
