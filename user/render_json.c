// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * render_json.c - the report for scripts: the session, the verdict with its
 * figures, the series, and every stack with its frames (root first), values,
 * growth and ages.  The schema is documented in README.md ("JSON"); fields
 * are only ever added.  Stacks come most live bytes first.
 */
#include "render_json.h"

#include <errno.h>
#include <stdlib.h>

#include "json.h"

#define JSON_VERSION 1

static void field(FILE *out, const char *name, double value)
{
	fprintf(out, ",\n  \"%s\": ", name);
	hs_json_number(out, value);
}

/* A figure that only exists when /proc could be read. */
static void memory_field(FILE *out, const char *name, bool known, double value)
{
	if (known)
		field(out, name, value);
	else
		fprintf(out, ",\n  \"%s\": null", name);
}

static void write_session(FILE *out, const struct hs_render_input *in)
{
	const struct hs_summary *sum = in->summary;
	const struct hs_analysis *a = in->analysis;
	const struct hs_verdict *v = &a->verdict;
	char explanation[4096];

	hs_verdict_explain(v, explanation, sizeof(explanation));
	fprintf(out, "{\n  \"version\": %d,\n  \"pid\": %d,\n  \"comm\": ", JSON_VERSION, sum->pid);
	hs_json_string(out, sum->comm);
	field(out, "duration_s", sum->duration_s);
	field(out, "interval_s", a->timeline->interval_s);
	field(out, "points", a->timeline->count);
	fprintf(out, ",\n  \"verdict\": \"%s\",\n  \"explanation\": ", hs_verdict_name(v->kind));
	hs_json_string(out, explanation);
	field(out, "live_bytes", sum->live_bytes);
	field(out, "live_count", sum->live_count);
	field(out, "live_peak_bytes", v->live_peak);
	field(out, "live_growth_bytes_per_s", v->live.slope);
	field(out, "live_growth_steadiness", v->live.tau);
	memory_field(out, "rss_bytes_start", v->memory_known, v->rss_start);
	memory_field(out, "rss_bytes_end", v->memory_known, v->rss_end);
	memory_field(out, "anon_bytes_start", v->memory_known, v->anon_start);
	memory_field(out, "anon_bytes_end", v->memory_known, v->anon_end);
	memory_field(out, "heap_mapping_bytes_start", v->memory_known, v->heap_start);
	memory_field(out, "heap_mapping_bytes_end", v->memory_known, v->heap_end);
	field(out, "events", sum->events);
	field(out, "lost_events", sum->lost_events);
	field(out, "unknown_frees", sum->unknown_frees);
	field(out, "stacks_without_series", a->stacks_without_series);
	field(out, "min_age_s", a->min_age_s);
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

/* Every process of the session, one object a line; exited/execed say how it ended. */
static void write_processes(FILE *out, const struct hs_summary *sum)
{
	fprintf(out, ",\n  \"merged\": %s,\n  \"processes\": [", sum->merged ? "true" : "false");
	for (size_t i = 0; i < sum->process_count; i++) {
		const struct hs_process_summary *p = &sum->processes[i];

		fprintf(out, "%s\n    {\"pid\": %d, \"ns_pid\": %d, \"comm\": ", i ? "," : "",
			p->pid, p->ns_pid);
		hs_json_string(out, p->comm);
		fprintf(out,
			", \"exited\": %s, \"execed\": %s, \"live_bytes\": %llu, "
			"\"live_count\": %llu, \"alloc_bytes\": %llu, \"alloc_count\": %llu}",
			p->exited ? "true" : "false", p->execed ? "true" : "false",
			(unsigned long long)p->live_bytes, (unsigned long long)p->live_count,
			(unsigned long long)p->alloc_bytes, (unsigned long long)p->alloc_count);
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
	write_processes(out, input->summary);
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
