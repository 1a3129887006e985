/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_MISSING_SYMBOLS_H
#define HEAPSCOPE_MISSING_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbol/symbolize.h"

/* An object some frames point into that has no symbol table to name them. */
struct hs_missing_symbols {
	const struct hs_object *object;
	uint64_t frames; /* frames in it no symbol names */
};

struct hs_missing_symbols_list {
	struct hs_missing_symbols *items; /* in the order first met */
	size_t count, capacity;
};

int hs_missing_symbols_note(struct hs_missing_symbols_list *list, struct hs_symbolizer *sym,
			    pid_t pid, const uint64_t *return_addrs, size_t count);
void hs_missing_symbols_free(struct hs_missing_symbols_list *list);

#endif
