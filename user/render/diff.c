// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * diff.c - what changed between two folded profiles (`heapscope diff OLD NEW`).
 *
 * Differential folded output: one line per stack found in either input,
 *   root;...;leaf OLD NEW
 * the two weights of that stack (0 where it is absent), the format of
 * flamegraph.pl's difffolded.pl, which flamegraph.pl draws as a differential
 * graph.  Stacks are ordered by change, the most grown first and the most
 * shrunk last, then by name; stacks at 0 in both are left out.
 *
 * Differential SVG: a frame is as wide as the larger of its old and new
 * weights (summed over its stacks), so what vanished stays visible; it is red
 * where it grew and blue where it shrank, the deeper the more it changed.
 *
 * Owns: both parsed inputs and the merged stacks.  Does not own: parsing
 * (folded_reader.c), layout (flame.c) or drawing (svg.c).
 */
#include "render/diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/svg.h"

static void add_stacks(struct hs_diff *diff, const struct hs_folded *folded, bool is_new)
{
	for (size_t i = 0; i < folded->count; i++) {
		const struct hs_folded_stack *s = &folded->stacks[i];
		struct hs_flame_stack *into = &diff->stacks[diff->count++];

		*into = (struct hs_flame_stack){ .frames = s->frames,
						 .frame_count = s->frame_count };
		if (is_new)
			into->value = s->weight;
		else
			into->old_value = s->weight;
	}
}

int hs_diff_build(struct hs_diff *diff, const char *old_text, size_t old_len, const char *new_text,
		  size_t new_len)
{
	struct hs_flame_totals totals;
	int err;

	memset(diff, 0, sizeof(*diff));
	err = hs_folded_parse(old_text, old_len, &diff->old);
	if (!err)
		err = hs_folded_parse(new_text, new_len, &diff->new);
	if (err)
		return err;
	diff->stacks = calloc(diff->old.count + diff->new.count + 1, sizeof(*diff->stacks));
	if (!diff->stacks)
		return -ENOMEM;
	add_stacks(diff, &diff->old, false);
	add_stacks(diff, &diff->new, true);
	err = hs_flame_sort_merge(diff->stacks, &diff->count);
	if (!err)
		err = hs_flame_totals(diff->stacks, diff->count, UINT32_MAX, &totals);
	diff->old_total = totals.old_value;
	diff->new_total = totals.value;
	return err;
}

/* Most grown first, most shrunk last; by name among equals. */
static int by_change(const void *a, const void *b)
{
	const struct hs_flame_stack *x = a, *y = b;
	int x_grew = x->value >= x->old_value, y_grew = y->value >= y->old_value;
	uint64_t x_change = x_grew ? x->value - x->old_value : x->old_value - x->value;
	uint64_t y_change = y_grew ? y->value - y->old_value : y->old_value - y->value;

	if (x_grew != y_grew)
		return x_grew ? -1 : 1;
	if (x_change != y_change)
		return (x_change > y_change) == x_grew ? -1 : 1;
	return hs_flame_compare(x, y);
}

int hs_diff_write_folded(FILE *out, struct hs_diff *diff)
{
	struct hs_flame_stack *order = malloc((diff->count + 1) * sizeof(*order));

	if (!order)
		return -ENOMEM;
	memcpy(order, diff->stacks, diff->count * sizeof(*order));
	qsort(order, diff->count, sizeof(*order), by_change);
	for (size_t i = 0; i < diff->count; i++) {
		const struct hs_flame_stack *s = &order[i];

		if (!s->old_value && !s->value)
			continue;
		for (uint32_t f = 0; f < s->frame_count; f++)
			fprintf(out, "%s%s", f ? ";" : "", s->frames[f]);
		fprintf(out, " %llu %llu\n", (unsigned long long)s->old_value,
			(unsigned long long)s->value);
	}
	free(order);
	return ferror(out) ? -EIO : 0;
}

int hs_diff_write_svg(FILE *out, struct hs_diff *diff, const char *old_name, const char *new_name)
{
	char title[512], subtitle[256], old_total[32], new_total[32], change[32];
	bool grew = diff->new_total >= diff->old_total;
	struct hs_svg_labels labels = { .title = title, .subtitle = subtitle, .unit = "",
					.differential = true };

	hs_group_digits(diff->old_total, old_total, sizeof(old_total));
	hs_group_digits(diff->new_total, new_total, sizeof(new_total));
	hs_group_digits(grew ? diff->new_total - diff->old_total
			     : diff->old_total - diff->new_total,
			change, sizeof(change));
	snprintf(title, sizeof(title), "heapscope diff: %s -> %s", old_name, new_name);
	snprintf(subtitle, sizeof(subtitle),
		 "total %s -> %s (%s%s); red: grew, blue: shrank; width: the larger of old and new",
		 old_total, new_total, grew ? "+" : "-", change);
	return hs_svg_write(out, diff->stacks, diff->count, &labels);
}

void hs_diff_free(struct hs_diff *diff)
{
	hs_folded_free(&diff->old);
	hs_folded_free(&diff->new);
	free(diff->stacks);
	memset(diff, 0, sizeof(*diff));
}
