/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_SUMMARY_H
#define HEAPSCOPE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"

/* One process of the session, for the per-process sections of the outputs. */
struct hs_process_summary {
	pid_t pid;    /* host PID */
	pid_t ns_pid; /* in its own PID namespace (== pid outside containers) */
	char comm[16];
	bool exited, execed;
	uint64_t live_bytes, live_count;
	uint64_t alloc_bytes, alloc_count;
	/* frees of blocks allocated before attach, their bytes (glibc's chunk headers), and
	 * how many of them have no such figure */
	uint64_t unknown_frees, unknown_free_bytes, unknown_frees_unmeasured;
};

/* What a session did, for the stderr summary and for every output format. */
struct hs_summary {
	pid_t pid;
	char comm[32];
	double duration_s;
	uint64_t started_unix_ns; /* wall clock when the probes were live */
	double attach_ms;
	bool target_exited;
	bool target_execed; /* it exec()ed another program; later events were ignored */
	uint64_t events, allocs, frees, reallocs;
	uint64_t unknown_frees;
	uint64_t unknown_free_bytes;	   /* their bytes, where glibc's chunk headers told them */
	uint64_t unknown_frees_unmeasured; /* unknown frees without such a figure */
	uint64_t live_bytes, live_count;
	uint64_t kernel_stats[HS_STAT_COUNT];
	uint64_t untracked_allocs; /* collector's live table full */
	uint64_t replaced_blocks;  /* frees never seen (an address handed out again) */
	uint64_t stacks_not_kept;
	uint64_t lost_events; /* the sum of every loss above that can make results wrong */
	uint64_t collector_bytes;
	const char *unwind_mode;     /* "auto", "dwarf" or "fp" */
	uint64_t unwind_tables;	     /* objects whose table the walker has */
	uint64_t unwind_rows;
	uint64_t unwind_kernel_bytes; /* the unwind maps' kernel memory */
	double unwind_build_ms;	     /* building the tables at attach (part of attach_ms) */
	const struct hs_process_summary *processes; /* every target, in attach order */
	size_t process_count;
	bool merged; /* --merge: one profile across processes */
	uint64_t short_lived_processes; /* --follow: found, but gone before they were attached */
	/* the overhead meter (analysis/overhead.c): the probes' share of the targets' CPU */
	bool overhead_known;	  /* the targets ran enough for a share */
	double overhead_pct;	  /* over the session */
	double max_overhead_pct;  /* --max-overhead; 0: none */
	bool overhead_stopped;	  /* --max-overhead ended the session */
	double overhead_stop_pct; /* ... with this share over its last second */
};

#endif
