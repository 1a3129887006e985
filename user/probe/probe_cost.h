/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROBE_COST_H
#define HEAPSCOPE_PROBE_COST_H

/*
 * What a probe hit costs the process it fires in, on this machine: the trap of
 * an entry probe whose instruction the kernel emulates, of one it single-steps,
 * and what a return probe adds.  Calibrated by timing calls to functions of
 * heapscope's own with and without a uprobe on them (probe_cost.c), never the
 * target's.  And how often heapscope's programs ran and for how long, from the
 * kernel's own accounting, switched on for the session only.
 */
#include <stdbool.h>
#include <stdint.h>

struct bpf_object;

#define HS_COST_ROUNDS 7 /* calibration runs per kind; the median is kept */

struct hs_probe_cost {
	double emulated_ns; /* an entry probe on an instruction the kernel emulates */
	double stepped_ns;  /* ... on one it single-steps */
	double return_ns;   /* a return probe, above its entry probe's trap */
	double stats_run_ns; /* an empty program's run time as the kernel's statistics count it
			      * (0 with them off): their own clock reads, in every run's time */
	double took_ms;	    /* the calibration's own wall time */
	double cpu_ms;	    /* ... and CPU time (the rest is waiting for a loaded machine) */
};

/* Where the programs stand: hits by kind and their run time, summed over programs. */
struct hs_program_totals {
	uint64_t entry_hits;	/* uprobes on an entry (or a free's) site */
	uint64_t stepped_hits;	/* uprobes on ret instructions: single-stepped */
	uint64_t return_hits;	/* uretprobes */
	uint64_t run_ns;	/* every program's own run time (0 without stats) */
};

int hs_probe_cost_calibrate(struct hs_probe_cost *cost);
int hs_probe_cost_calibrate_apart(struct hs_probe_cost *cost);
int hs_bpf_stats_enable(void);
int hs_program_totals(const struct bpf_object *obj, struct hs_program_totals *totals);

#endif
