/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_DIFF_H
#define HEAPSCOPE_DIFF_H

#include <stdio.h>

#include "render/flame.h"
#include "render/folded_reader.h"

/* Two folded profiles, stack by stack. */
struct hs_diff {
	struct hs_folded old, new;
	struct hs_flame_stack *stacks; /* merged: old_value from old, value from new */
	size_t count;
	uint64_t old_total, new_total;
};

int hs_diff_build(struct hs_diff *diff, const char *old_text, size_t old_len, const char *new_text,
		  size_t new_len);
int hs_diff_write_folded(FILE *out, struct hs_diff *diff);
int hs_diff_write_svg(FILE *out, struct hs_diff *diff, const char *old_name, const char *new_name);
void hs_diff_free(struct hs_diff *diff);

#endif
