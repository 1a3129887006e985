// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * heap_state.c - the allocator's own state in words and in JSON: how much glibc holds free
 * and how much of that is resident, what malloc_trim(0) would return, the arenas one by one,
 * the in-use heap by C++ type and size class, and the advice that follows.  Used by
 * `heapscope inspect` (its whole output; with --leak-check, the leak check's section in the
 * words of render/leaks.c) and by a traced session (the ALLOCATOR STATE
 * section of its report, allocator_state in its JSON, the advice that ends a retention
 * verdict measured inside glibc).  Prose is wrapped at HS_HEAP_STATE_WIDTH (lib/text.c), as
 * the session's report is.
 *
 * Owns: the wording and the JSON names of the allocator state (the JSON contract:
 * allocator, arenas, system_bytes, in_use_bytes, top_bytes, fastbin_bytes, bin_bytes,
 * tcache_bytes, trimmable_bytes, free_resident_bytes, mmapped_bytes, types, sizes).
 * Does not own: the figures (inspect/), the file (lib/output).
 */
#include "render/heap_state.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/json_writer.h"
#include "lib/text.h"
#include "lib/units.h"
#include "render/leaks.h"

#define TOP_TYPES 20
/* Free memory worth a word of advice: both this much and this share of the RSS. */
#define ADVICE_MIN_BYTES (1ull << 20)
#define ADVICE_MIN_SHARE 0.10

static const char *method_text(const struct hs_glibc_location *loc)
{
	return loc->method == HS_GLIBC_BY_SYMBOLS ? "main_arena from libc's debug symbols" :
	       loc->method == HS_GLIBC_BY_CODE	  ? "main_arena found in libc's code, no debug file" :
						    "main_arena given";
}

void hs_heap_state_sentence(const struct hs_inspection *insp, char *out, size_t len)
{
	const struct hs_glibc_arena_stats *t = &insp->heap.total;

	if (!insp->heap_read) {
		snprintf(out, len, "%s", insp->reason[0] ? insp->reason : "the allocator's state "
			 "was not read");
		return;
	}
	snprintf(out, len, "glibc holds %s free (%s of it resident) in %zu arena%s; "
		 "malloc_trim(0) would return about %s.", HS_BYTES(hs_glibc_free_bytes(t)),
		 HS_BYTES(t->free_resident_bytes), insp->heap.arena_count,
		 insp->heap.arena_count == 1 ? "" : "s", HS_BYTES(t->trimmable_bytes));
}

static bool worth_advice(const struct hs_inspection *insp, uint64_t bytes)
{
	return bytes >= ADVICE_MIN_BYTES &&
	       (insp->mem.rss_bytes == 0 || bytes >= ADVICE_MIN_SHARE * insp->mem.rss_bytes);
}

/*
 * The advice that follows from the state, one item at a time (index 0, 1, ...): false once
 * there is none left.  Each item is a sentence or two; the report wraps them as a list, a
 * verdict's explanation runs them on as prose.
 */
static bool advice_item(const struct hs_inspection *insp, size_t index, char *out, size_t len)
{
	const struct hs_glibc_arena_stats *t = &insp->heap.total;
	uint64_t free_bytes = hs_glibc_free_bytes(t);
	bool trim = worth_advice(insp, t->trimmable_bytes);
	bool arenas = insp->heap.arena_count > 2 &&
		      worth_advice(insp, free_bytes - insp->heap.arenas[0].top_bytes);
	bool fragments = worth_advice(insp, free_bytes - t->trimmable_bytes);
	size_t n = 0;

	if (!insp->heap_read)
		return false;
	if (trim && index == n++) {
		snprintf(out, len, "malloc_trim(0) in the process (after a burst, or from a timer) "
			 "returns %s of resident free pages now; glibc trims only the main arena's "
			 "top by itself, above M_TRIM_THRESHOLD (MALLOC_TRIM_THRESHOLD_, 128 KiB "
			 "unless changed): lowering it trims more often, it does not reach free "
			 "chunks below live ones.", HS_BYTES(t->trimmable_bytes));
		return true;
	}
	if (arenas && index == n++) {
		snprintf(out, len, "MALLOC_ARENA_MAX=2 (environment, or mallopt M_ARENA_MAX) caps "
			 "the %zu arenas: thread arenas keep their free memory to themselves, so "
			 "fewer arenas strand less of it, at the cost of lock contention between "
			 "threads.", insp->heap.arena_count);
		return true;
	}
	if (fragments && index == n++) {
		snprintf(out, len, "%s of the free memory is in chunks glibc cannot give back "
			 "(smaller than a page, or pinned between live blocks): fragmentation. "
			 "M_MMAP_THRESHOLD (MALLOC_MMAP_THRESHOLD_) lower sends big blocks to "
			 "mmap, returned whole on free; an allocator that returns memory by size "
			 "class and page (jemalloc, tcmalloc, LD_PRELOAD or linked) holds less.",
			 HS_BYTES(free_bytes - t->trimmable_bytes));
		return true;
	}
	if (!trim && !arenas && !fragments && index == n++) {
		snprintf(out, len, "glibc keeps little memory free: growth of this process is "
			 "memory in use (a leak, or a cache). A traced session says which stacks "
			 "hold it: heapscope -p %d -d 60 -f report.", insp->pid);
		return true;
	}
	return false;
}

/* The advice as a list, each item wrapped at HS_HEAP_STATE_WIDTH under its bullet. */
void hs_heap_state_advice(FILE *out, const struct hs_inspection *insp, const char *indent)
{
	char item[1024];

	for (size_t i = 0; advice_item(insp, i, item, sizeof(item)); i++)
		hs_text_wrap(out, item, (int)strlen(indent), "- ", HS_HEAP_STATE_WIDTH);
}

/* The advice as prose, the items one after the other ("" when the state was not read). */
void hs_heap_state_advice_text(const struct hs_inspection *insp, char *out, size_t len)
{
	size_t used = 0;

	if (len)
		out[0] = '\0';
	for (size_t i = 0; used + 1 < len; i++) {
		if (!advice_item(insp, i, out + used + (used > 0), len - used - (used > 0)))
			break;
		if (used > 0)
			out[used] = ' ';
		used += strlen(out + used);
	}
}

static void arena_row(FILE *out, const char *name, const struct hs_glibc_arena_stats *s)
{
	fprintf(out, "  %-8s %10s %10s %10s %10s %10s %10s %10s %10s\n", name,
		HS_BYTES(s->system_bytes), HS_BYTES(s->in_use_bytes), HS_BYTES(s->top_bytes),
		HS_BYTES(s->fastbin_bytes), HS_BYTES(s->bin_bytes), HS_BYTES(s->tcache_bytes),
		HS_BYTES(s->trimmable_bytes), HS_BYTES(s->free_resident_bytes));
}

static void report_arenas(FILE *out, const struct hs_inspection *insp)
{
	const struct hs_glibc_heap *heap = &insp->heap;
	char name[16];

	fprintf(out, "  %-8s %10s %10s %10s %10s %10s %10s %10s %10s\n", "arena", "system",
		"in use", "top", "fastbins", "bins", "tcache", "trimmable", "free res.");
	for (size_t i = 0; i < heap->arena_count && i < 32; i++) {
		snprintf(name, sizeof(name), i == 0 ? "main" : "#%zu", i);
		arena_row(out, name, &heap->arenas[i]);
	}
	if (heap->arena_count > 32)
		fprintf(out, "  ... %zu more arenas\n", heap->arena_count - 32);
	arena_row(out, "total", &heap->total);
	fprintf(out, "  mmapped: %llu chunks, %s (outside the arenas, returned to the system on "
		"free)\n", (unsigned long long)heap->mmapped_chunks, HS_BYTES(heap->mmapped_bytes));
	fprintf(out, "  tcache: %llu chunks, %s in %zu thread caches found (counted in use, as "
		"malloc_info does)\n", (unsigned long long)heap->total.tcache_chunks,
		HS_BYTES(heap->total.tcache_bytes), heap->tcache_count);
}

static void report_census(FILE *out, const struct hs_census *census)
{
	if (census->type_count) {
		fprintf(out, "\nHEAP BY C++ TYPE (blocks whose first word is a vtable pointer: %s "
			"of %s in use)\n", HS_BYTES(census->typed_bytes), HS_BYTES(census->bytes));
		fprintf(out, "  %12s %10s  %s\n", "instances", "bytes", "type");
		for (size_t i = 0; i < census->type_count && i < TOP_TYPES; i++)
			fprintf(out, "  %12llu %10s  %s\n",
				(unsigned long long)census->types[i].blocks,
				HS_BYTES(census->types[i].bytes), census->types[i].name);
		if (census->type_count > TOP_TYPES)
			fprintf(out, "  ... %zu more types\n", census->type_count - TOP_TYPES);
	}
	fprintf(out, "\nHEAP BY SIZE (usable bytes of in-use blocks: %llu blocks, %s)\n",
		(unsigned long long)census->blocks, HS_BYTES(census->bytes));
	fprintf(out, "  %12s %12s %10s\n", "size up to", "blocks", "bytes");
	for (size_t i = 0; i < HS_CENSUS_SIZE_CLASSES; i++) {
		const struct hs_census_class *c = &census->sizes[i];

		if (!c->blocks)
			continue;
		if (c->max_bytes == UINT64_MAX)
			fprintf(out, "  %12s %12llu %10s\n", "larger", (unsigned long long)c->blocks,
				HS_BYTES(c->bytes));
		else
			fprintf(out, "  %12s %12llu %10s\n", HS_BYTES(c->max_bytes),
				(unsigned long long)c->blocks, HS_BYTES(c->bytes));
	}
}

/* "Partial: ..." when the read was not a whole, consistent snapshot. */
static void report_partial(FILE *out, const struct hs_inspection *insp)
{
	char line[768];

	if (!insp->heap.partial && !insp->heap.damaged && insp->heap.consistent)
		return;
	snprintf(line, sizeof(line), "Partial: %s (%s after %u reads): figures are lower bounds.",
		 insp->heap.reason[0] ? insp->heap.reason : "the heap changed while read",
		 insp->heap.consistent ? "consistent" : "not consistent", insp->heap.attempts);
	hs_text_wrap(out, line, 2, "", HS_HEAP_STATE_WIDTH);
}

/* The arenas, the advice and the census of one state, below its heading and sentence. */
static void report_body(FILE *out, const struct hs_inspection *insp)
{
	fputc('\n', out);
	report_arenas(out, insp);
	fprintf(out, "\nADVICE\n");
	hs_heap_state_advice(out, insp, "  ");
	if (insp->census_done)
		report_census(out, &insp->census);
}

void hs_heap_state_report(FILE *out, const struct hs_inspection *insp)
{
	char sentence[512];

	hs_heap_state_sentence(insp, sentence, sizeof(sentence));
	fprintf(out, "ALLOCATOR STATE (%s%s%s)\n", hs_allocator_name(insp->allocator),
		insp->heap_read ? " " : "", insp->heap_read ? insp->loc.version : "");
	hs_text_wrap(out, sentence, 2, "", HS_HEAP_STATE_WIDTH);
	if (!insp->heap_read)
		return;
	report_partial(out, insp);
	report_body(out, insp);
}

/* What the session's reads cost: how many, how long, the share of the session's time. */
static void reading_cost(const struct hs_heap_reading *r, double session_s, char *out,
			 size_t len)
{
	double share = session_s > 0 ? r->read_ms_total / (session_s * 1e3) : 0;

	snprintf(out, len, "Read %u times from outside (the start, the end, %u timeline point%s; "
		 "%u point%s skipped to keep reading within %.0f%% of the session's time): %.1f ms "
		 "on average, %.1f ms at most, %.2f%% of the session.", r->reads, r->point_reads,
		 r->point_reads == 1 ? "" : "s", r->skipped_points,
		 r->skipped_points == 1 ? "" : "s", HS_HEAP_READ_BUDGET_SHARE * 100,
		 r->reads ? r->read_ms_total / r->reads : 0, r->read_ms_max, share * 100);
}

/* A traced session's section for one process: the state at start and end, and the cost. */
void hs_heap_reading_report(FILE *out, const struct hs_heap_reading *r, double session_s)
{
	const struct hs_inspection *last = r->end_read && r->end.heap_read ? &r->end : &r->start;
	char line[1024];

	fprintf(out, "ALLOCATOR STATE of PID %d (%s", r->pid, hs_allocator_name(last->allocator));
	if (last->heap_read)
		fprintf(out, " %s", last->loc.version);
	fputs("), read from outside at the session's start and end\n", out);
	if (!r->start_read || last->allocator != HS_ALLOCATOR_GLIBC) { /* its one line */
		hs_heap_state_sentence(last, line, sizeof(line));
		hs_text_wrap(out, line, 2, "", HS_HEAP_STATE_WIDTH);
		fputc('\n', out);
		return;
	}
	hs_heap_state_sentence(&r->start, line, sizeof(line));
	hs_text_wrap(out, line, 2, "start: ", HS_HEAP_STATE_WIDTH);
	if (r->end_read)
		hs_heap_state_sentence(&r->end, line, sizeof(line));
	else
		snprintf(line, sizeof(line), "not read: the process had gone before the session "
			 "ended; the figures below are the start's.");
	hs_text_wrap(out, line, 2, "end:   ", HS_HEAP_STATE_WIDTH);
	reading_cost(r, session_s, line, sizeof(line));
	hs_text_wrap(out, line, 2, "", HS_HEAP_STATE_WIDTH);
	if (last->heap_read) { /* else neither state was read: the sentences said why */
		report_partial(out, last);
		report_body(out, last);
	}
	fputc('\n', out);
}

static void json_u64(FILE *out, const char *sep, const char *name, uint64_t value)
{
	fprintf(out, "%s\"%s\":%llu", sep, name, (unsigned long long)value);
}

static void json_stats(FILE *out, const struct hs_glibc_arena_stats *s, bool totals,
		       const struct hs_glibc_heap *heap)
{
	json_u64(out, "{", "system_bytes", s->system_bytes);
	json_u64(out, ",", "in_use_bytes", s->in_use_bytes);
	json_u64(out, ",", "top_bytes", s->top_bytes);
	json_u64(out, ",", "fastbin_chunks", s->fastbin_chunks);
	json_u64(out, ",", "fastbin_bytes", s->fastbin_bytes);
	json_u64(out, ",", "bin_chunks", s->bin_chunks);
	json_u64(out, ",", "bin_bytes", s->bin_bytes);
	json_u64(out, ",", "tcache_chunks", s->tcache_chunks);
	json_u64(out, ",", "tcache_bytes", s->tcache_bytes);
	json_u64(out, ",", "free_bytes", hs_glibc_free_bytes(s));
	json_u64(out, ",", "trimmable_bytes", s->trimmable_bytes);
	json_u64(out, ",", "free_resident_bytes", s->free_resident_bytes);
	json_u64(out, ",", "in_use_chunks", s->in_use_chunks);
	if (totals) {
		json_u64(out, ",", "mmapped_chunks", heap->mmapped_chunks);
		json_u64(out, ",", "mmapped_bytes", heap->mmapped_bytes);
		json_u64(out, ",", "arenas", heap->arena_count);
		json_u64(out, ",", "tcaches", heap->tcache_count);
	} else {
		fprintf(out, ",\"addr\":\"0x%llx\"", (unsigned long long)s->addr);
		json_u64(out, ",", "heaps", s->heaps);
	}
	fputc('}', out);
}

static void json_census(FILE *out, const struct hs_census *census)
{
	fputs(",\"types\":[", out);
	for (size_t i = 0; i < census->type_count; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		hs_json_string(out, census->types[i].name);
		json_u64(out, ",", "blocks", census->types[i].blocks);
		json_u64(out, ",", "bytes", census->types[i].bytes);
		fputc('}', out);
	}
	fputs("],\"sizes\":[", out);
	for (size_t i = 0, n = 0; i < HS_CENSUS_SIZE_CLASSES; i++) {
		const struct hs_census_class *c = &census->sizes[i];

		if (!c->blocks)
			continue;
		fputs(n++ ? ",{" : "{", out);
		if (c->max_bytes == UINT64_MAX)
			fputs("\"max_bytes\":null", out);
		else
			json_u64(out, "", "max_bytes", c->max_bytes);
		json_u64(out, ",", "blocks", c->blocks);
		json_u64(out, ",", "bytes", c->bytes);
		fputc('}', out);
	}
	fputc(']', out);
	json_u64(out, ",", "census_blocks", census->blocks);
	json_u64(out, ",", "census_bytes", census->bytes);
	json_u64(out, ",", "typed_blocks", census->typed_blocks);
	json_u64(out, ",", "typed_bytes", census->typed_bytes);
}

/* One process's state as JSON fields, its object left open (inspect adds leak_check). */
static void state_json_fields(FILE *out, const struct hs_inspection *insp)
{
	const struct hs_glibc_heap *heap = &insp->heap;

	fprintf(out, "{\"pid\":%d,\"comm\":", insp->pid);
	hs_json_string(out, insp->comm);
	fputs(",\"allocator\":", out);
	hs_json_string(out, hs_allocator_name(insp->allocator));
	fputs(",\"allocator_path\":", out);
	hs_json_string(out, insp->allocator_path);
	fprintf(out, ",\"state_read\":%s,\"reason\":", insp->heap_read ? "true" : "false");
	hs_json_string(out, insp->reason);
	json_u64(out, ",", "rss_bytes", insp->mem.rss_bytes);
	json_u64(out, ",", "anon_bytes", insp->mem.anon_bytes);
	json_u64(out, ",", "threads", insp->threads);
	if (insp->heap_read) {
		fputs(",\"glibc_version\":", out);
		hs_json_string(out, insp->loc.version);
		fputs(",\"found_by\":", out);
		hs_json_string(out, insp->loc.method == HS_GLIBC_BY_SYMBOLS ? "symbols" : "code");
		fputs(",\"arenas\":[", out);
		for (size_t i = 0; i < heap->arena_count; i++) {
			if (i)
				fputc(',', out);
			json_stats(out, &heap->arenas[i], false, heap);
		}
		fputs("],\"totals\":", out);
		json_stats(out, &heap->total, true, heap);
		fprintf(out, ",\"consistent\":%s,\"partial\":%s,\"damaged\":%s,\"attempts\":%u",
			heap->consistent ? "true" : "false", heap->partial ? "true" : "false",
			heap->damaged ? "true" : "false", heap->attempts);
	}
	if (insp->census_done)
		json_census(out, &insp->census);
	fputs(",\"read_ms\":", out);
	hs_json_number(out, insp->locate_ms + insp->read_ms + insp->census_ms);
	json_u64(out, ",", "read_syscalls", insp->syscalls);
	json_u64(out, ",", "read_bytes", insp->bytes_read);
}

void hs_heap_state_json(FILE *out, const struct hs_inspection *insp)
{
	state_json_fields(out, insp);
	fputc('}', out);
}

/* A traced session's allocator_state of one process: start, end (null when not read), cost. */
void hs_heap_reading_json(FILE *out, const struct hs_heap_reading *r, double session_s)
{
	fputs("{\"start\":", out);
	if (r->start_read)
		hs_heap_state_json(out, &r->start);
	else
		fputs("null", out);
	fputs(",\"end\":", out);
	if (r->end_read)
		hs_heap_state_json(out, &r->end);
	else
		fputs("null", out);
	json_u64(out, ",", "reads", r->reads);
	json_u64(out, ",", "point_reads", r->point_reads);
	json_u64(out, ",", "skipped_points", r->skipped_points);
	fputs(",\"read_ms_mean\":", out);
	hs_json_number(out, r->reads ? r->read_ms_total / r->reads : 0);
	fputs(",\"read_ms_max\":", out);
	hs_json_number(out, r->read_ms_max);
	fputs(",\"read_share\":", out);
	hs_json_number(out, session_s > 0 ? r->read_ms_total / (session_s * 1e3) : 0);
	fputc('}', out);
}

/* inspect's LEAKS: the session's words, with sizes where a session has stacks. */
static void report_leaks(FILE *out, const struct hs_leak_result *r)
{
	fputc('\n', out);
	if (!hs_leaks_report_head(out, r))
		return;
	hs_leaks_report_sizes(out, r);
	hs_leaks_report_tail(out, r);
}

int hs_render_inspect_report(FILE *out, const struct hs_inspection *insps,
			     const struct hs_leak_result *leaks, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct hs_inspection *insp = &insps[i];

		fprintf(out, "%sheapscope inspect: PID %d (%s), RSS %s, anonymous %s, %u threads",
			i ? "\n" : "", insp->pid, insp->comm, HS_BYTES(insp->mem.rss_bytes),
			HS_BYTES(insp->mem.anon_bytes), insp->threads);
		if (insp->heap_read)
			fprintf(out, "\n  glibc %s, %s, read in %.0f ms", insp->loc.version,
				method_text(&insp->loc),
				insp->locate_ms + insp->read_ms + insp->census_ms);
		fputs("\n\n", out);
		hs_heap_state_report(out, insp);
		if (leaks)
			report_leaks(out, &leaks[i]);
	}
	return ferror(out) ? -EIO : 0;
}

/* ,"leak_check":{...}: the session's names, sizes where a session has stacks. */
static void leak_json(FILE *out, const struct hs_leak_result *r)
{
	fputs(",\"leak_check\":", out);
	if (!hs_leaks_json_head(out, r))
		return;
	hs_leaks_json_totals(out, r);
	hs_leaks_json_sizes(out, r);
	hs_leaks_json_tail(out, r);
}

int hs_render_inspect_json(FILE *out, const struct hs_inspection *insps,
			   const struct hs_leak_result *leaks, size_t count)
{
	fputs("{\"processes\":[", out);
	for (size_t i = 0; i < count; i++) {
		if (i)
			fputc(',', out);
		state_json_fields(out, &insps[i]);
		if (leaks)
			leak_json(out, &leaks[i]);
		fputc('}', out);
	}
	fputs("]}\n", out);
	return ferror(out) ? -EIO : 0;
}
