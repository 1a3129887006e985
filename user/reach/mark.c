// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mark.c - which blocks no pointer reaches: the conservative mark over copied memory.
 *
 * Owns: sorting the nodes (blocks) and dropping overlaps; the flood fill from the roots
 * through node contents; the split of the rest into direct and indirect leaks.
 * Does not own: where the roots and nodes come from (leak_check.c), copying (freeze.c).
 * Invariants: works only on copies (nothing here reads the target).  Only 8-byte aligned
 * words count; a word reaches a node when it points into [addr, addr + max(size, 1)).
 * Every node ends REACHABLE, DIRECT or INDIRECT; each group of leaked blocks reached from
 * one another has exactly one DIRECT block (a cycle with nothing outside pointing in gets
 * one), so direct + indirect = unreachable.  Memory bounded by the node count (one work
 * stack of indexes, the lookup index).
 * Cost: each word is compared with the nodes' range; one in range is looked up through the
 * granule index (hs_reach_index_*), not by a binary search over every node: on a 1 GiB heap
 * of 1 KiB blocks that search was most of the mark (20 cache misses per pointer).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "reach/mark.h"

struct work {
	size_t *items;
	size_t count, cap;
};

static int push(struct work *w, size_t index)
{
	if (w->count == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 1024;
		size_t *bigger = realloc(w->items, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		w->items = bigger;
		w->cap = cap;
	}
	w->items[w->count++] = index;
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct hs_reach_node *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Same address: the session's block (with its stack) first. */
	return (int)x->untracked - (int)y->untracked;
}

static uint64_t node_end(const struct hs_reach_node *n)
{
	return n->addr + (n->size ? n->size : 1);
}

/*
 * Sort by address and drop every node overlapping the one before (a block whose free was
 * missed, under a newer one): nodes are then disjoint, which the lookup needs.
 */
int hs_reach_sort_nodes(struct hs_reach_node *nodes, size_t *count, uint64_t *overlapping)
{
	size_t kept = 0;
	bool sorted = true;

	/* A heap walk hands its chunks in address order: no sort then. */
	for (size_t i = 1; sorted && i < *count; i++)
		sorted = by_addr(&nodes[i - 1], &nodes[i]) <= 0;
	if (!sorted)
		qsort(nodes, *count, sizeof(*nodes), by_addr);
	*overlapping = 0;
	for (size_t i = 0; i < *count; i++) {
		if (kept && nodes[i].addr < node_end(&nodes[kept - 1])) {
			(*overlapping)++;
			continue;
		}
		if (kept != i) /* an unchanged array is not written (its pages stay clean) */
			nodes[kept] = nodes[i];
		kept++;
	}
	*count = kept;
	return 0;
}

/* The node [addr, end) contains addr, or -1. */
long hs_reach_find(const struct hs_reach_node *nodes, size_t count, uint64_t addr)
{
	size_t lo = 0, hi = count;

	if (!count || addr < nodes[0].addr || addr >= node_end(&nodes[count - 1]))
		return -1;
	while (lo < hi) { /* the last node starting at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (nodes[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr < node_end(&nodes[lo - 1]) ? (long)lo - 1 : -1;
}

/*
 * The windows and their granule tables (mark.h).  Nodes sorted and disjoint: their ends
 * then grow with their index, so each table fills in one sweep.
 */
int hs_reach_index_build(struct hs_reach_index *idx, const struct hs_reach_node *nodes,
			 size_t count)
{
	size_t windows = 0, granules = 0, w = 0, g = 0;

	memset(idx, 0, sizeof(*idx));
	idx->nodes = nodes;
	if (count >= UINT32_MAX)
		return -E2BIG;
	for (size_t i = 0; i < count; windows++) {
		uint64_t start = nodes[i].addr, end = node_end(&nodes[i]);

		while (i + 1 < count && nodes[i + 1].addr - end < HS_REACH_INDEX_GAP_BYTES)
			end = node_end(&nodes[++i]);
		granules += ((end - 1) >> HS_REACH_INDEX_GRANULE_SHIFT) -
			    (start >> HS_REACH_INDEX_GRANULE_SHIFT) + 1;
		i++;
	}
	idx->windows = calloc(windows + 1, sizeof(*idx->windows));
	idx->first = malloc((granules + 1) * sizeof(*idx->first));
	if (!idx->windows || !idx->first) {
		hs_reach_index_free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; w++) {
		struct hs_reach_window *win = &idx->windows[w];
		uint64_t gstart, glast;
		size_t k = i;

		win->start = nodes[i].addr;
		win->end = node_end(&nodes[i]);
		while (i + 1 < count && nodes[i + 1].addr - win->end < HS_REACH_INDEX_GAP_BYTES)
			win->end = node_end(&nodes[++i]);
		win->node_begin = (uint32_t)k;
		win->node_end = (uint32_t)++i;
		win->first_granule = g;
		glast = (win->end - 1) >> HS_REACH_INDEX_GRANULE_SHIFT;
		for (gstart = win->start >> HS_REACH_INDEX_GRANULE_SHIFT; gstart <= glast; gstart++) {
			while (node_end(&nodes[k]) <= gstart << HS_REACH_INDEX_GRANULE_SHIFT)
				k++; /* stops at the window's last node at the latest */
			idx->first[g++] = (uint32_t)k;
		}
	}
	idx->window_count = windows;
	idx->granule_count = granules;
	return 0;
}

void hs_reach_index_free(struct hs_reach_index *idx)
{
	free(idx->windows);
	free(idx->first);
	memset(idx, 0, sizeof(*idx));
}

/* The node containing addr, or -1: as hs_reach_find, through the index. */
long hs_reach_index_find(const struct hs_reach_index *idx, uint64_t addr)
{
	const struct hs_reach_window *win;
	size_t lo = 0, hi = idx->window_count, g, begin;
	uint64_t granule, last_granule;

	while (lo < hi) { /* the last window starting at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (idx->windows[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= idx->windows[lo - 1].end)
		return -1;
	win = &idx->windows[lo - 1];
	granule = (addr >> HS_REACH_INDEX_GRANULE_SHIFT) - (win->start >> HS_REACH_INDEX_GRANULE_SHIFT);
	last_granule = ((win->end - 1) >> HS_REACH_INDEX_GRANULE_SHIFT) -
		       (win->start >> HS_REACH_INDEX_GRANULE_SHIFT);
	g = win->first_granule + granule;
	/* A node holding addr ends past the granule's start (index >= first[g]) and starts
	 * before the next granule's (index <= first[g + 1]). */
	begin = lo = idx->first[g];
	hi = granule < last_granule ? idx->first[g + 1] + 1 : win->node_end;
	while (lo < hi) { /* the last node starting at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (idx->nodes[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > begin && addr < node_end(&idx->nodes[lo - 1]) ? (long)lo - 1 : -1;
}

static const struct hs_reach_span *span_at(const struct hs_reach_memory *mem, uint64_t addr)
{
	size_t lo = 0, hi = mem->copy_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < mem->copies[mid].start)
			hi = mid;
		else if (addr >= mem->copies[mid].end)
			lo = mid + 1;
		else
			return &mem->copies[mid];
	}
	return NULL;
}

struct marker {
	struct hs_reach_node *nodes;
	size_t count;
	uint64_t lo, hi; /* every node lies in [lo, hi) */
	struct hs_reach_index index;
	struct work work;
	const struct hs_reach_memory *mem;
	struct hs_reach_stats *stats;
};

/* The words of node i, from the copy; false when they were not copied. */
static bool node_bytes(struct marker *m, size_t i, const unsigned char **bytes, size_t *len)
{
	const struct hs_reach_node *n = &m->nodes[i];
	uint64_t start = (n->addr + 7) & ~7ull, end = n->addr + n->size;
	const struct hs_reach_span *span = span_at(m->mem, n->addr);

	if (!span || end > span->end)
		return false;
	*bytes = span->bytes + (start - span->start);
	*len = end > start ? end - start : 0;
	return true;
}

/* The first lines of a node just put on the work stack, fetched while the rest of the
 * current node is scanned: popped next, it would otherwise stall on each (a list walked
 * backwards defeats the hardware prefetcher).  The rest streams. */
#define PREFETCH_BYTES 512

static void prefetch_node(struct marker *m, size_t i)
{
	const unsigned char *bytes;
	size_t len;

	if (!node_bytes(m, i, &bytes, &len))
		return;
	for (size_t at = 0; at < len && at < PREFETCH_BYTES; at += 64)
		__builtin_prefetch(bytes + at);
}

/* Each word of [bytes, bytes + len) that points into a node in state from: to state to,
 * and onto the work stack.  head: the group being flooded, which its members' words leave
 * DIRECT (a cycle back to it). */
static int scan_words(struct marker *m, const unsigned char *bytes, size_t len, uint8_t from,
		      uint8_t to, long head)
{
	size_t words = len / 8;
	uint64_t lo = m->lo, span = m->hi - m->lo; /* one compare: value - lo wraps below lo */

	for (size_t i = 0; i < words; i++) {
		uint64_t value;
		long hit;

		memcpy(&value, bytes + 8 * i, 8);
		if (value - lo >= span)
			continue;
		hit = hs_reach_index_find(&m->index, value);
		if (hit < 0 || hit == head)
			continue;
		if (m->nodes[hit].state == HS_NODE_DIRECT && to == HS_NODE_INDIRECT) {
			/* An earlier group's head, reached from this group: not direct after
			 * all; its own group was flooded already. */
			m->nodes[hit].state = HS_NODE_INDIRECT;
			continue;
		}
		if (m->nodes[hit].state != from)
			continue;
		m->nodes[hit].state = to;
		if (push(&m->work, hit))
			return -ENOMEM;
		prefetch_node(m, hit);
	}
	return 0;
}

/* Pop and scan until the work stack is empty. */
static int flood(struct marker *m, uint8_t from, uint8_t to, long head)
{
	while (m->work.count) {
		size_t i = m->work.items[--m->work.count];
		const unsigned char *bytes;
		size_t len;
		int err;

		if (!node_bytes(m, i, &bytes, &len)) {
			m->stats->unscanned_nodes++;
			continue;
		}
		m->stats->node_bytes += len;
		err = scan_words(m, bytes, len, from, to, head);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Mark every node reachable from mem's roots; the rest DIRECT or INDIRECT.  Nodes must be
 * sorted and disjoint (hs_reach_sort_nodes), their states HS_NODE_UNSEEN.
 */
int hs_reach_mark(struct hs_reach_node *nodes, size_t count, const struct hs_reach_memory *mem,
		  struct hs_reach_stats *stats)
{
	struct marker m = { .nodes = nodes, .count = count, .mem = mem, .stats = stats };
	int err = 0;

	memset(stats, 0, sizeof(*stats));
	if (!count)
		return 0;
	m.lo = nodes[0].addr;
	m.hi = node_end(&nodes[count - 1]);
	err = hs_reach_index_build(&m.index, nodes, count);
	if (err)
		return err;
	/* Registers first, then every root stretch, flooding as we go. */
	err = scan_words(&m, (const unsigned char *)mem->root_words, mem->root_word_count * 8,
			 HS_NODE_UNSEEN, HS_NODE_REACHABLE, -1);
	if (!err)
		err = flood(&m, HS_NODE_UNSEEN, HS_NODE_REACHABLE, -1);
	for (size_t r = 0; !err && r < mem->root_count; r++) {
		const struct hs_reach_span *root = &mem->roots[r];
		uint64_t start = (root->start + 7) & ~7ull;

		if (root->end <= start)
			continue;
		stats->root_bytes += root->end - start;
		err = scan_words(&m, root->bytes + (start - root->start), root->end - start,
				 HS_NODE_UNSEEN, HS_NODE_REACHABLE, -1);
		if (!err)
			err = flood(&m, HS_NODE_UNSEEN, HS_NODE_REACHABLE, -1);
	}
	/*
	 * What is left is leaked.  In address order, each block not yet seen heads a group:
	 * DIRECT, and everything it reaches INDIRECT (an earlier head it reaches too).  A
	 * cycle reached from nothing outside keeps its first block as head.
	 */
	for (size_t i = 0; !err && i < count; i++) {
		if (nodes[i].state != HS_NODE_UNSEEN)
			continue;
		nodes[i].state = HS_NODE_DIRECT;
		err = push(&m.work, i);
		if (!err)
			err = flood(&m, HS_NODE_UNSEEN, HS_NODE_INDIRECT, (long)i);
	}
	free(m.work.items);
	hs_reach_index_free(&m.index);
	return err;
}
