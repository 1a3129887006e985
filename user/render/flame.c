// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flame.c - the layout of a flame graph, independent of how it is drawn.
 *
 * Stacks are sorted frame by frame (names compared with strcmp), so stacks
 * that share a prefix are neighbours; equal stacks are merged.  One sweep over
 * the sorted stacks then keeps the frames of the current prefix open, adds each
 * stack's weight to them, and hands a frame to the caller when the next stack
 * leaves it: every frame's width is the sum of the stacks through it, and
 * siblings are in name order.  Nothing is allocated per frame.
 *
 * Owns: nothing but a stack of open frames during the sweep.  Does not own:
 * stacks or names (the caller's), drawing (svg.c).  Invariant: sums
 * never wrap: a sum that would is -EOVERFLOW, so adversarial folded input
 * cannot produce a wrong picture.
 */
#include "render/flame.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int hs_flame_compare(const struct hs_flame_stack *a, const struct hs_flame_stack *b)
{
	uint32_t n = a->frame_count < b->frame_count ? a->frame_count : b->frame_count;

	for (uint32_t i = 0; i < n; i++) {
		int order = strcmp(a->frames[i], b->frames[i]);

		if (order)
			return order;
	}
	return a->frame_count < b->frame_count ? -1 : a->frame_count > b->frame_count;
}

static int compare_stacks(const void *a, const void *b)
{
	return hs_flame_compare(a, b);
}

static bool add_overflows(uint64_t *sum, uint64_t value)
{
	return __builtin_add_overflow(*sum, value, sum);
}

/* Sort frame by frame and merge equal stacks (adding their weights). */
int hs_flame_sort_merge(struct hs_flame_stack *stacks, size_t *count)
{
	size_t kept = 0;

	qsort(stacks, *count, sizeof(*stacks), compare_stacks);
	for (size_t i = 0; i < *count; i++) {
		struct hs_flame_stack *into = kept ? &stacks[kept - 1] : NULL;

		if (into && hs_flame_compare(into, &stacks[i]) == 0) {
			if (add_overflows(&into->old_value, stacks[i].old_value) ||
			    add_overflows(&into->value, stacks[i].value))
				return -EOVERFLOW;
			continue;
		}
		stacks[kept++] = stacks[i];
	}
	*count = kept;
	return 0;
}

int hs_flame_totals(const struct hs_flame_stack *stacks, size_t count, uint32_t max_depth,
		    struct hs_flame_totals *totals)
{
	memset(totals, 0, sizeof(*totals));
	for (size_t i = 0; i < count; i++) {
		const struct hs_flame_stack *s = &stacks[i];

		if (add_overflows(&totals->old_value, s->old_value) ||
		    add_overflows(&totals->value, s->value) ||
		    add_overflows(&totals->span, hs_flame_span(s)))
			return -EOVERFLOW;
		if (!hs_flame_span(s))
			continue;
		if (s->frame_count > max_depth)
			totals->truncated_stacks++;
		if (s->frame_count > totals->depth)
			totals->depth = s->frame_count > max_depth ? max_depth : s->frame_count;
	}
	return 0;
}

/* Hand the open frames from depth `from` up to the caller, deepest first. */
static int close_frames(struct hs_flame_frame *open, uint32_t *open_count, uint32_t from,
			int (*emit)(const struct hs_flame_frame *frame, void *ctx), void *ctx)
{
	while (*open_count > from) {
		int err = emit(&open[*open_count - 1], ctx);

		if (err)
			return err;
		(*open_count)--;
	}
	return 0;
}

/*
 * Lay out stacks sorted and merged by hs_flame_sort_merge(), whose totals
 * were checked by hs_flame_totals(); frames deeper than max_depth are cut.
 */
int hs_flame_layout(const struct hs_flame_stack *stacks, size_t count, uint32_t max_depth,
		    int (*emit)(const struct hs_flame_frame *frame, void *ctx), void *ctx)
{
	struct hs_flame_frame *open = calloc(max_depth ? max_depth : 1, sizeof(*open));
	uint32_t open_count = 0;
	uint64_t x = 0;
	int err = 0;

	if (!open)
		return -ENOMEM;
	for (size_t i = 0; i < count && !err; i++) {
		const struct hs_flame_stack *s = &stacks[i];
		uint32_t depth = s->frame_count < max_depth ? s->frame_count : max_depth;
		uint32_t common = 0;

		if (!hs_flame_span(s))
			continue;
		while (common < open_count && common < depth &&
		       strcmp(open[common].name, s->frames[common]) == 0)
			common++;
		err = close_frames(open, &open_count, common, emit, ctx);
		for (; open_count < depth; open_count++)
			open[open_count] = (struct hs_flame_frame){ .name = s->frames[open_count],
								    .depth = open_count,
								    .span_start = x };
		for (uint32_t d = 0; d < depth; d++) {
			open[d].span += hs_flame_span(s);
			open[d].old_value += s->old_value;
			open[d].value += s->value;
		}
		x += hs_flame_span(s);
	}
	if (!err)
		err = close_frames(open, &open_count, 0, emit, ctx);
	free(open);
	return err;
}
