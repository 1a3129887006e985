/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_OPTIONS_H
#define HEAPSCOPE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "analysis/profile.h"
#include "render/format.h"
#include "unwind/unwind_maps.h"

#define HS_DEFAULT_MAX_PAUSE_MS 500.0 /* --max-pause */

/* PIDs -p can name (comma lists and repeated -p together). */
#define HS_MAX_PIDS 256

struct hs_options {
	pid_t pid; /* the first target */
	pid_t pids[HS_MAX_PIDS];
	size_t pid_count;
	const char *exe_path; /* --exe: every process running this file */
	bool follow;	      /* --follow: and those that start during the session */
	bool merge;	      /* --merge: one profile across processes, no process root frame */
	double duration_s; /* 0: until signal or target exit */
	const char *output_path; /* NULL: stdout */
	enum hs_format format;
	enum hs_weight weight;
	size_t ringbuf_bytes;
	uint32_t max_frames;
	size_t max_live;
	size_t max_stacks;
	double interval_s; /* timeline sampling interval */
	double min_age_s;  /* 0: every live block */
	enum hs_unwind_mode unwind;
	bool verbose;
	bool quiet;
	bool probe_only;
	bool probe_only_record; /* --probe-only=record: and one ring record per program run */
	bool help;
	bool version; /* -V, --version */
	/* --leak-check (reach/): at the end, freeze briefly and find the unreachable blocks */
	bool leak_check;
	double max_pause_ms; /* --max-pause: the freeze's bound */
	double max_overhead_pct; /* --max-overhead: 0 (none), or the probes' share that stops */
};

/* heapscope diff OLD NEW [-o PATH] [-f folded|svg|html] */
struct hs_diff_options {
	const char *old_path, *new_path;
	const char *output_path; /* NULL: stdout */
	enum hs_format format;
	bool help;
};

int hs_options_parse(int argc, char **argv, struct hs_options *opts, char *error, size_t error_len);
void hs_options_usage(FILE *out);
int hs_parse_max_pause(const char *text, double *max_pause_ms, char *error, size_t error_len);
int hs_diff_options_parse(int argc, char **argv, struct hs_diff_options *opts, char *error,
			  size_t error_len);
void hs_diff_usage(FILE *out);
const char *hs_format_name(enum hs_format format);
enum hs_format hs_format_for_path(const char *path);

int hs_parse_pid_list(const char *text, pid_t *pids, size_t *count, size_t max);

#endif
