// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leak_results.c - what a leak check found, summed for the outputs: unreachable bytes and
 * blocks (direct, indirect) in all, by allocating stack, by C++ type and by size; and the leaked
 * weights of the profile's samples (-w leaked-bytes, leaked-count).
 *
 * Owns: the sums in struct hs_leak_result.  Does not own: the mark (mark.c), the node set
 * and roots (leak_check.c), the wording (render/leaks.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reach/leak_nodes.h"

/* --- results -------------------------------------------------------------------------- */

static int by_leaked_bytes(const void *a, const void *b)
{
	const struct hs_leak_stack *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

static int by_type(const void *a, const void *b)
{
	const struct hs_leak_type *x = a, *y = b;

	if (x->unreachable_bytes != y->unreachable_bytes)
		return x->unreachable_bytes > y->unreachable_bytes ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct hs_leak_type *)a)->name, ((const struct hs_leak_type *)b)->name);
}

/* Sum by stack: a dense array over stack ids, then the leaking ones sorted. */
int leak_sum_stacks(const struct nodes *nodes, struct hs_leak_result *res)
{
	uint32_t max_id = 0;
	struct hs_leak_stack *all, untracked = { .stack_id = HS_NO_STACK };

	for (size_t i = 0; i < nodes->count; i++)
		if (!nodes->items[i].untracked && nodes->items[i].stack_id + 1 > max_id)
			max_id = nodes->items[i].stack_id + 1;
	all = calloc(max_id + 1, sizeof(*all));
	res->stack_leaked_bytes = calloc(max_id + 1, sizeof(uint64_t));
	res->stack_leaked_blocks = calloc(max_id + 1, sizeof(uint64_t));
	res->stacks = calloc(max_id + 2, sizeof(*res->stacks));
	if (!all || !res->stack_leaked_bytes || !res->stack_leaked_blocks || !res->stacks) {
		free(all);
		return -ENOMEM;
	}
	res->stack_id_count = max_id;
	for (size_t i = 0; i < nodes->count; i++) {
		const struct hs_reach_node *n = &nodes->items[i];
		struct hs_leak_stack *s = n->untracked ? &untracked : &all[n->stack_id];
		bool leaked = n->state == HS_NODE_DIRECT || n->state == HS_NODE_INDIRECT;

		s->stack_id = n->untracked ? HS_NO_STACK : n->stack_id;
		s->live_blocks++;
		s->live_bytes += n->size;
		if (!leaked)
			continue;
		s->blocks++;
		s->bytes += n->size;
		if (n->state == HS_NODE_DIRECT) {
			s->direct_blocks++;
			s->direct_bytes += n->size;
		}
	}
	for (uint32_t id = 0; id < max_id; id++) {
		res->stack_leaked_bytes[id] = all[id].bytes;
		res->stack_leaked_blocks[id] = all[id].blocks;
		if (all[id].blocks)
			res->stacks[res->stack_count++] = all[id];
	}
	if (untracked.blocks)
		res->stacks[res->stack_count++] = untracked;
	qsort(res->stacks, res->stack_count, sizeof(*res->stacks), by_leaked_bytes);
	free(all);
	return 0;
}

/* Sum by C++ class: the first word of each block, through the vtable table. */
int leak_sum_types(struct hs_leak_snapshot *snap, const struct nodes *nodes,
		     const struct hs_reach_memory *mem, struct hs_leak_result *res)
{
	size_t names = snap->types.name_count, kept = 0;
	struct hs_leak_type *by_id = calloc(names + 1, sizeof(*by_id));

	if (!by_id)
		return -ENOMEM;
	for (size_t i = 0, c = 0; names && i < nodes->count; i++) {
		const struct hs_reach_node *n = &nodes->items[i];
		uint64_t word;
		int id;

		if (n->size < 8 || (n->addr & 7))
			continue;
		while (c < mem->copy_count && mem->copies[c].end <= n->addr)
			c++;
		if (c == mem->copy_count || n->addr < mem->copies[c].start ||
		    n->addr + 8 > mem->copies[c].end)
			continue;
		memcpy(&word, mem->copies[c].bytes + (n->addr - mem->copies[c].start), 8);
		id = hs_types_lookup(&snap->types, word);
		if (id < 0)
			continue;
		by_id[id].blocks++;
		by_id[id].bytes += n->size;
		if (n->state == HS_NODE_DIRECT || n->state == HS_NODE_INDIRECT) {
			by_id[id].unreachable_blocks++;
			by_id[id].unreachable_bytes += n->size;
		}
	}
	for (size_t id = 0; id < names; id++)
		if (by_id[id].blocks) {
			by_id[kept] = by_id[id];
			by_id[kept++].name = snap->types.names[id];
		}
	/* One class may have a vtable in two objects: one entry per name. */
	qsort(by_id, kept, sizeof(*by_id), by_name);
	res->types = calloc(kept + 1, sizeof(*res->types));
	if (!res->types) {
		free(by_id);
		return -ENOMEM;
	}
	for (size_t i = 0; i < kept; i++) {
		struct hs_leak_type *last = res->type_count ? &res->types[res->type_count - 1] : NULL;

		if (last && strcmp(last->name, by_id[i].name) == 0) {
			last->blocks += by_id[i].blocks;
			last->bytes += by_id[i].bytes;
			last->unreachable_blocks += by_id[i].unreachable_blocks;
			last->unreachable_bytes += by_id[i].unreachable_bytes;
			continue;
		}
		res->types[res->type_count] = by_id[i];
		res->types[res->type_count].name = strdup(by_id[i].name);
		if (!res->types[res->type_count++].name) {
			free(by_id);
			return -ENOMEM;
		}
	}
	qsort(res->types, res->type_count, sizeof(*res->types), by_type);
	free(by_id);
	return 0;
}

static int by_size(const void *a, const void *b)
{
	const struct hs_leak_size *x = a, *y = b;

	return x->size_bytes != y->size_bytes ? (x->size_bytes < y->size_bytes ? -1 : 1) : 0;
}

static int by_unreachable_bytes(const void *a, const void *b)
{
	const struct hs_leak_size *x = a, *y = b;

	if (x->unreachable_bytes != y->unreachable_bytes)
		return x->unreachable_bytes > y->unreachable_bytes ? -1 : 1;
	return by_size(a, b);
}

/*
 * Sum the unreachable blocks by size: one entry per unreachable node, sorted and merged;
 * the HS_LEAK_MAX_SIZES with the most unreachable bytes kept, then every node counted into
 * its kept size (a binary search each: the kept sizes are few, the nodes may be millions).
 */
int leak_sum_sizes(const struct nodes *nodes, struct hs_leak_result *res)
{
	struct hs_leak_size *sizes = calloc(res->unreachable_blocks + 1, sizeof(*sizes));
	size_t count = 0, distinct = 0;

	if (!sizes)
		return -ENOMEM;
	for (size_t i = 0; i < nodes->count && count < res->unreachable_blocks; i++) {
		const struct hs_reach_node *n = &nodes->items[i];

		if (n->state == HS_NODE_REACHABLE) /* as leak_sum_totals counts them */
			continue;
		sizes[count++] = (struct hs_leak_size){
			.size_bytes = n->size, .unreachable_blocks = 1, .unreachable_bytes = n->size,
			.direct_blocks = n->state == HS_NODE_DIRECT,
		};
	}
	qsort(sizes, count, sizeof(*sizes), by_size);
	for (size_t i = 0; i < count; i++) {
		struct hs_leak_size *last = distinct ? &sizes[distinct - 1] : NULL;

		if (last && last->size_bytes == sizes[i].size_bytes) {
			last->unreachable_blocks++;
			last->unreachable_bytes += sizes[i].unreachable_bytes;
			last->direct_blocks += sizes[i].direct_blocks;
		} else {
			sizes[distinct++] = sizes[i];
		}
	}
	qsort(sizes, distinct, sizeof(*sizes), by_unreachable_bytes);
	res->size_count = distinct < HS_LEAK_MAX_SIZES ? distinct : HS_LEAK_MAX_SIZES;
	res->sizes_not_kept = distinct - res->size_count;
	qsort(sizes, res->size_count, sizeof(*sizes), by_size);
	for (size_t i = 0; i < nodes->count; i++) {
		struct hs_leak_size key = { .size_bytes = nodes->items[i].size };
		struct hs_leak_size *s = bsearch(&key, sizes, res->size_count, sizeof(*sizes), by_size);

		if (s) {
			s->blocks++;
			s->bytes += key.size_bytes;
		}
	}
	qsort(sizes, res->size_count, sizeof(*sizes), by_unreachable_bytes);
	res->sizes = sizes;
	return 0;
}

void leak_sum_totals(const struct nodes *nodes, struct hs_leak_result *res)
{
	for (size_t i = 0; i < nodes->count; i++) {
		const struct hs_reach_node *n = &nodes->items[i];

		res->nodes++;
		res->node_bytes += n->size;
		if (n->state == HS_NODE_REACHABLE)
			continue;
		res->unreachable_blocks++;
		res->unreachable_bytes += n->size;
		if (n->state == HS_NODE_DIRECT) {
			res->direct_blocks++;
			res->direct_bytes += n->size;
		} else {
			res->indirect_blocks++;
			res->indirect_bytes += n->size;
		}
		if (n->untracked) {
			res->untracked_unreachable_blocks++;
			res->untracked_unreachable_bytes += n->size;
		}
	}
}

/* -w leaked-bytes / leaked-count: each sample's leaked values from its raw stacks. */
static void fill_samples(struct hs_profile_sample *samples, size_t count,
			 const struct hs_leak_result *res, bool merged, const uint32_t *sample_of_stack)
{
	for (size_t i = 0; !merged && i < count; i++) {
		uint32_t id = samples[i].stack_id;

		samples[i].values[HS_WEIGHT_LEAKED_BYTES] =
			id < res->stack_id_count ? res->stack_leaked_bytes[id] : 0;
		samples[i].values[HS_WEIGHT_LEAKED_COUNT] =
			id < res->stack_id_count ? res->stack_leaked_blocks[id] : 0;
	}
	for (size_t id = 0; merged && id < res->stack_id_count; id++) {
		uint32_t s = sample_of_stack[id];

		if (s == HS_NO_SAMPLE || s >= count)
			continue; /* left out (--min-age) */
		samples[s].values[HS_WEIGHT_LEAKED_BYTES] += res->stack_leaked_bytes[id];
		samples[s].values[HS_WEIGHT_LEAKED_COUNT] += res->stack_leaked_blocks[id];
	}
}

int hs_leak_fill_profile(struct hs_profile *profile, const struct hs_leak_result *res)
{
	if (!res->done)
		return 0;
	if (res->stack_id_count > profile->stack_count)
		return -EINVAL; /* not this profile's stacks */
	fill_samples(profile->samples, profile->sample_count, res, true, profile->sample_of_stack);
	fill_samples(profile->stack_samples, profile->stack_sample_count, res, false, NULL);
	profile->totals[HS_WEIGHT_LEAKED_BYTES] = profile->totals[HS_WEIGHT_LEAKED_COUNT] = 0;
	for (size_t i = 0; i < profile->sample_count; i++) {
		profile->totals[HS_WEIGHT_LEAKED_BYTES] +=
			profile->samples[i].values[HS_WEIGHT_LEAKED_BYTES];
		profile->totals[HS_WEIGHT_LEAKED_COUNT] +=
			profile->samples[i].values[HS_WEIGHT_LEAKED_COUNT];
	}
	return 0;
}
