/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_REACH_MARK_H
#define HEAPSCOPE_REACH_MARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The conservative mark (LeakSanitizer's algorithm) over a copy of a process's memory:
 * roots are words, nodes are blocks, an aligned word pointing anywhere into a block
 * reaches it; blocks no root reaches are leaked, split like Valgrind into direct and
 * indirect.
 */

#define HS_NO_STACK UINT32_MAX

enum hs_node_state {
	HS_NODE_UNSEEN = 0,
	HS_NODE_REACHABLE,
	HS_NODE_DIRECT,	  /* leaked, and no other leaked block points to it (a cycle: one) */
	HS_NODE_INDIRECT, /* leaked, pointed to only by other leaked blocks */
};

struct hs_reach_node {
	uint64_t addr;
	uint64_t size;	   /* what the program asked for (session) or may use (walk) */
	uint32_t stack_id; /* HS_NO_STACK: allocated before attach (from the heap walk) */
	uint8_t state;	   /* enum hs_node_state */
	bool untracked;	   /* from the heap walk, not the session */
	uint16_t type;	   /* 0: unknown; else an id + 1 the caller gives */
};

/* A stretch of copied memory: [start, end) of the target is bytes[0 .. end - start). */
struct hs_reach_span {
	uint64_t start, end;
	const unsigned char *bytes;
};

/* Where the contents of nodes are, and which stretches are roots. */
struct hs_reach_memory {
	const struct hs_reach_span *copies; /* sorted, disjoint: every node's bytes are here */
	size_t copy_count;
	const struct hs_reach_span *roots; /* scanned as roots (may overlap copies) */
	size_t root_count;
	const uint64_t *root_words; /* registers */
	size_t root_word_count;
};

struct hs_reach_stats {
	uint64_t root_bytes;	   /* scanned as roots */
	uint64_t node_bytes;	   /* scanned as block contents */
	uint64_t unscanned_nodes;  /* reachable blocks whose contents were not in the copy */
};

int hs_reach_sort_nodes(struct hs_reach_node *nodes, size_t *count, uint64_t *overlapping);
long hs_reach_find(const struct hs_reach_node *nodes, size_t count, uint64_t addr);
int hs_reach_mark(struct hs_reach_node *nodes, size_t count, const struct hs_reach_memory *mem,
		  struct hs_reach_stats *stats);

#endif
