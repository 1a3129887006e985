// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leak_check.c - --leak-check: which of a process's blocks nothing points to.
 *
 * Owns: the steps of one check (before the freeze: find glibc's state and the vtables, which
 * read files and take time; the freeze; after it, on the copy only: walk glibc's arenas,
 * build the node set, the roots, mark, and sum the results by stack and by type).
 * Does not own: stopping the target (freeze.c), the mark (mark.c), the walk (inspect/),
 * rendering (render/leaks.c).
 * Invariants:
 * - Nodes: the session's live blocks of the target (with stacks) and, when glibc's arenas
 *   were walked, every in-use chunk the session does not know (allocated before attach: no
 *   stack).  A session block the complete walk shows free lost its free event: dropped
 *   (it would be a false leak).
 * - Roots: every stopped thread's registers; its stack from SP (minus the red zone) up;
 *   every other writable mapping, except the walked arenas' memory (free chunks are not
 *   roots, in-use ones are nodes) and the nodes themselves.  Memory of another allocator
 *   around its blocks is a root: fewer leaks found there, none invented.
 * - Nothing is read from the target after the freeze; the copy is untrusted (the walk is
 *   bounded, the mark only compares words).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/array.h"
#include "reach/leak_check.h"
#include "reach/leak_nodes.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* This thread's CPU time: on a shared machine the analysis' own cost, without the time it
 * waited for a CPU (the wall time says that). */
static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

const char *hs_leak_roots_name(enum hs_leak_roots roots)
{
	switch (roots) {
	case HS_LEAK_ROOTS_GLIBC:
		return "glibc";
	case HS_LEAK_ROOTS_UNTRACKED:
		return "untracked-as-roots";
	default:
		return "none";
	}
}

/*
 * Before the freeze (the target runs): where glibc keeps its state, and the vtables of every
 * mapped object; then the freeze itself.  On failure res says why; the target runs on.
 */
int hs_leak_freeze(const struct hs_leak_config *config, struct hs_leak_snapshot *snap,
		   struct hs_leak_result *res)
{
	struct hs_freeze_config fc = {
		.max_pause_ms = config->max_pause_ms > 0 ? config->max_pause_ms
							  : HS_FREEZE_DEFAULT_MAX_PAUSE_MS,
		.on_stopped = config->on_stopped,
		.ctx = config->ctx,
	};
	struct hs_glibc_locate_options opt = { .objects = config->objects,
					       .no_debug_file = config->no_debug_file };
	struct hs_target_memory tm;
	int err;

	memset(snap, 0, sizeof(*snap));
	memset(res, 0, sizeof(*res));
	res->pid = config->pid;
	hs_types_init(&snap->types);
	err = hs_tm_open_pid(&tm, config->pid);
	if (err) {
		snprintf(res->reason, sizeof(res->reason), "cannot read the memory map of PID %d: %s",
			 config->pid, strerror(-err));
		res->error = err;
		return err;
	}
	snap->have_glibc = !hs_glibc_locate(&tm, &opt, &snap->loc, snap->glibc_why,
					    sizeof(snap->glibc_why));
	/* Types are a bonus: a failure leaves blocks unnamed. */
	hs_types_load(&snap->types, config->objects, config->pid, &tm.maps);
	hs_tm_close(&tm);
	err = hs_freeze_run(config->pid, &fc, &snap->freeze);
	res->pause_ms = snap->freeze.pause_ms;
	res->copy_ms = snap->freeze.copy_ms;
	res->estimate_ms = snap->freeze.estimate_ms;
	res->copied_bytes = snap->freeze.copied_bytes;
	res->threads = snap->freeze.thread_count;
	if (err) {
		snprintf(res->reason, sizeof(res->reason), "%s", snap->freeze.reason);
		res->error = err;
	}
	return err;
}

/* --- the node set --------------------------------------------------------------------- */

static int add_node(struct nodes *n, const struct hs_reach_node *node)
{
	if (hs_array_reserve((void **)&n->items, &n->cap, n->count, sizeof(*n->items), 4096))
		return -ENOMEM;
	n->items[n->count++] = *node;
	return 0;
}

static int add_chunk(void *ctx, uint64_t user_addr, uint64_t usable_bytes, int arena)
{
	struct hs_reach_node node = {
		.addr = user_addr, .size = usable_bytes, .stack_id = HS_NO_STACK, .untracked = true,
	};

	(void)arena;
	return add_node(ctx, &node);
}

/* The copy as an image the glibc reader can walk: every region, and the maps it needs. */
static int build_image(const struct hs_freeze *f, struct hs_target_memory *tm)
{
	int err = 0;

	hs_tm_init_image(tm);
	tm->maps.items = calloc(f->region_count + 1, sizeof(*tm->maps.items));
	if (!tm->maps.items)
		return -ENOMEM;
	for (size_t i = 0; !err && i < f->region_count; i++) {
		const struct hs_freeze_region *r = &f->regions[i];
		struct hs_mapping *m = &tm->maps.items[tm->maps.count++];

		m->start = r->start;
		m->end = r->end;
		snprintf(m->path, sizeof(m->path), "%s", r->name);
		m->inode = r->file; /* only "is a file" is asked of it */
		err = hs_tm_add_image(tm, r->start, r->bytes, r->end - r->start);
	}
	return err;
}

/*
 * Walk glibc's arenas in the copy: every in-use chunk into chunks, the memory of each arena
 * walked to its end into arenas (not roots).  A region whose walk stopped on damage stays a
 * root past that point: its chunks are unknown.
 */
static int walk_glibc(struct hs_leak_snapshot *snap, struct hs_target_memory *tm,
		      struct nodes *chunks, struct ranges *arenas, struct hs_leak_result *res)
{
	struct hs_glibc_heap heap = { 0 };
	const struct hs_glibc_layout *l = snap->loc.layout;
	int err = hs_glibc_heap_read(tm, &snap->loc, &heap);

	if (!err)
		err = hs_glibc_heap_for_each_in_use(tm, &snap->loc, &heap, add_chunk, chunks);
	for (size_t i = 0; !err && i < heap.region_count; i++) {
		const struct hs_glibc_region *reg = &heap.regions[i];
		uint64_t start = reg->first, end = reg->end, top = 0;

		if (!reg->walked)
			continue;
		if (reg->ends_at_top && !hs_tm_read_u64(tm, reg->end + 8, &top) &&
		    (top & ~7ull) < (1ull << 40))
			end += top & ~7ull;
		/* A thread heap starts with heap_info (and its arena's malloc_state). */
		if (reg->arena && l->heap_max_bytes)
			start = reg->first & ~(l->heap_max_bytes - 1);
		err = leak_add_range(arenas, start, end);
	}
	for (size_t i = 0; !err && i + 1 < heap.mmapped_count; i += 2)
		err = leak_add_range(arenas, heap.mmapped[i], heap.mmapped[i] + heap.mmapped[i + 1]);
	if (heap.partial || heap.damaged)
		snprintf(res->reason, sizeof(res->reason), "the heap walk was cut short (%s): "
			 "memory past the damage counts as roots", heap.reason);
	hs_glibc_heap_free(&heap);
	return err;
}

/*
 * Merge the chunks no session block claimed into the sorted session nodes (both sorted), in
 * place from the back: the session's array grows once and no third array is made (fresh
 * memory costs a page fault per 4 KiB, the larger part of building a million nodes).
 * Without session nodes the chunks are the nodes: moved, not copied.
 */
static int merge_untracked(struct nodes *out, struct nodes *chunks, struct hs_leak_result *res)
{
	size_t session = out->count, total = session, i, k, n;
	uint64_t overlapping;

	for (k = 0; k < chunks->count; k++) {
		if (chunks->items[k].state != HS_NODE_UNSEEN)
			continue; /* claimed by a session block */
		total++;
		res->untracked_nodes++;
		res->untracked_bytes += chunks->items[k].size;
	}
	if (!session) {
		free(out->items);
		*out = *chunks;
		*chunks = (struct nodes){ 0 };
	} else if (total > session) {
		if (total > out->cap) {
			struct hs_reach_node *bigger = realloc(out->items, total * sizeof(*bigger));

			if (!bigger)
				return -ENOMEM;
			out->items = bigger;
			out->cap = total;
		}
		/* From the back: the larger address first; at equal addresses the session's
		 * block ends first (by_addr's order), though a claimed chunk never gets here. */
		for (i = session, k = chunks->count, n = total; n > 0;) {
			if (k && chunks->items[k - 1].state != HS_NODE_UNSEEN) {
				k--;
				continue;
			}
			if (k && (!i || chunks->items[k - 1].addr > out->items[i - 1].addr))
				out->items[--n] = chunks->items[--k];
			else
				out->items[--n] = out->items[--i];
		}
		out->count = total;
		/* Sorted: this only drops chunks overlapping session blocks. */
		hs_reach_sort_nodes(out->items, &out->count, &overlapping);
		res->overlapping_blocks += overlapping;
	}
	return 0;
}

/*
 * The node set: session blocks (live, may be NULL) and walked chunks, merged by address.
 * A session block inside a walked arena that the walk does not show in use is stale.
 * *claimed: walked chunks that are session blocks.  chunks is consumed.
 */
static int build_nodes(const struct hs_live_table *live, pid_t pid, struct nodes *chunks,
		       const struct ranges *arenas, struct nodes *out, uint64_t *claimed,
		       struct hs_leak_result *res)
{
	size_t k = 0;
	uint64_t overlapping;
	int err = 0;

	*claimed = 0;
	if (live)
		hs_live_foreach(live, b) {
			struct hs_reach_node node = { .addr = b->addr, .size = b->size,
						      .stack_id = b->stack_id };

			if ((pid_t)b->pid != pid)
				continue;
			err = add_node(out, &node);
			if (err)
				return err;
		}
	err = hs_reach_sort_nodes(out->items, &out->count, &overlapping);
	if (!err)
		err = hs_reach_sort_nodes(chunks->items, &chunks->count, &overlapping);
	if (err)
		return err;
	res->overlapping_blocks = overlapping;
	/* Session blocks: keep those the walk shows in use, or that lie outside the arenas. */
	size_t session = out->count, kept = 0;

	for (size_t i = 0; i < session; i++) {
		struct hs_reach_node *n = &out->items[i];

		while (k < chunks->count && chunks->items[k].addr < n->addr)
			k++;
		if (k < chunks->count && chunks->items[k].addr == n->addr) {
			chunks->items[k].state = HS_NODE_REACHABLE; /* claimed: not a node */
			(*claimed)++;
		} else if (leak_inside(arenas, n->addr, n->addr + n->size)) {
			res->stale_blocks++;
			continue;
		}
		out->items[kept++] = *n;
	}
	out->count = kept;
	return merge_untracked(out, chunks, res);
}

static void describe_roots(const struct hs_leak_snapshot *snap, const struct hs_live_table *live,
			   uint64_t session_in_walk, uint64_t session_blocks,
			   struct hs_leak_result *res)
{
	if (snap->have_glibc && !live) { /* heapscope inspect: no session */
		res->roots = HS_LEAK_ROOTS_GLIBC;
		snprintf(res->roots_detail, sizeof(res->roots_detail),
			 "glibc %s arenas walked: their free chunks are not roots, their %llu in-use "
			 "chunks are the nodes (no session: no stacks)", snap->loc.version,
			 (unsigned long long)res->untracked_nodes);
		return;
	}
	if (snap->have_glibc && (!session_blocks || session_in_walk)) {
		res->roots = HS_LEAK_ROOTS_GLIBC;
		snprintf(res->roots_detail, sizeof(res->roots_detail),
			 "glibc %s arenas walked: their free chunks are not roots, %llu chunks "
			 "allocated before attach are nodes without stacks",
			 snap->loc.version, (unsigned long long)res->untracked_nodes);
		return;
	}
	res->roots = HS_LEAK_ROOTS_UNTRACKED;
	snprintf(res->roots_detail, sizeof(res->roots_detail),
		 "the blocks are not glibc's (%s): memory around them heapscope cannot explain "
		 "(the allocator's free and older blocks) counts as roots, so fewer leaks are "
		 "found and none invented", snap->have_glibc ? "not in its arenas" : snap->glibc_why);
}

/*
 * After the freeze, on the copy only: nodes from live (the session's table, NULL for none)
 * and the glibc walk, roots, mark, sums into res.
 */
int hs_leak_analyse(struct hs_leak_snapshot *snap, const struct hs_live_table *live,
		    struct hs_leak_result *res)
{
	const struct hs_freeze *f = &snap->freeze;
	struct hs_target_memory tm;
	struct nodes chunks = { 0 }, nodes = { 0 };
	struct ranges arenas = { 0 }, excluded = { 0 };
	struct spans roots = { 0 }, copies = { 0 };
	struct hs_reach_memory mem = { 0 };
	struct hs_reach_stats stats;
	uint64_t *words = NULL, session_blocks = 0, session_in_walk = 0;
	double started = now_ms(), step = started, started_cpu = thread_cpu_ms();
	int err = build_image(f, &tm);

	if (!err && snap->have_glibc)
		err = walk_glibc(snap, &tm, &chunks, &arenas, res);
	res->walk_ms = now_ms() - step;
	step = now_ms();
	if (!err && arenas.count) /* for build_nodes' lookups */
		qsort(arenas.items, arenas.count, sizeof(*arenas.items), leak_by_start);
	if (!err)
		err = build_nodes(live, f->pid, &chunks, &arenas, &nodes, &session_in_walk, res);
	res->nodes_ms = now_ms() - step;
	step = now_ms();
	for (size_t i = 0; i < nodes.count; i++)
		session_blocks += !nodes.items[i].untracked;
	/* Roots: every region minus the arenas and the nodes. */
	if (!err)
		err = leak_exclusions(&arenas, &nodes, &excluded);
	if (!err)
		err = leak_subtract(f, &excluded, &roots);
	if (!err)
		err = leak_thread_roots(f, &roots);
	if (!err)
		err = leak_register_words(f, &words, &mem.root_word_count);
	res->roots_ms = now_ms() - step;
	step = now_ms();
	for (size_t i = 0; !err && i < f->region_count; i++)
		err = leak_add_span(&copies, f->regions[i].start, f->regions[i].end,
				    f->regions[i].bytes);
	if (!err) {
		mem.copies = copies.items;
		mem.copy_count = copies.count;
		mem.roots = roots.items;
		mem.root_count = roots.count;
		mem.root_words = words;
		err = hs_reach_mark(nodes.items, nodes.count, &mem, &stats);
	}
	res->mark_ms = now_ms() - step;
	if (!err) {
		res->root_bytes = stats.root_bytes;
		res->scanned_bytes = stats.root_bytes + stats.node_bytes;
		res->unscanned_blocks = stats.unscanned_nodes;
		leak_sum_totals(&nodes, res);
		describe_roots(snap, live, session_in_walk, session_blocks, res);
		err = leak_sum_stacks(&nodes, res);
	}
	if (!err)
		err = leak_sum_types(snap, &nodes, &mem, res);
	if (!err)
		err = leak_sum_sizes(&nodes, res);
	res->analysis_ms = now_ms() - started;
	res->analysis_cpu_ms = thread_cpu_ms() - started_cpu;
	if (err) {
		snprintf(res->reason, sizeof(res->reason), "the analysis failed: %s", strerror(-err));
		res->error = err;
	}
	res->done = !err;
	hs_tm_close(&tm);
	free(chunks.items);
	free(nodes.items);
	free(arenas.items);
	free(excluded.items);
	free(roots.items);
	free(copies.items);
	free(words);
	return err;
}

/*
 * heapscope inspect --leak-check: no session, so the nodes are the glibc walk's in-use
 * chunks (no stacks); sizes and types still known.  config->objects: the caller's cache
 * (inspect opened libc and the vtables' files already); what the freeze reads of files, it
 * reads before it stops.  snap is the caller's to free.
 */
int hs_leak_check_inspect(const struct hs_leak_config *config, struct hs_leak_result *res,
			  struct hs_leak_snapshot *snap)
{
	int err = hs_leak_freeze(config, snap, res);

	if (err)
		return err;
	if (!snap->have_glibc) {
		snprintf(res->reason, sizeof(res->reason),
			 "without a session only glibc's heap can be walked: %s", snap->glibc_why);
		res->error = -ENOTSUP;
		return -ENOTSUP;
	}
	return hs_leak_analyse(snap, NULL, res);
}

void hs_leak_snapshot_free(struct hs_leak_snapshot *snap)
{
	hs_freeze_free(&snap->freeze);
	hs_types_free(&snap->types);
}

void hs_leak_result_free(struct hs_leak_result *res)
{
	for (size_t i = 0; i < res->type_count; i++)
		free(res->types[i].name);
	free(res->types);
	free(res->sizes);
	free(res->stacks);
	free(res->stack_leaked_bytes);
	free(res->stack_leaked_blocks);
	res->types = NULL;
	res->sizes = NULL;
	res->stacks = NULL;
	res->stack_leaked_bytes = res->stack_leaked_blocks = NULL;
	res->type_count = res->stack_count = res->stack_id_count = 0;
	res->size_count = res->sizes_not_kept = 0;
}
