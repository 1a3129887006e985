/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_FOLDED_READER_H
#define HEAPSCOPE_FOLDED_READER_H

#include <stddef.h>
#include <stdint.h>

/* One line of a folded file: "frame;frame;...;frame WEIGHT". */
struct hs_folded_stack {
	const char **frames; /* root first, NUL-terminated names inside the reader's text */
	uint32_t frame_count;
	uint64_t weight;
	size_t line; /* 1-based, in the input */
};

struct hs_folded {
	char *text;	     /* a copy of the input, cut into names */
	const char **frame_pool; /* every stack's frames */
	struct hs_folded_stack *stacks;
	size_t count;
	uint64_t malformed_lines; /* skipped: no weight, no stack, a NUL byte, ... */
	size_t first_malformed_line;
};

int hs_folded_parse(const char *data, size_t len, struct hs_folded *folded);
void hs_folded_free(struct hs_folded *folded);

#endif
