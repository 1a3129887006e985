// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report.c - `heapscope watch --report FILE.jsonl`: a recording turned into a verdict per
 * process (leak, retention, bounded, stable, inconclusive) with the evidence, over hours.
 *
 * Owns: grouping a recording's lines into one series per process, thinning long series,
 * the watch-specific retention evidence (free-but-resident bytes), the report's wording.
 * Does not own: the trend statistics and the classification (analysis/verdict: the same
 * Theil-Sen lines, Mann-Kendall test and thresholds as a traced session's verdict, fed
 * glibc's in-use bytes where a session has its live heap), reading lines (record.c).
 * Invariants: a series is thinned to HS_REPORT_MAX_POINTS evenly spread readings before any trend
 * is fitted (the fit is quadratic in points: a week at 10 s is 60,480 readings); retention is the
 * session's rule (anonymous memory grows, the gap to in-use grows with it) or, measured directly
 * here, free-resident bytes rising significantly (Mann-Kendall) and by more than in-use bytes
 * while in use is stable or bounded: a leak stays a leak.  Lines are never trusted: a malformed
 * one is counted and skipped.
 */
#include "watch/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/array.h"
#include "lib/json_writer.h"
#include "lib/units.h"

static struct hs_report_process *find_process(struct hs_report *report, pid_t pid,
					      uint64_t start_ticks)
{
	for (size_t i = report->count; i-- > 0;)
		if (report->processes[i].pid == pid && report->processes[i].start_ticks == start_ticks)
			return &report->processes[i];
	return NULL;
}

static void keep_types(struct hs_report_types *to, const struct hs_record_line *rec)
{
	to->has = true;
	to->t_s = rec->t_s;
	to->count = rec->type_count;
	memcpy(to->types, rec->types, rec->type_count * sizeof(rec->types[0]));
}

int hs_report_add_line(struct hs_report *report, const char *line, size_t len)
{
	struct hs_record_line rec;
	struct hs_report_process *p;
	struct hs_report_point *pt;
	int err;

	report->lines++;
	if (hs_record_parse(line, len, &rec)) {
		report->malformed_lines++;
		return 0;
	}
	p = find_process(report, rec.pid, rec.start_ticks);
	if (!p) {
		if (report->count >= HS_REPORT_MAX_PROCESSES) {
			report->skipped_processes++;
			return 0;
		}
		err = hs_array_reserve((void **)&report->processes, &report->capacity, report->count,
				       sizeof(*p), 16);
		if (err)
			return err;
		p = &report->processes[report->count++];
		memset(p, 0, sizeof(*p));
		p->pid = rec.pid;
		p->start_ticks = rec.start_ticks;
		memcpy(p->comm, rec.comm, sizeof(p->comm));
		memcpy(p->exe, rec.exe, sizeof(p->exe));
	}
	err = hs_array_reserve((void **)&p->points, &p->capacity, p->count, sizeof(*pt), 64);
	if (err)
		return err;
	pt = &p->points[p->count++];
	*pt = (struct hs_report_point){
		.t_s = rec.t_s,
		.has_mem = rec.has_mem,
		.has_heap = rec.has_heap,
		.rss_bytes = rec.rss_bytes,
		.anon_bytes = rec.anon_bytes,
		.heap_mapping_bytes = rec.heap_mapping_bytes,
		.in_use_bytes = rec.in_use_bytes,
		.free_resident_bytes = rec.free_resident_bytes,
		.trimmable_bytes = rec.trimmable_bytes,
	};
	if (rec.read_errors > p->read_errors)
		p->read_errors = rec.read_errors;
	if (rec.has_types) {
		if (!p->first_types.has || rec.t_s < p->first_types.t_s)
			keep_types(&p->first_types, &rec);
		if (!p->last_types.has || rec.t_s >= p->last_types.t_s)
			keep_types(&p->last_types, &rec);
	}
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct hs_report_point *x = a, *y = b;

	return x->t_s < y->t_s ? -1 : x->t_s > y->t_s;
}

/* Median of y over points with from_s <= t <= to_s. */
static double median_between(const double *t, const double *y, size_t n, double from_s,
			     double to_s, double *work)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i] >= from_s && t[i] <= to_s)
			work[m++] = y[i];
	return hs_median(work, m);
}

static int judge_process(struct hs_report_process *p)
{
	struct hs_timeline_point *points;
	double *t, *fr, *work, t0 = 0, span;
	size_t heap = 0, n = 0, used;
	int err;

	qsort(p->points, p->count, sizeof(*p->points), by_time);
	for (size_t i = 0; i < p->count; i++)
		heap += p->points[i].has_heap;
	p->heap_points = heap;
	used = heap < HS_REPORT_MAX_POINTS ? heap : HS_REPORT_MAX_POINTS;
	points = calloc(used ? used : 1, sizeof(*points));
	t = calloc(used ? used : 1, sizeof(*t));
	fr = calloc(used ? used : 1, sizeof(*fr));
	work = calloc(used ? used : 1, sizeof(*work));
	err = points && t && fr && work ? 0 : -ENOMEM;
	/* Evenly spread readings: the k-th of `used` is heap reading k * heap / used. */
	for (size_t i = 0, k = 0; !err && i < p->count && n < used; i++) {
		const struct hs_report_point *pt = &p->points[i];

		if (!pt->has_heap)
			continue;
		if (k++ != n * heap / used)
			continue;
		if (n == 0)
			t0 = pt->t_s;
		points[n] = (struct hs_timeline_point){
			.t_s = pt->t_s - t0,
			.live_bytes = pt->in_use_bytes,
			.mem = { .rss_bytes = pt->rss_bytes, .anon_bytes = pt->anon_bytes,
				 .heap_bytes = pt->heap_mapping_bytes, .valid = pt->has_mem },
		};
		t[n] = points[n].t_s;
		fr[n++] = (double)pt->free_resident_bytes;
	}
	if (!err) {
		struct hs_verdict_input in = { .points = points, .count = n };

		err = hs_verdict_classify(&in, &p->verdict);
	}
	if (!err)
		err = hs_trend_fit(t, fr, n, &p->free_resident);
	if (!err && n) {
		span = t[n - 1] - t[0];
		p->free_resident_start = median_between(t, fr, n, t[0], t[0] + span / 4, work);
		p->free_resident_end = median_between(t, fr, n, t[n - 1] - span / 4, t[n - 1], work);
		double free_rise = p->free_resident_end - p->free_resident_start;
		bool not_leaking = p->verdict.kind == HS_VERDICT_STABLE ||
				   p->verdict.kind == HS_VERDICT_BOUNDED;

		/* Freed memory piling up faster than in-use grows: that is the story to tell. */
		if (not_leaking && free_rise >= HS_VERDICT_MIN_RETAINED_BYTES &&
		    free_rise >= p->verdict.live_rise && p->free_resident.z >= HS_VERDICT_TREND_Z) {
			p->verdict.kind = HS_VERDICT_RETENTION;
			p->retention_by_free_resident = true;
		}
	}
	free(points);
	free(t);
	free(fr);
	free(work);
	return err;
}

int hs_report_judge(struct hs_report *report)
{
	for (size_t i = 0; i < report->count; i++) {
		int err = judge_process(&report->processes[i]);

		if (err)
			return err;
	}
	return 0;
}

/* A duration in the unit that reads best: s, min or h. */
static void say_duration(char *out, size_t len, double s)
{
	if (s >= 7200)
		snprintf(out, len, "%.1f h", s / 3600);
	else if (s >= 120)
		snprintf(out, len, "%.1f min", s / 60);
	else
		snprintf(out, len, "%.1f s", s);
}

static void first_last_mem(const struct hs_report_process *p, const struct hs_report_point **first,
			   const struct hs_report_point **last)
{
	*first = *last = NULL;
	for (size_t i = 0; i < p->count; i++) {
		if (!p->points[i].has_mem)
			continue;
		if (!*first)
			*first = &p->points[i];
		*last = &p->points[i];
	}
}

/* The paragraph under the figures: the session's wording, or the free-resident evidence. */
static void explain(const struct hs_report_process *p, char *out, size_t len)
{
	const struct hs_verdict *v = &p->verdict;
	char dur[32];

	if (!p->retention_by_free_resident) {
		hs_verdict_explain(v, out, len);
		return;
	}
	say_duration(dur, sizeof(dur), v->duration_s);
	snprintf(out, len,
		 "Bytes in use did not grow steadily (%s to %s) but free bytes on resident pages rose from "
		 "%s to %s over %s (%s/h, Kendall's tau %.2f): memory the program freed stays in "
		 "its heap and costs RSS. glibc returns memory only from the top of the heap; "
		 "malloc_trim(0) after large frees, MALLOC_ARENA_MAX=2, a lower "
		 "glibc.malloc.mmap_threshold or jemalloc give it back.",
		 HS_BYTES(v->live_start), HS_BYTES(v->live_end), HS_BYTES(p->free_resident_start),
		 HS_BYTES(p->free_resident_end), dur, HS_BYTES(p->free_resident.slope * 3600),
		 p->free_resident.tau);
}

/* text with control characters as \xNN: names a target chose must not drive the terminal. */
static const char *visible(const char *text, char *out, size_t len)
{
	size_t at = 0;

	for (const unsigned char *c = (const unsigned char *)text; *c && at + 5 < len; c++) {
		if (*c < 0x20 || *c == 0x7f || *c == '\\')
			at += snprintf(out + at, len - at, "\\x%02x", *c);
		else
			out[at++] = (char)*c;
	}
	out[at] = '\0';
	return out;
}

/* The same type at the first reading that named types, or NULL. */
static const struct hs_watch_type *at_first(const struct hs_report_process *p,
					    const struct hs_watch_type *type)
{
	for (size_t i = 0; i < p->first_types.count; i++)
		if (strcmp(p->first_types.types[i].name, type->name) == 0)
			return &p->first_types.types[i];
	return NULL;
}

/* The largest C++ types at the last reading, each beside what it held at the first. */
static void write_types_text(FILE *out, const struct hs_report_process *p)
{
	if (!p->last_types.count)
		return;
	fprintf(out, "  largest C++ types at the last reading (and at the first):\n");
	for (size_t i = 0; i < p->last_types.count; i++) {
		const struct hs_watch_type *type = &p->last_types.types[i], *first = at_first(p, type);
		char name[4 * sizeof(type->name)];

		fprintf(out, "    %-40s %10s, %llu instances", visible(type->name, name, sizeof(name)),
			HS_BYTES(type->bytes), (unsigned long long)type->instances);
		if (first)
			fprintf(out, " (%s, %llu)\n", HS_BYTES(first->bytes),
				(unsigned long long)first->instances);
		else
			fprintf(out, " (not among the largest)\n");
	}
}

int hs_report_write_text(FILE *out, const struct hs_report *report, const char *source)
{
	char text[2048], dur[32];

	fprintf(out, "heapscope watch report: %s: %llu lines, %zu processes", source,
		(unsigned long long)report->lines, report->count);
	if (report->malformed_lines)
		fprintf(out, " (%llu malformed lines skipped)",
			(unsigned long long)report->malformed_lines);
	if (report->skipped_processes)
		fprintf(out, " (readings of processes beyond %d skipped: %llu)",
			HS_REPORT_MAX_PROCESSES, (unsigned long long)report->skipped_processes);
	fputc('\n', out);
	for (size_t i = 0; i < report->count; i++) {
		const struct hs_report_process *p = &report->processes[i];
		const struct hs_verdict *v = &p->verdict;
		const struct hs_report_point *first, *last;

		char comm[4 * sizeof(p->comm)], exe[4 * sizeof(p->exe)];

		fprintf(out, "\nPID %d (%s) %s: %s\n", p->pid, visible(p->comm, comm, sizeof(comm)),
			visible(p->exe, exe, sizeof(exe)),
			p->heap_points ? hs_verdict_name(v->kind) : "allocator not read");
		first_last_mem(p, &first, &last);
		say_duration(dur, sizeof(dur), p->count ? p->points[p->count - 1].t_s -
							      p->points[0].t_s : 0);
		fprintf(out, "  %zu readings over %s, %zu with the heap (%zu used for trends)",
			p->count, dur, p->heap_points, v->points);
		if (p->read_errors)
			fprintf(out, ", %llu failed", (unsigned long long)p->read_errors);
		fputc('\n', out);
		if (first)
			fprintf(out, "  RSS %s -> %s, anonymous %s -> %s\n",
				HS_BYTES(first->rss_bytes), HS_BYTES(last->rss_bytes),
				HS_BYTES(first->anon_bytes), HS_BYTES(last->anon_bytes));
		if (!p->heap_points)
			continue;
		fprintf(out, "  in use %s -> %s (%s/h, tau %.2f, peak %s)\n",
			HS_BYTES(v->live_start), HS_BYTES(v->live_end), HS_BYTES(v->live.slope * 3600),
			v->live.tau, HS_BYTES(v->live_peak));
		fprintf(out, "  free resident %s -> %s (%s/h, tau %.2f)\n",
			HS_BYTES(p->free_resident_start), HS_BYTES(p->free_resident_end),
			HS_BYTES(p->free_resident.slope * 3600), p->free_resident.tau);
		explain(p, text, sizeof(text));
		fprintf(out, "  %s\n", text);
		write_types_text(out, p);
	}
	return ferror(out) ? -EIO : 0;
}

static void json_key_number(FILE *out, const char *key, double value)
{
	fprintf(out, ",\"%s\":", key);
	hs_json_number(out, value);
}

/* "types": the last reading's largest types, with first_bytes and first_instances when the
 * first reading had them among its largest too. */
static void write_types_json(FILE *out, const struct hs_report_process *p)
{
	if (!p->last_types.has)
		return;
	fputs(",\"types\":[", out);
	for (size_t i = 0; i < p->last_types.count; i++) {
		const struct hs_watch_type *type = &p->last_types.types[i], *first = at_first(p, type);

		fputs(i ? ",{\"type\":" : "{\"type\":", out);
		hs_json_string(out, type->name);
		fprintf(out, ",\"bytes\":%llu,\"instances\":%llu", (unsigned long long)type->bytes,
			(unsigned long long)type->instances);
		if (first)
			fprintf(out, ",\"first_bytes\":%llu,\"first_instances\":%llu",
				(unsigned long long)first->bytes,
				(unsigned long long)first->instances);
		fputc('}', out);
	}
	fputc(']', out);
}

int hs_report_write_json(FILE *out, const struct hs_report *report, const char *source)
{
	char text[2048];

	fputs("{\"source\":", out);
	hs_json_string(out, source);
	fprintf(out, ",\"lines\":%llu,\"malformed_lines\":%llu,\"processes\":[",
		(unsigned long long)report->lines, (unsigned long long)report->malformed_lines);
	for (size_t i = 0; i < report->count; i++) {
		const struct hs_report_process *p = &report->processes[i];
		const struct hs_verdict *v = &p->verdict;

		fprintf(out, "%s{\"pid\":%d,\"comm\":", i ? "," : "", p->pid);
		hs_json_string(out, p->comm);
		fputs(",\"exe\":", out);
		hs_json_string(out, p->exe);
		fputs(",\"verdict\":", out);
		hs_json_string(out, p->heap_points ? hs_verdict_name(v->kind) : "allocator not read");
		fprintf(out, ",\"readings\":%zu,\"heap_readings\":%zu,\"read_errors\":%llu", p->count,
			p->heap_points, (unsigned long long)p->read_errors);
		json_key_number(out, "duration_seconds", v->duration_s);
		json_key_number(out, "in_use_start_bytes", v->live_start);
		json_key_number(out, "in_use_end_bytes", v->live_end);
		json_key_number(out, "in_use_slope_bytes_per_hour", v->live.slope * 3600);
		json_key_number(out, "in_use_tau", v->live.tau);
		json_key_number(out, "free_resident_start_bytes", p->free_resident_start);
		json_key_number(out, "free_resident_end_bytes", p->free_resident_end);
		json_key_number(out, "free_resident_slope_bytes_per_hour",
				p->free_resident.slope * 3600);
		json_key_number(out, "free_resident_tau", p->free_resident.tau);
		json_key_number(out, "anonymous_start_bytes", v->anon_start);
		json_key_number(out, "anonymous_end_bytes", v->anon_end);
		explain(p, text, sizeof(text));
		fputs(",\"explanation\":", out);
		hs_json_string(out, text);
		write_types_json(out, p);
		fputc('}', out);
	}
	fputs("]}\n", out);
	return ferror(out) ? -EIO : 0;
}

void hs_report_free(struct hs_report *report)
{
	for (size_t i = 0; i < report->count; i++)
		free(report->processes[i].points);
	free(report->processes);
	memset(report, 0, sizeof(*report));
}
