// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prometheus.c - the watched processes' last readings as a Prometheus text exposition
 * (format 0.0.4): what `heapscope watch --listen` serves on /metrics.
 *
 * Owns: metric names, HELP and TYPE lines, labels and their escaping.
 * Does not own: taking readings (sample.c), serving the page (http.c).
 * Invariants: every metric family is written as one block (HELP, TYPE, then its samples),
 * as the format requires; names follow Prometheus conventions (heapscope_ prefix, base
 * units: bytes and seconds, _total on counters).  Label values come from the targets
 * (comm and exe are whatever the process chose): they are escaped (\\ \" \n), control
 * characters and bytes that are not UTF-8 become U+FFFD, and exe is cut at
 * HS_WATCH_EXE_LABEL_BYTES, so no target can break the page or make a label unbounded.
 * A process that is gone is not on the page (sample.c drops it before this runs).
 */
#include "watch/prometheus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/utf8.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* A label value between quotes, at most max_bytes of the input read. */
void hs_prom_label_value(FILE *out, const char *value, size_t max_bytes)
{
	const unsigned char *s = (const unsigned char *)value;
	const unsigned char *end = s + strnlen(value, max_bytes);

	fputc('"', out);
	while (s < end) {
		int len;

		if (*s == '"' || *s == '\\') {
			fputc('\\', out);
			fputc(*s++, out);
		} else if (*s == '\n') {
			fputs("\\n", out);
			s++;
		} else if (*s >= 0x20 && *s < 0x7f) {
			fputc(*s++, out);
		} else if (*s >= 0x80 && (len = hs_utf8_sequence(s)) > 0 && s + len <= end) {
			fwrite(s, 1, len, out);
			s += len;
		} else {
			fputs("\xef\xbf\xbd", out); /* U+FFFD: the page stays valid UTF-8 */
			s++;
		}
	}
	fputc('"', out);
}

static void labels(FILE *out, const struct hs_watch_process *p)
{
	fprintf(out, "{pid=\"%d\",comm=", p->pid);
	hs_prom_label_value(out, p->comm, sizeof(p->comm));
	fputs(",exe=", out);
	hs_prom_label_value(out, p->exe, HS_WATCH_EXE_LABEL_BYTES);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Which processes a family has a sample for. */
enum which { ALL, WITH_PROC, WITH_HEAP };

static bool has(const struct hs_watch_process *p, enum which which)
{
	if (!p->has_reading)
		return false;
	if (which == WITH_PROC)
		return p->last.mem.valid;
	if (which == WITH_HEAP)
		return p->has_heap;
	return true;
}

/* A family with one sample per process: its value taken by field(). */
static void gauge(FILE *out, const struct hs_watch *w, const char *name, const char *type,
		  const char *help, enum which which, double (*field)(const struct hs_watch_process *))
{
	family(out, name, type, help);
	for (size_t i = 0; i < w->count; i++) {
		const struct hs_watch_process *p = w->items[i];

		if (!has(p, which))
			continue;
		fputs(name, out);
		labels(out, p);
		fprintf(out, "} %.17g\n", field(p));
	}
}

#define FIELD(fn, expr)                                              \
	static double fn(const struct hs_watch_process *p)           \
	{                                                            \
		return (double)(expr);                               \
	}
FIELD(rss, p->last.mem.rss_bytes)
FIELD(anon, p->last.mem.anon_bytes)
FIELD(threads, p->last.threads)
FIELD(system, p->last_heap.total.system_bytes)
FIELD(in_use, p->last_heap.total.in_use_bytes)
FIELD(trimmable, p->last_heap.total.trimmable_bytes)
FIELD(free_resident, p->last_heap.total.free_resident_bytes)
FIELD(mmapped, p->last_heap.mmapped_bytes)
FIELD(arenas, p->last_heap.arenas)
FIELD(consistent, p->last_heap.consistent)
FIELD(duration, p->last.read_duration_s)
FIELD(errors, p->read_errors)
FIELD(heap_time, p->last_heap.t_s)

static void free_by_kind(FILE *out, const struct hs_watch *w)
{
	static const char *const kinds[] = { "fastbins", "bins", "top", "tcache" };

	family(out, "heapscope_heap_free_bytes", "gauge",
	       "Bytes in free chunks by where glibc keeps them; tcache chunks are also counted in "
	       "heapscope_heap_in_use_bytes (glibc's own view), the other kinds are not.");
	for (size_t i = 0; i < w->count; i++) {
		const struct hs_watch_process *p = w->items[i];
		const struct hs_glibc_arena_stats *s = &p->last_heap.total;
		uint64_t bytes[] = { s->fastbin_bytes, s->bin_bytes, s->top_bytes, s->tcache_bytes };

		if (!has(p, WITH_HEAP))
			continue;
		for (size_t k = 0; k < 4; k++) {
			fputs("heapscope_heap_free_bytes", out);
			labels(out, p);
			fprintf(out, ",kind=\"%s\"} %llu\n", kinds[k], (unsigned long long)bytes[k]);
		}
	}
	family(out, "heapscope_heap_free_chunks", "gauge",
	       "Free chunks by where glibc keeps them: many small ones mean fragmentation.");
	for (size_t i = 0; i < w->count; i++) {
		const struct hs_watch_process *p = w->items[i];
		const struct hs_glibc_arena_stats *s = &p->last_heap.total;
		uint64_t chunks[] = { s->fastbin_chunks, s->bin_chunks, p->last_heap.arenas,
				     s->tcache_chunks }; /* one top per arena */

		if (!has(p, WITH_HEAP))
			continue;
		for (size_t k = 0; k < 4; k++) {
			fputs("heapscope_heap_free_chunks", out);
			labels(out, p);
			fprintf(out, ",kind=\"%s\"} %llu\n", kinds[k], (unsigned long long)chunks[k]);
		}
	}
}

static void allocator_info(FILE *out, const struct hs_watch *w)
{
	family(out, "heapscope_allocator_info", "gauge",
	       "1 per process: which allocator it runs and whether heapscope reads it "
	       "(read=\"no\": only the /proc figures are known).");
	for (size_t i = 0; i < w->count; i++) {
		const struct hs_watch_process *p = w->items[i];
		bool glibc = p->allocator == HS_WATCH_ALLOC_GLIBC;

		fputs("heapscope_allocator_info", out);
		labels(out, p);
		fprintf(out, ",allocator=\"%s\",version=",
			glibc ? "glibc" : p->allocator == HS_WATCH_ALLOC_OTHER ? "other" : "unknown");
		hs_prom_label_value(out, glibc ? p->loc.version : "", 32);
		fprintf(out, ",read=\"%s\"} 1\n", glibc ? "yes" : "no");
	}
}

/*
 * The largest C++ types of each process's last heap reading (at most HS_WATCH_MAX_TYPES each,
 * named uniquely by top_types.c): a type out of the top N in that reading has no sample, so
 * Prometheus ends its series instead of keeping a stale value.
 */
static void types(FILE *out, const struct hs_watch *w)
{
	bool any = false;

	for (size_t i = 0; i < w->count && !any; i++)
		any = w->items[i]->has_heap && w->items[i]->last_heap.type_count;
	if (!any)
		return;
	for (int instances = 0; instances < 2; instances++) {
		const char *name = instances ? "heapscope_type_instances" : "heapscope_type_bytes";

		family(out, name, "gauge",
		       instances ? "Live instances of each of the process's largest C++ types (blocks "
				   "whose first word points into the class's vtable)." :
				   "Bytes in use (usable sizes) by each of the process's largest C++ "
				   "types (watch --types: at most " STRINGIFY(HS_WATCH_MAX_TYPES)
				   " per process).");
		for (size_t i = 0; i < w->count; i++) {
			const struct hs_watch_process *p = w->items[i];

			for (size_t t = 0; p->has_heap && t < p->last_heap.type_count; t++) {
				const struct hs_watch_type *type = &p->last_heap.types[t];

				fputs(name, out);
				labels(out, p);
				fputs(",type=", out);
				hs_prom_label_value(out, type->name, sizeof(type->name));
				fprintf(out, "} %llu\n", (unsigned long long)(instances ?
						type->instances : type->bytes));
			}
		}
	}
}

int hs_prom_write(FILE *out, const struct hs_watch *w)
{
	gauge(out, w, "heapscope_rss_bytes", "gauge", "Resident set size (/proc).", WITH_PROC, rss);
	gauge(out, w, "heapscope_anonymous_bytes", "gauge",
	      "Resident anonymous memory (/proc): where the heap lives.", WITH_PROC, anon);
	gauge(out, w, "heapscope_threads", "gauge", "Threads of the process (/proc).", ALL,
	      threads);
	allocator_info(out, w);
	gauge(out, w, "heapscope_heap_system_bytes", "gauge",
	      "Bytes glibc's arenas hold from the system (system_mem, mmapped chunks excluded).",
	      WITH_HEAP, system);
	gauge(out, w, "heapscope_heap_in_use_bytes", "gauge",
	      "Bytes of the arenas in chunks the program holds (tcache chunks included).",
	      WITH_HEAP, in_use);
	free_by_kind(out, w);
	gauge(out, w, "heapscope_heap_trimmable_bytes", "gauge",
	      "Bytes malloc_trim(0) would give back to the system now.", WITH_HEAP, trimmable);
	gauge(out, w, "heapscope_heap_free_resident_bytes", "gauge",
	      "Free bytes (top, fastbins, bins) on resident pages: memory the program freed that "
	      "still costs RSS.", WITH_HEAP, free_resident);
	gauge(out, w, "heapscope_heap_mmapped_bytes", "gauge",
	      "Bytes in chunks glibc mmapped on their own (large blocks).", WITH_HEAP, mmapped);
	gauge(out, w, "heapscope_heap_arenas", "gauge", "glibc arenas (main and per-thread).",
	      WITH_HEAP, arenas);
	gauge(out, w, "heapscope_heap_read_consistent", "gauge",
	      "1 when the last reading saw one unchanging, undamaged state; 0: figures are "
	      "approximate.", WITH_HEAP, consistent);
	gauge(out, w, "heapscope_heap_read_timestamp_seconds", "gauge",
	      "When the heap figures above were read (Unix time): under the CPU budget a heap "
	      "is read every heapscope_heap_read_stride intervals.", WITH_HEAP, heap_time);
	types(out, w);
	gauge(out, w, "heapscope_read_duration_seconds", "gauge",
	      "How long heapscope's last reading of this process took.", ALL, duration);
	gauge(out, w, "heapscope_read_errors_total", "counter",
	      "Readings of this process that failed (its memory or /proc could not be read).", ALL,
	      errors);
	family(out, "heapscope_watched_processes", "gauge", "Processes heapscope watches.");
	fprintf(out, "heapscope_watched_processes %zu\n", w->count);
	family(out, "heapscope_unwatched_processes_total", "counter",
	       "Processes left out because heapscope watched its maximum already.");
	fprintf(out, "heapscope_unwatched_processes_total %llu\n",
		(unsigned long long)w->not_watched);
	family(out, "heapscope_cycle_duration_seconds", "gauge",
	       "How long the last interval's readings of every process took.");
	fprintf(out, "heapscope_cycle_duration_seconds %.6f\n", w->last_cycle_s);
	family(out, "heapscope_cycle_cpu_seconds", "gauge",
	       "CPU time the last interval's readings took (user and system).");
	fprintf(out, "heapscope_cycle_cpu_seconds %.6f\n", w->last_cycle_cpu_s);
	family(out, "heapscope_heap_read_stride", "gauge",
	       "Each heap is read every this many intervals, to keep within --cpu-budget.");
	fprintf(out, "heapscope_heap_read_stride %u\n", w->heap_stride);
	return ferror(out) ? -EIO : 0;
}
