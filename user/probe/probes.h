/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROBES_H
#define HEAPSCOPE_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "probe/allocator_functions.h"
#include "probe/probe_site.h"
#include "target/objects.h"

/* Ret instructions probed in one process to close throwing operator new calls. */
#define HS_MAX_RET_PROBES 128

/* An object that holds probed functions. */
struct hs_probe_object {
	char path[HS_PATH_MAX];	       /* as the target sees it */
	char attach_path[HS_PATH_MAX]; /* the same file reached from here */
};

/* One allocator function to probe in the target. */
struct hs_probe_site {
	const char *function; /* name the process binds to */
	enum hs_probe_fn fn;  /* how its arguments are read */
	enum hs_probe_family family;
	size_t object;	      /* index into plan->objects */
	uint64_t vaddr;	      /* ELF address of the function */
	uint64_t file_offset; /* uprobe offset in the object: the function's entry + site.offset */
	bool has_return;      /* a return probe reports the result or closes the call */
	struct hs_site_choice site; /* where in the function the probe sits, and why */
	size_t ret_probes;    /* HS_FN_NEW: the ret instructions that close it */
	const char *ret_probes_missing; /* a throwing new kept its return probe: why */
	uint64_t ret_probes_missing_at; /* ... and where (ELF address) */
};

/* A probe on a ret instruction that closes a throwing operator new (ret_sites.c). */
struct hs_ret_probe {
	const char *function; /* the (first) site it closes */
	size_t object;	      /* index into plan->objects */
	uint64_t file_offset;
	char where[80];	      /* "function+offset" or the ELF address, for -v */
};

/* Where and what to probe in one process. */
struct hs_probe_plan {
	struct hs_probe_object *objects;
	size_t object_count;
	struct hs_probe_site sites[HS_MAX_PROBE_SITES];
	size_t site_count;
	struct hs_ret_probe ret_probes[HS_MAX_RET_PROBES];
	size_t ret_probe_count;
	size_t probe_count;	  /* uprobes + uretprobes */
	bool from_link_map; /* objects searched in the dynamic linker's own order */
};

int hs_probes_plan(struct hs_objects *objects, pid_t pid, const struct hs_maps *maps,
		   struct hs_probe_plan *plan);
void hs_probes_free(struct hs_probe_plan *plan);
bool hs_probes_releases_glibc_chunks(const struct hs_probe_plan *plan,
				     const struct hs_probe_site *site);
void hs_probes_describe(const struct hs_probe_plan *plan, char *out, size_t len);

#endif
