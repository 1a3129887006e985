/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_WATCH_REPORT_H
#define HEAPSCOPE_WATCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/verdict.h"
#include "watch/record.h"

/* Limits of `heapscope watch --report`, documented in its --help. */
#define HS_REPORT_MAX_PROCESSES 4096 /* more processes in one recording: the rest are skipped */
#define HS_REPORT_MAX_POINTS	512  /* a series is thinned to this many points for the trends */

struct hs_report_point {
	double t_s;
	bool has_mem, has_heap;
	uint64_t rss_bytes, anon_bytes, heap_mapping_bytes;
	uint64_t in_use_bytes, free_resident_bytes, trimmable_bytes;
};

/* The largest C++ types of one reading of a recording. */
struct hs_report_types {
	bool has;
	double t_s;
	struct hs_watch_type types[HS_WATCH_MAX_TYPES];
	size_t count;
};

/* One process of the recording, its series and what they say. */
struct hs_report_process {
	pid_t pid;
	uint64_t start_ticks;
	char comm[16];
	char exe[HS_WATCH_EXE_LABEL_BYTES];
	struct hs_report_point *points;
	size_t count, capacity;
	uint64_t read_errors;
	struct hs_report_types first_types, last_types; /* the first and last readings naming them */
	/* hs_report_judge */
	struct hs_verdict verdict;      /* the session verdict's rules over in-use bytes */
	struct hs_trend free_resident;  /* over the same (thinned) points */
	double free_resident_start, free_resident_end; /* medians of first and last quarter */
	bool retention_by_free_resident; /* the verdict is retention because of the trend above */
	size_t heap_points;
};

struct hs_report {
	struct hs_report_process *processes;
	size_t count, capacity;
	uint64_t lines, malformed_lines, skipped_processes;
};

int hs_report_add_line(struct hs_report *report, const char *line, size_t len);
int hs_report_judge(struct hs_report *report);
int hs_report_write_text(FILE *out, const struct hs_report *report, const char *source);
int hs_report_write_json(FILE *out, const struct hs_report *report, const char *source);
void hs_report_free(struct hs_report *report);

#endif
