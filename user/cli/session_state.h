/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_SESSION_STATE_H
#define HEAPSCOPE_CLI_SESSION_STATE_H

/*
 * The profiling session's state, shared by the three files that run it and by
 * nothing else: session.c (start, collect, stop, write), session_targets.c
 * (plan, attach, re-plan, follow, retire the targets), session_heap.c (the
 * glibc targets' allocator state at start, end and timeline points) and summary.c
 * (the counts it ends with, the stderr summary, the -v listings).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "analysis/overhead.h"
#include "analysis/profile.h"
#include "analysis/summary.h"
#include "analysis/timeline.h"
#include "cli/options.h"
#include "collect/collect.h"
#include "probe/attach.h"
#include "probe/probe_cost.h"
#include "probe/probes.h"
#include "render/heap_state.h"
#include "symbol/symbolize.h"
#include "reach/leak_check.h"
#include "target/objects.h"
#include "cli/targets.h"
#include "unwind/unwind_maps.h"

struct hs_recalibration;

/* Everything one session holds; torn down in reverse order by session_free. */
struct session {
	struct hs_options *opts;
	struct hs_targets targets;
	struct hs_exe_identity exe; /* --exe */
	double last_scan_s;	    /* --follow: when /proc was last scanned */
	struct hs_objects objects; /* every target's files and maps snapshots, read once */
	struct hs_symbolizer sym;
	struct hs_collector collector;
	struct hs_attachment attachment;
	struct hs_timeline timeline;
	struct hs_unwind unwind;
	uint64_t unknown_pcs; /* walker's pcs in no known mapping, when last looked */
	size_t prepared_stacks; /* stacks whose frames the symbolizer has read */
	double started_s;
	double ended_s; /* when the programs were switched off */
	struct hs_summary summary;
	struct hs_process_summary *processes; /* summary.processes */
	struct hs_profile_process *labels;    /* root frames */
	/* --leak-check */
	bool leak_checked;		       /* tried: leaks says how it went */
	struct hs_leak_snapshot leak_snapshot; /* the copy, until analysed */
	struct hs_leak_result leaks;
	/* --follow: processes found but gone before they could be attached; neither
	 * counted nor listed as the session's processes, only told on one line */
	size_t short_lived;
	size_t forks_gone; /* of those, forked (fork event) and gone before they were looked at */
	int fork_watch;	   /* --follow's fork events: 0 not started yet, 1 on, -errno off */
	/* follow_process at work: a process that exits while planned or attached is
	 * one of those, not an error to tell (a -p PID's exit is) */
	bool following;
	struct hs_heap_reading *heap_readings; /* per target, in attach order (session_heap.c) */
	size_t heap_reading_count, heap_reading_capacity;
	/* the overhead meter (session_overhead.c) */
	int stats_fd; /* BPF run statistics on while open; -1: none */
	struct hs_stats_duty {
		bool kernel_counts;	 /* the kernel gave run statistics at the start */
		double next_switch_s;	 /* when they go on or off next */
		double on_since_s, on_s; /* the window under way began; seconds on so far */
		struct hs_hits kernel;	 /* the kernel's totals at the last sample */
		uint64_t calls;		 /* calls reported (allocations, reallocations, frees) then */
		uint64_t allocations;	 /* of those, allocations and reallocations */
		struct hs_hits sum;	 /* hits so far: counted in windows, estimated between */
		struct hs_hits window_hits; /* counted in windows, for the calls reported in them */
		uint64_t window_calls;
		double accounting_run_ns; /* of each run's counted time, the counting's own */
	} stats;
	struct hs_probe_cost probe_cost;
	bool overhead_calibrated;
	struct hs_overhead overhead;
	double overhead_sampled_s;
	struct hs_recalibration *recalibration; /* its thread, while the session collects */
	size_t calibrations; /* runs the meter's price is the median of */
};

static inline double now_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

/* session_targets.c: which processes are profiled, and their probes and tables. */
int prepare_targets(struct session *s);
int install_unwind_tables(struct session *s);
int attach_planned_target(struct session *s, struct hs_target *t);
void follow_new_processes(struct session *s);
void follow_new_objects(struct session *s);
bool check_exits(struct session *s);

/* session_leaks.c: --leak-check's freeze at the end, and its analysis once the ring is drained. */
void leak_check_freeze(struct session *s);
void leak_check_analyse(struct session *s);
/* session_heap.c: the allocator's state of glibc targets, read from outside. */
void heap_read_start(struct session *s);
void heap_read_point(struct session *s, double now);
void heap_read_end(struct session *s);
void heap_readings_free(struct session *s);

/* session_overhead.c: the overhead meter and --max-overhead. */
void overhead_start(struct session *s);
void overhead_attached(struct session *s, double now);
bool overhead_check(struct session *s, double now);
void overhead_end(struct session *s, double now);
void overhead_progress(const struct session *s, char *out, size_t len);
void overhead_recalibration_stop(struct session *s);
void overhead_calibration_end(struct session *s);

/* summary.c: the counts a session ends with, and what it says about them on stderr. */
void print_probe_plan(pid_t pid, const struct hs_probe_plan *plan);
void print_unwind_objects(struct session *s, size_t first);
int summarize_session(struct session *s);
void print_ending(const struct session *s);
void print_summary(struct session *s);

#endif
