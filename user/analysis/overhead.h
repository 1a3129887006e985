/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_OVERHEAD_H
#define HEAPSCOPE_OVERHEAD_H

/*
 * The overhead meter: the share of the targets' CPU time spent in heapscope's
 * probes, over the session and over its last second (overhead.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HS_OVERHEAD_SAMPLES 64		/* recent samples kept: > 1 s at one per 100 ms */
#define HS_OVERHEAD_MIN_CPU_NS 10e6	/* a window with less target CPU is not judged */

/* What one probe hit costs (probe/probe_cost.c's calibration). */
struct hs_hit_cost {
	double emulated_ns, stepped_ns, return_ns;
	double stepped_share; /* of entry hits: on sites the kernel single-steps */
};

/* Hits and the programs' run time so far, summed over the session's programs. */
struct hs_hits {
	uint64_t entry_hits, stepped_hits, return_hits;
	uint64_t run_ns;
};

struct hs_overhead_sample {
	double t_s;
	double cpu_ns;	   /* the targets' CPU time since each was first seen */
	struct hs_hits hits; /* priced when a share is asked: the cost may be refined */
};

struct hs_overhead_process {
	pid_t pid;
	double first_ns, last_ns; /* its CPU clock when first and last read */
};

struct hs_overhead {
	struct hs_hit_cost cost;
	struct hs_overhead_sample first;
	struct hs_overhead_sample recent[HS_OVERHEAD_SAMPLES]; /* a ring */
	size_t sample_count;
	struct hs_overhead_process *processes;
	size_t process_count, process_capacity;
};

void hs_overhead_init(struct hs_overhead *m, const struct hs_hit_cost *cost);
void hs_overhead_free(struct hs_overhead *m);
void hs_overhead_set_cost(struct hs_overhead *m, const struct hs_hit_cost *cost);
double hs_overhead_probe_ns(const struct hs_hit_cost *cost, const struct hs_hits *hits);
int hs_overhead_process_cpu(struct hs_overhead *m, pid_t pid, double cpu_ns);
void hs_overhead_add(struct hs_overhead *m, double t_s, const struct hs_hits *hits);
const struct hs_overhead_sample *hs_overhead_last(const struct hs_overhead *m);
double hs_overhead_span_probe_ns(const struct hs_overhead *m);
bool hs_overhead_session_pct(const struct hs_overhead *m, double *pct);
bool hs_overhead_recent_pct(const struct hs_overhead *m, double window_s, double *pct);

#endif
