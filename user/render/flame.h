/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_FLAME_H
#define HEAPSCOPE_FLAME_H

#include <stddef.h>
#include <stdint.h>

/* One stack of a flame graph, and its weight at two points in time (old_value is 0 but in a
 * diff). */
struct hs_flame_stack {
	const char **frames; /* root first; neither array nor names are owned */
	uint32_t frame_count;
	uint64_t old_value, value;
};

/* One frame as laid out: the run of stacks that share frames[0..depth]. */
struct hs_flame_frame {
	const char *name;
	uint32_t depth;		 /* 0: the stacks' first frame */
	uint64_t span_start;	 /* sum of the spans of the stacks to its left */
	uint64_t span;		 /* its width, in weight units */
	uint64_t old_value, value;
};

struct hs_flame_totals {
	uint64_t old_value, value, span;
	uint32_t depth; /* frames of the deepest stack drawn */
	uint64_t truncated_stacks; /* deeper than the layout's max_depth */
};

/* A stack's width: the larger of its two weights, so what vanished in a diff stays visible. */
static inline uint64_t hs_flame_span(const struct hs_flame_stack *stack)
{
	return stack->old_value > stack->value ? stack->old_value : stack->value;
}

int hs_flame_compare(const struct hs_flame_stack *a, const struct hs_flame_stack *b);
int hs_flame_sort_merge(struct hs_flame_stack *stacks, size_t *count);
int hs_flame_totals(const struct hs_flame_stack *stacks, size_t count, uint32_t max_depth,
		    struct hs_flame_totals *totals);
int hs_flame_layout(const struct hs_flame_stack *stacks, size_t count, uint32_t max_depth,
		    int (*emit)(const struct hs_flame_frame *frame, void *ctx), void *ctx);

#endif
