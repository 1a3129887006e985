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

/*
 * Which node holds an address, in about two cache misses instead of a binary search over
 * every node (LSan's mark of a large heap spends most of its time there).  Nodes that lie
 * within HS_REACH_INDEX_GAP_BYTES of each other form a window; each window has a table with
 * one entry per HS_REACH_INDEX_GRANULE_BYTES: the first node that ends past the granule's
 * start.  A lookup finds its window (binary search over few), reads one entry, and searches
 * only the nodes overlapping that granule.  4 bytes per granule: 1 MiB per GiB of heap, and
 * at most 4 * (1 + HS_REACH_INDEX_GAP_BYTES / granule) more per node (the gaps it spans).
 */
#define HS_REACH_INDEX_GRANULE_SHIFT 12
#define HS_REACH_INDEX_GAP_BYTES (16ull << 10) /* a wider gap starts a new window */

struct hs_reach_window {
	uint64_t start, end;	/* [first node's addr, last node's end) */
	size_t first_granule;	/* its table's offset in hs_reach_index.first */
	uint32_t node_begin, node_end; /* its nodes [begin, end) */
};

struct hs_reach_index {
	const struct hs_reach_node *nodes;
	struct hs_reach_window *windows;
	size_t window_count;
	uint32_t *first; /* per granule: the first node of its window ending past its start */
	size_t granule_count;
};

int hs_reach_index_build(struct hs_reach_index *idx, const struct hs_reach_node *nodes,
			 size_t count);
long hs_reach_index_find(const struct hs_reach_index *idx, uint64_t addr);
void hs_reach_index_free(struct hs_reach_index *idx);

int hs_reach_sort_nodes(struct hs_reach_node *nodes, size_t *count, uint64_t *overlapping);
long hs_reach_find(const struct hs_reach_node *nodes, size_t count, uint64_t addr);
int hs_reach_mark(struct hs_reach_node *nodes, size_t count, const struct hs_reach_memory *mem,
		  struct hs_reach_stats *stats);

#endif
