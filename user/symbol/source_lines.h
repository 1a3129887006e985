/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_SOURCE_LINES_H
#define HEAPSCOPE_SOURCE_LINES_H

#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbol/symbolize.h"

#define HS_SOURCE_PATH_MAX 1024

/* Where the code at one address was written.  Paths are absolute when the DWARF knows the
 * compilation directory; longer ones are cut. */
struct hs_source_line {
	char file[HS_SOURCE_PATH_MAX]; /* of line; "" when unknown */
	uint32_t line;		       /* in the function the address is in, not in code inlined into it */
	char function_file[HS_SOURCE_PATH_MAX]; /* where that function is defined; "" when unknown */
	uint32_t function_line;			/* the line of its definition; 0 when unknown */
};

/* One ELF file's DWARF, opened read-only. */
struct hs_source_file {
	Elf *elf;
	Dwarf *dwarf;
	bool has_aranges; /* .debug_aranges finds CUs; else every CU's ranges are scanned */
};

int hs_source_file_open_fd(struct hs_source_file *src, int fd);
int hs_source_file_open_memory(struct hs_source_file *src, const void *data, size_t len);
int hs_source_file_find(struct hs_source_file *src, uint64_t vaddr, struct hs_source_line *out);
void hs_source_file_close(struct hs_source_file *src);

/* The DWARF of every object a session's symbolizer names, opened on first use. */
struct hs_source_lines {
	struct hs_symbolizer *sym;
	struct hs_source_object *objects;
	size_t object_count, object_capacity;
};

void hs_source_lines_init(struct hs_source_lines *lines, struct hs_symbolizer *sym);
int hs_source_lines_find(struct hs_source_lines *lines, pid_t pid, uint64_t return_address,
			 struct hs_source_line *out);
void hs_source_lines_free(struct hs_source_lines *lines);

#endif
