/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_SYMBOLIZE_H
#define HEAPSCOPE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbol/perf_map.h"
#include "target/objects.h"

/* A target's JIT code names (its perf map), read as frames in its anonymous code appear. */
struct hs_sym_jit {
	pid_t pid;
	struct hs_perf_map perf_map;
};

struct hs_symbolizer {
	struct hs_objects *objects; /* the session's: files and maps snapshots */
	struct hs_sym_jit *jits;
	size_t jit_count, jit_capacity;
	/* Source lines will be read at the end (pprof): find each object's debug file
	 * while its target lives, when the object has no DWARF of its own. */
	bool keep_files;
};

/* What one address resolves to. */
struct hs_frame_info {
	/* demangled, or NULL when no symbol covers it; for JIT code (an executable anonymous
	 * mapping), the name the target's perf map gives */
	const char *function;
	const char *module;   /* basename of the object, "[anon]", "[vdso]", or NULL */
	const struct hs_object *object;
	const struct hs_mapping *mapping;
	uint64_t vaddr; /* ELF address in module, when there is one */
};

void hs_symbolizer_init(struct hs_symbolizer *sym, struct hs_objects *objects);
void hs_symbolizer_free(struct hs_symbolizer *sym);
int hs_symbolizer_add_process(struct hs_symbolizer *sym, pid_t pid);
int hs_symbolizer_prepare(struct hs_symbolizer *sym, pid_t pid, const uint64_t *addrs,
			  size_t count);
int hs_symbolizer_resolve(struct hs_symbolizer *sym, pid_t pid, uint64_t addr, bool return_address,
			  struct hs_frame_info *info);
void hs_frame_format(const struct hs_frame_info *info, uint64_t addr, char *out, size_t len);
char *hs_demangle(const char *name);

#endif
