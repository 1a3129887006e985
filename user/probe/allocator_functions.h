/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ALLOCATOR_FUNCTIONS_H
#define HEAPSCOPE_ALLOCATOR_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/probes.h"

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
