/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROBES_H
#define HEAPSCOPE_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "probe_site.h"
#include "procfs.h"

#define HS_MAX_PROBE_SITES 64

/* One allocator function to probe in the target. */
struct hs_probe_site {
	const char *function; /* name the process binds to */
	enum hs_probe_fn fn;  /* how its arguments are read */
	uint64_t vaddr;	      /* ELF address of the function */
	uint64_t file_offset; /* uprobe offset in the object: the function's entry + site.offset */
	bool has_return;      /* a return probe reports the result */
	struct hs_site_choice site; /* where in the function the probe sits, and why */
};

/* Where and what to probe in one process. */
struct hs_probe_plan {
	char object_path[HS_PATH_MAX]; /* the allocator object as the target sees it */
	char attach_path[HS_PATH_MAX]; /* the same file reached from here */
	struct hs_probe_site sites[HS_MAX_PROBE_SITES];
	size_t site_count;
	size_t probe_count; /* uprobes + uretprobes */
};

int hs_probes_plan(pid_t pid, const struct hs_maps *maps, struct hs_probe_plan *plan);

#endif
