/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_REACH_LEAK_NODES_H
#define HEAPSCOPE_REACH_LEAK_NODES_H

/* Private to reach/leak_*.c: the node set one analysis marks, and the sums made of it. */
#include <stddef.h>

#include "reach/leak_check.h"
#include "reach/mark.h"

struct nodes {
	struct hs_reach_node *items;
	size_t count, cap;
};

int leak_sum_stacks(const struct nodes *nodes, struct hs_leak_result *res);
int leak_sum_types(struct hs_leak_snapshot *snap, const struct nodes *nodes,
		   const struct hs_reach_memory *mem, struct hs_leak_result *res);
int leak_sum_sizes(const struct nodes *nodes, struct hs_leak_result *res);
void leak_sum_totals(const struct nodes *nodes, struct hs_leak_result *res);

#endif
