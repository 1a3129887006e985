// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leaks.c - what --leak-check found, for the report (LEAKS), JSON (leak_check) and the
 * verdict line of both; the totals, sizes, types and limits also for heapscope inspect's
 * report and JSON (render/heap_state.c), so that both say them in the same words.
 *
 * Owns: the wording of the leak check's results, per profile sample (the raw stacks a sample
 * merges are added), the proof the verdict gets from it.
 * Does not own: the check (reach/), the leaked-* sample values (filled by reach into the
 * profile before rendering), the other sections.
 * Invariants: prints nothing when the check was not asked for; when it was asked and did not
 * run, says why (the session's results stand without it).
 */
#include "render/leaks.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/json_writer.h"
#include "lib/text.h"
#include "lib/units.h"

#define REPORT_LEAK_STACKS 10
#define REPORT_COLUMNS 100

/* Per sample: its direct blocks (the leaked ones are in its values). */
static uint64_t *direct_per_sample(const struct hs_render_input *in)
{
	const struct hs_profile *p = in->profile;
	const struct hs_leak_result *r = in->leaks;
	uint64_t *direct = calloc(p->sample_count + 1, sizeof(*direct));

	for (size_t i = 0; direct && i < r->stack_count; i++) {
		uint32_t id = r->stacks[i].stack_id;

		if (id < p->stack_count && p->sample_of_stack[id] != HS_NO_SAMPLE)
			direct[p->sample_of_stack[id]] += r->stacks[i].direct_blocks;
	}
	return direct;
}

static int most_leaked_first(const void *a, const void *b, void *ctx)
{
	const struct hs_profile *p = ctx;
	uint64_t x = p->samples[*(const size_t *)a].values[HS_WEIGHT_LEAKED_BYTES];
	uint64_t y = p->samples[*(const size_t *)b].values[HS_WEIGHT_LEAKED_BYTES];

	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* The samples holding leaked blocks, most leaked bytes first. */
static int leaking_samples(const struct hs_profile *p, size_t **order, size_t *count)
{
	*count = 0;
	*order = malloc((p->sample_count + 1) * sizeof(**order));
	if (!*order)
		return -ENOMEM;
	for (size_t i = 0; i < p->sample_count; i++)
		if (p->samples[i].values[HS_WEIGHT_LEAKED_COUNT])
			(*order)[(*count)++] = i;
	qsort_r(*order, *count, sizeof(**order), most_leaked_first, (void *)p);
	return 0;
}

/* "leak (proven: N blocks unreachable)", "reachable growth", or the trend's verdict. */
void hs_render_leak_verdict(const struct hs_render_input *in, char *out, size_t len)
{
	const struct hs_analysis *a = in->analysis;
	uint64_t unreachable = 0;
	size_t *growing = NULL, count = 0;

	if (!in->leaks || !in->leaks->done ||
	    hs_analysis_order(a, HS_ORDER_GROWTH, &growing, &count)) {
		snprintf(out, len, "%s", hs_verdict_name(a->verdict.kind));
		return;
	}
	for (size_t i = 0; i < count; i++)
		unreachable += a->profile.samples[growing[i]].values[HS_WEIGHT_LEAKED_COUNT];
	hs_verdict_with_proof(a->verdict.kind, count > 0, unreachable, out, len);
	free(growing);
}

static const char *leaf(const struct hs_profile *p, const struct hs_profile_sample *s)
{
	return s->frame_count ? p->names[s->names[s->frame_count - 1]] : "?";
}

/* Each growing stack, proven leaking or still referenced: what turns a trend into a fact. */
static int write_growing(FILE *out, const struct hs_render_input *in)
{
	const struct hs_analysis *a = in->analysis;
	size_t *growing, count;
	int err = hs_analysis_order(a, HS_ORDER_GROWTH, &growing, &count);

	if (err)
		return err;
	for (size_t i = 0; i < count && i < REPORT_LEAK_STACKS; i++) {
		const struct hs_profile_sample *s = &a->profile.samples[growing[i]];
		uint64_t leaked = s->values[HS_WEIGHT_LEAKED_COUNT];
		uint64_t live = s->values[HS_WEIGHT_INUSE_COUNT];

		if (leaked)
			fprintf(out, "  growing %s: leak (proven: %llu of %llu live blocks unreachable)\n",
				leaf(&a->profile, s), (unsigned long long)leaked,
				(unsigned long long)live);
		else
			fprintf(out, "  growing %s: reachable growth (all %llu live blocks still "
				"referenced: kept, not lost)\n", leaf(&a->profile, s),
				(unsigned long long)live);
	}
	free(growing);
	return 0;
}

/*
 * The LEAKS heading and totals, said alike by a session's report and by heapscope inspect's
 * (whose nodes are the heap walk's chunks); "LEAKS: not checked" and false when it did not run.
 */
bool hs_leaks_report_head(FILE *out, const struct hs_leak_result *r)
{
	if (!r->done) {
		fprintf(out, "LEAKS: not checked: %s\n\n", r->reason);
		return false;
	}
	fprintf(out, "LEAKS (--leak-check: PID %d paused %.1f ms, %s scanned, analysed in %.0f ms)\n",
		r->pid, r->pause_ms, HS_BYTES(r->scanned_bytes), r->analysis_ms);
	fprintf(out, "  %llu blocks (%s) unreachable of %llu checked: leaked for certain.\n"
		"  %llu direct (%s; no other leaked block points to them), %llu indirect (%s;"
		" only leaked blocks do).\n",
		(unsigned long long)r->unreachable_blocks, HS_BYTES(r->unreachable_bytes),
		(unsigned long long)r->nodes, (unsigned long long)r->direct_blocks,
		HS_BYTES(r->direct_bytes), (unsigned long long)r->indirect_blocks,
		HS_BYTES(r->indirect_bytes));
	fprintf(out, "  Roots: %s.\n", r->roots_detail);
	if (r->reason[0])
		fprintf(out, "  Note: %s.\n", r->reason);
	if (r->stale_blocks)
		fprintf(out, "  %llu blocks whose free was missed (the heap shows them free) were "
			"left out.\n", (unsigned long long)r->stale_blocks);
	return true;
}

/* Without stacks, the size of a leak is what names it: "By size" lines, most bytes first. */
void hs_leaks_report_sizes(FILE *out, const struct hs_leak_result *r)
{
	for (size_t i = 0; i < r->size_count; i++) {
		const struct hs_leak_size *z = &r->sizes[i];

		fprintf(out, "  %s %8llu B: %llu of %llu blocks unreachable (%s, %llu direct)\n",
			i ? "       " : "By size", (unsigned long long)z->size_bytes,
			(unsigned long long)z->unreachable_blocks, (unsigned long long)z->blocks,
			HS_BYTES(z->unreachable_bytes), (unsigned long long)z->direct_blocks);
	}
	if (r->sizes_not_kept)
		fprintf(out, "  ... %zu more sizes (in the totals)\n", r->sizes_not_kept);
}

/* The types, what the check cannot see, and the blank line that ends the section. */
void hs_leaks_report_tail(FILE *out, const struct hs_leak_result *r)
{
	for (size_t i = 0; i < r->type_count; i++)
		fprintf(out, "  %s  %s: %llu of %llu blocks unreachable (%s of %s)\n",
			i ? "       " : "By type", r->types[i].name,
			(unsigned long long)r->types[i].unreachable_blocks,
			(unsigned long long)r->types[i].blocks, HS_BYTES(r->types[i].unreachable_bytes),
			HS_BYTES(r->types[i].bytes));
	hs_text_wrap(out, HS_LEAKS_CANNOT_SEE, 2, "", REPORT_COLUMNS);
	fputc('\n', out);
}

int hs_render_leaks_report(FILE *out, const struct hs_render_input *in)
{
	const struct hs_leak_result *r = in->leaks;
	const struct hs_profile *p = in->profile;
	size_t *order, count;
	uint64_t *direct;
	int err;

	if (!r || !hs_leaks_report_head(out, r))
		return 0;
	err = write_growing(out, in);
	if (err)
		return err;
	err = leaking_samples(p, &order, &count);
	direct = direct_per_sample(in);
	if (err || !direct) {
		free(order);
		free(direct);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count && i < REPORT_LEAK_STACKS; i++) {
		const struct hs_profile_sample *s = &p->samples[order[i]];

		fprintf(out, "  #%zu  %s unreachable in %llu of %llu live blocks (%llu direct)  %s\n",
			i + 1, HS_BYTES(s->values[HS_WEIGHT_LEAKED_BYTES]),
			(unsigned long long)s->values[HS_WEIGHT_LEAKED_COUNT],
			(unsigned long long)s->values[HS_WEIGHT_INUSE_COUNT],
			(unsigned long long)direct[order[i]], leaf(p, s));
	}
	if (count > REPORT_LEAK_STACKS)
		fprintf(out, "  ... %zu more stacks\n", count - REPORT_LEAK_STACKS);
	if (r->untracked_unreachable_blocks)
		fprintf(out, "  and %s in %llu blocks allocated before attach (no stack)\n",
			HS_BYTES(r->untracked_unreachable_bytes),
			(unsigned long long)r->untracked_unreachable_blocks);
	hs_leaks_report_tail(out, r);
	free(order);
	free(direct);
	return 0;
}

static void number(FILE *out, const char *name, double value)
{
	fprintf(out, ", \"%s\": ", name);
	hs_json_number(out, value);
}

static void string(FILE *out, const char *name, const char *value)
{
	fprintf(out, ", \"%s\": ", name);
	hs_json_string(out, value);
}

static void write_json_stacks(FILE *out, const struct hs_render_input *in, const size_t *order,
			      size_t count, const uint64_t *direct)
{
	const struct hs_profile *p = in->profile;
	const struct hs_leak_result *r = in->leaks;

	fputs(",\n    \"stacks\": [", out);
	for (size_t i = 0; i < count; i++) {
		const struct hs_profile_sample *s = &p->samples[order[i]];

		fprintf(out, "%s\n      {\"frames\": [", i ? "," : "");
		for (uint32_t f = 0; f < s->frame_count; f++) {
			fputs(f ? ", " : "", out);
			hs_json_string(out, p->names[s->names[f]]);
		}
		fputs("]", out);
		number(out, "unreachable_bytes", s->values[HS_WEIGHT_LEAKED_BYTES]);
		number(out, "unreachable_blocks", s->values[HS_WEIGHT_LEAKED_COUNT]);
		number(out, "direct_blocks", direct[order[i]]);
		number(out, "live_blocks", s->values[HS_WEIGHT_INUSE_COUNT]);
		fputs("}", out);
	}
	if (r->untracked_unreachable_blocks) {
		fprintf(out, "%s\n      {\"frames\": [], \"before_attach\": true", count ? "," : "");
		number(out, "unreachable_bytes", r->untracked_unreachable_bytes);
		number(out, "unreachable_blocks", r->untracked_unreachable_blocks);
		fputs("}", out);
	}
	fputs("\n    ]", out);
}

/* ,"leak_check": {...} after the session's fields; nothing without --leak-check. */
int hs_render_leaks_json(FILE *out, const struct hs_render_input *in)
{
	const struct hs_leak_result *r = in->leaks;
	char verdict[128];
	size_t *order = NULL, count = 0;
	uint64_t *direct = NULL;

	if (!r)
		return 0;
	fputs(",\n  \"leak_check\": ", out);
	if (!hs_leaks_json_head(out, r))
		return 0;
	hs_render_leak_verdict(in, verdict, sizeof(verdict));
	string(out, "verdict", verdict);
	hs_leaks_json_totals(out, r);
	if (leaking_samples(in->profile, &order, &count) ||
	    !(direct = direct_per_sample(in))) {
		free(order);
		return -ENOMEM;
	}
	write_json_stacks(out, in, order, count, direct);
	hs_leaks_json_tail(out, r);
	free(order);
	free(direct);
	return 0;
}

/* {"done": ..., "reason": ...: the object opened (and closed, false, when not done). */
bool hs_leaks_json_head(FILE *out, const struct hs_leak_result *r)
{
	fprintf(out, "{\"done\": %s", r->done ? "true" : "false");
	string(out, "reason", r->reason);
	if (!r->done)
		fputs("}", out);
	return r->done;
}

/* What was checked, the pause and the unreachable totals: session and inspect alike. */
void hs_leaks_json_totals(FILE *out, const struct hs_leak_result *r)
{
	string(out, "roots", hs_leak_roots_name(r->roots));
	string(out, "roots_detail", r->roots_detail);
	fputs("\n   ", out);
	number(out, "pause_ms", r->pause_ms);
	number(out, "copy_ms", r->copy_ms);
	number(out, "analysis_ms", r->analysis_ms);
	number(out, "copied_bytes", r->copied_bytes);
	number(out, "scanned_bytes", r->scanned_bytes);
	number(out, "threads", r->threads);
	fputs("\n   ", out);
	number(out, "blocks", r->nodes);
	number(out, "bytes", r->node_bytes);
	number(out, "before_attach_blocks", r->untracked_nodes);
	number(out, "stale_blocks", r->stale_blocks);
	fputs("\n   ", out);
	number(out, "unreachable_bytes", r->unreachable_bytes);
	number(out, "unreachable_blocks", r->unreachable_blocks);
	number(out, "direct_bytes", r->direct_bytes);
	number(out, "direct_blocks", r->direct_blocks);
	number(out, "indirect_bytes", r->indirect_bytes);
	number(out, "indirect_blocks", r->indirect_blocks);
	number(out, "before_attach_unreachable_bytes", r->untracked_unreachable_bytes);
	number(out, "before_attach_unreachable_blocks", r->untracked_unreachable_blocks);
}

/* A size's or a type's blocks, and how many of them are unreachable: the same four names. */
static void json_counts(FILE *out, uint64_t blocks, uint64_t bytes, uint64_t unreachable_blocks,
			uint64_t unreachable_bytes)
{
	number(out, "blocks", blocks);
	number(out, "bytes", bytes);
	number(out, "unreachable_blocks", unreachable_blocks);
	number(out, "unreachable_bytes", unreachable_bytes);
}

/* "sizes": the unreachable blocks by size (the kept ones), and how many sizes were not kept. */
void hs_leaks_json_sizes(FILE *out, const struct hs_leak_result *r)
{
	fputs(",\n    \"sizes\": [", out);
	for (size_t i = 0; i < r->size_count; i++) {
		const struct hs_leak_size *z = &r->sizes[i];

		fprintf(out, "%s\n      {\"size_bytes\": %llu", i ? "," : "",
			(unsigned long long)z->size_bytes);
		json_counts(out, z->blocks, z->bytes, z->unreachable_blocks, z->unreachable_bytes);
		number(out, "direct_blocks", z->direct_blocks);
		fputs("}", out);
	}
	fputs("\n    ]", out);
	number(out, "sizes_not_kept", r->sizes_not_kept);
}

/* The types, what the check cannot see, and the object's end. */
void hs_leaks_json_tail(FILE *out, const struct hs_leak_result *r)
{
	fputs(",\n    \"types\": [", out);
	for (size_t i = 0; i < r->type_count; i++) {
		fprintf(out, "%s\n      {\"name\": ", i ? "," : "");
		hs_json_string(out, r->types[i].name);
		json_counts(out, r->types[i].blocks, r->types[i].bytes,
			    r->types[i].unreachable_blocks, r->types[i].unreachable_bytes);
		fputs("}", out);
	}
	fputs("\n    ]", out);
	string(out, "cannot_see", HS_LEAKS_CANNOT_SEE);
	fputs("}", out);
}
