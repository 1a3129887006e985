/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_SYMBOLIZE_H
#define HEAPSCOPE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/elf_object.h"
#include "symbol/perf_map.h"
#include "target/procfs.h"

/* One file mapped into some target, identified by (dev, inode), read once. */
struct hs_sym_object {
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char path[HS_PATH_MAX]; /* as the target sees it */
	const char *basename;	/* points into path */
	struct hs_elf_object elf;
	int load_error; /* 0 when elf is valid */
	int fd;		/* the object, kept open for source lines (keep_files, has DWARF); else -1 */
	int debug_fd;	/* its detached debug file, kept when the object has no DWARF; else -1 */
};

struct hs_sym_process {
	pid_t pid;
	struct hs_maps maps; /* the latest snapshot taken while the process was alive */
	struct hs_perf_map perf_map; /* names of its JIT code (perf_map.c) */
};

struct hs_symbolizer {
	struct hs_sym_object **objects;
	size_t object_count, object_capacity;
	struct hs_sym_process *processes;
	size_t process_count, process_capacity;
	/* Keep each object's file (and debug file) open, so source lines can be read at
	 * the end even when the target has exited (pprof): one or two fds per object. */
	bool keep_files;
};

/* What one address resolves to. */
struct hs_frame_info {
	const char *function; /* demangled, or NULL when no symbol covers it */
	const char *module;   /* basename of the object, "[anon]", "[vdso]", or NULL */
	/* function: NULL when no symbol covers it; for JIT code (an executable anonymous
	 * mapping), the target's perf map's name */
	const struct hs_sym_object *object;
	const struct hs_mapping *mapping;
	uint64_t vaddr; /* ELF address in module, when there is one */
};

void hs_symbolizer_init(struct hs_symbolizer *sym);
void hs_symbolizer_free(struct hs_symbolizer *sym);
int hs_symbolizer_add_process(struct hs_symbolizer *sym, pid_t pid);
int hs_symbolizer_prepare(struct hs_symbolizer *sym, pid_t pid, const uint64_t *addrs, size_t count);
int hs_symbolizer_resolve(struct hs_symbolizer *sym, pid_t pid, uint64_t addr, bool return_address,
			  struct hs_frame_info *info);
void hs_frame_format(const struct hs_frame_info *info, uint64_t addr, char *out, size_t len);
char *hs_demangle(const char *name);

#endif
