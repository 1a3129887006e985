/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_REACH_LEAK_NODES_H
#define HEAPSCOPE_REACH_LEAK_NODES_H

/* Private to reach/leak_*.c: the node set one analysis marks, and the sums made of it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* leak_roots.c: address ranges (what the roots leave out), and the roots themselves. */
struct range {
	uint64_t start, end;
};

struct ranges {
	struct range *items;
	size_t count, cap;
};

struct spans {
	struct hs_reach_span *items;
	size_t count, cap;
};

int leak_add_range(struct ranges *r, uint64_t start, uint64_t end);
int leak_by_start(const void *a, const void *b); /* qsort order of struct range */
bool leak_inside(const struct ranges *r, uint64_t start, uint64_t end);
int leak_add_span(struct spans *s, uint64_t start, uint64_t end, const unsigned char *bytes);
int leak_subtract(const struct hs_freeze *f, const struct ranges *excluded, struct spans *roots);
int leak_exclusions(const struct ranges *arenas, const struct nodes *nodes,
		    struct ranges *excluded);
int leak_thread_roots(const struct hs_freeze *f, struct spans *roots);
int leak_register_words(const struct hs_freeze *f, uint64_t **words, size_t *count);

#endif
