/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROFILE_H
#define HEAPSCOPE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/stacks.h"
#include "lib/id_index.h"
#include "symbol/symbolize.h"

/* What a stack can be weighed by; the order is the order of sample values. */
#define HS_WEIGHT_BASIC_COUNT 4 /* those every session has; the leaked ones need --leak-check */
enum hs_weight {
	HS_WEIGHT_INUSE_BYTES = 0,
	HS_WEIGHT_INUSE_COUNT,
	HS_WEIGHT_ALLOC_BYTES,
	HS_WEIGHT_ALLOC_COUNT,
	HS_WEIGHT_LEAKED_BYTES, /* --leak-check: unreachable at the end (0 without it) */
	HS_WEIGHT_LEAKED_COUNT,
	HS_WEIGHT_COUNT,
};

/* One symbolized stack; raw stacks that name the same frames are merged into it. */
struct hs_profile_sample {
	uint32_t pid;
	uint32_t frame_count;
	uint32_t *names;  /* ids into the profile's names, root first */
	uint64_t *addrs;  /* one raw return address per frame, root first */
	uint32_t *mappings; /* per frame, root first: id + 1 into the profile's mappings, 0: none */
	uint64_t values[HS_WEIGHT_COUNT];
	bool truncated;
	uint32_t stack_id; /* a raw stack merged into it: the first */
};

/* A mapped file (or special region) that frames point into, for formats that name them (pprof). */
struct hs_profile_mapping {
	uint32_t pid;
	uint64_t start, limit, file_offset;
	char *path; /* as the target sees it, "[vdso]", or "" for anonymous memory */
	char build_id[2 * HS_BUILD_ID_MAX + 1]; /* hex; "" when unknown */
	bool has_functions; /* the object's symbols were read */
	const struct hs_mapping *source; /* the symbolizer's; only compared, while building */
};

/* A stack's in-use values when they do not come from its own totals (--min-age). */
struct hs_stack_live {
	uint64_t bytes;
	uint64_t count;
};

#define HS_NO_SAMPLE UINT32_MAX

/* One process of a session, as its stacks' root frame names it. */
struct hs_profile_process {
	uint32_t pid;
	char label[48]; /* "COMM [PID]" */
};

/* The processes a profile covers: with two or more, each stack gets its process as root
 * frame, unless merge (then stacks with the same names are added across processes). */
struct hs_profile_scope {
	const struct hs_profile_process *processes;
	size_t count;
	bool merge;
	bool keep_stack_samples; /* keep the samples before merging too (pprof: stack_samples) */
};

struct hs_profile {
	struct hs_profile_sample *samples;
	size_t sample_count;
	char **names; /* interned frame names */
	size_t name_count, name_capacity;
	struct hs_id_index name_index; /* name ids by text */
	uint64_t totals[HS_WEIGHT_COUNT];
	struct hs_profile_mapping *mappings;
	size_t mapping_count, mapping_capacity;
	uint32_t *sample_of_stack; /* per raw stack id: its sample, or HS_NO_SAMPLE */
	size_t stack_count;
	/* The samples before merging (scope->keep_stack_samples): one per raw stack, each with
	 * its own return addresses and values, so pprof keeps every call site's line.  When
	 * set, it owns the frame arrays, which samples[] shares. */
	struct hs_profile_sample *stack_samples;
	size_t stack_sample_count;
};

int hs_profile_build(struct hs_profile *profile, const struct hs_stack_table *stacks,
		     const struct hs_stack_live *live, struct hs_symbolizer *sym,
		     const struct hs_profile_scope *scope);
void hs_profile_free(struct hs_profile *profile);
int hs_profile_intern_name(struct hs_profile *profile, const char *name, uint32_t *id);
const char *hs_weight_name(enum hs_weight weight);
const char *hs_weight_unit(enum hs_weight weight);
int hs_weight_parse(const char *text, enum hs_weight *weight);

#endif
