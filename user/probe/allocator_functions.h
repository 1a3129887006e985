/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ALLOCATOR_FUNCTIONS_H
#define HEAPSCOPE_ALLOCATOR_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "events.h"

/* At most one site per entry of the allocator function table, and the exception probes
 * (probes.c). */
#define HS_MAX_PROBE_SITES 160

/* Groups of allocator entry points, as the attach line names them. */
enum hs_probe_family {
	HS_FAMILY_C,	    /* malloc, free, ...: the C allocator API */
	HS_FAMILY_CXX,	    /* operator new / delete, every variant */
	HS_FAMILY_JEMALLOC, /* mallocx, ...; je_-prefixed builds */
	HS_FAMILY_TCMALLOC, /* tc_* */
	HS_FAMILY_MIMALLOC, /* mi_* */
	HS_FAMILY_COUNT,    /* the families the attach line names */
	/* Not an allocator: where exceptions start, to close a new that threw. */
	HS_FAMILY_EXCEPTIONS = HS_FAMILY_COUNT,
};

/* One allocator entry point to look for in a process. */
struct hs_allocator_function {
	const char *name;
	enum hs_probe_fn fn;
	bool has_return;
	enum hs_probe_family family;
};

extern const struct hs_allocator_function hs_allocator_functions[];
extern const size_t hs_allocator_function_count;
/* Where exceptions start: a throwing new open above one of these threw (HS_FN_THROW). */
extern const struct hs_allocator_function hs_exception_functions[];
extern const size_t hs_exception_function_count;

const char *hs_probe_family_name(enum hs_probe_family family);

#endif
