// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * profile.c - the symbolized profile every renderer reads: raw stacks turned
 * into frame names (root first), stacks with the same names merged, and the
 * four values per stack (in-use bytes/count, allocated bytes/count), and the
 * mapped file each frame points into (path, range, build-id: pprof's mappings).
 *
 * With several processes (scope), each stack gets a root frame "COMM [PID]"
 * (no address, no mapping), or, with --merge, none and samples merged across
 * processes by names alone.
 *
 * This is the one place where addresses become names, so folded, SVG, pprof
 * and the report agree on the same session by construction.  Frames are the
 * callers of the allocator: the probed allocator function itself is never a
 * frame.
 *
 * In-use values come from the stacks' own totals, or from a per-stack view of
 * the live table (--min-age keeps only older blocks): then stacks without
 * such blocks are left out.  sample_of_stack maps every raw stack to the
 * sample it was merged into, so per-stack figures (growth, ages) can follow.
 * With scope->keep_stack_samples the samples before merging stay too
 * (stack_samples): pprof writes those, one location per call site.
 */
#include "analysis/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "lib/hash.h"
#include "lib/id_index.h"

static const struct {
	const char *name, *unit;
} weights[HS_WEIGHT_COUNT] = {
	[HS_WEIGHT_INUSE_BYTES] = { "inuse-bytes", "bytes" },
	[HS_WEIGHT_INUSE_COUNT] = { "inuse-count", "blocks" },
	[HS_WEIGHT_ALLOC_BYTES] = { "alloc-bytes", "bytes" },
	[HS_WEIGHT_ALLOC_COUNT] = { "alloc-count", "allocations" },
	[HS_WEIGHT_LEAKED_BYTES] = { "leaked-bytes", "bytes" },
	[HS_WEIGHT_LEAKED_COUNT] = { "leaked-count", "blocks" },
};

const char *hs_weight_name(enum hs_weight weight)
{
	return weight < HS_WEIGHT_COUNT ? weights[weight].name : "?";
}

/* What one unit of the weight is: "bytes", "blocks" or "allocations". */
const char *hs_weight_unit(enum hs_weight weight)
{
	return weight < HS_WEIGHT_COUNT ? weights[weight].unit : "?";
}

int hs_weight_parse(const char *text, enum hs_weight *weight)
{
	for (int i = 0; i < HS_WEIGHT_COUNT; i++) {
		if (strcmp(text, weights[i].name) == 0) {
			*weight = i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool name_matches(const void *owner, uint32_t id, const void *key)
{
	const struct hs_profile *profile = owner;

	return strcmp(profile->names[id], key) == 0;
}

static uint64_t name_hash(const void *owner, uint32_t id)
{
	const struct hs_profile *profile = owner;

	return hs_hash_string(profile->names[id]);
}

int hs_profile_intern_name(struct hs_profile *profile, const char *name, uint32_t *id)
{
	uint64_t hash = hs_hash_string(name);
	char *copy;

	if (hs_id_index_find(&profile->name_index, hash, name_matches, profile, name, id))
		return 0;
	if (hs_array_reserve((void **)&profile->names, &profile->name_capacity, profile->name_count,
			     sizeof(*profile->names), 256))
		return -ENOMEM;
	copy = strdup(name);
	if (!copy || hs_id_index_insert(&profile->name_index, hash, profile->name_count, name_hash,
					profile)) {
		free(copy);
		return -ENOMEM;
	}
	profile->names[profile->name_count] = copy;
	*id = profile->name_count++;
	return 0;
}

static bool same_mapping(const struct hs_profile_mapping *m, const struct hs_mapping *source,
			 uint32_t pid)
{
	return m->source == source && m->pid == pid;
}

static int add_mapping(struct hs_profile *profile, const struct hs_frame_info *info, uint32_t pid)
{
	struct hs_profile_mapping *m;

	if (hs_array_reserve((void **)&profile->mappings, &profile->mapping_capacity,
			     profile->mapping_count, sizeof(*profile->mappings), 16))
		return -ENOMEM;
	m = &profile->mappings[profile->mapping_count];
	memset(m, 0, sizeof(*m));
	if (!info->object && !info->mapping->path[0]) {
		/* Anonymous memory (JIT code): a name in brackets, which pprof knows has no file
		 * to look for ("Some binary filenames not available" otherwise). */
		if (asprintf(&m->path, "[anon:%llx-%llx]", (unsigned long long)info->mapping->start,
			     (unsigned long long)info->mapping->end) < 0)
			m->path = NULL;
	} else {
		m->path = strdup(info->object ? info->object->path : info->mapping->path);
	}
	if (!m->path)
		return -ENOMEM;
	m->pid = pid;
	m->source = info->mapping;
	m->start = info->mapping->start;
	m->limit = info->mapping->end;
	m->file_offset = info->mapping->file_offset;
	if (info->object && !info->object->load_error) {
		hs_elf_build_id_hex(&info->object->elf, m->build_id, sizeof(m->build_id));
		m->has_functions = info->object->elf.symbol_count > 0;
	}
	profile->mapping_count++;
	return 0;
}

/*
 * The mapping a frame points into, as id + 1 (0: none).  Frames of one stack
 * mostly share a few mappings, so the previous frame's (*id on entry) is tried
 * first.
 */
static int intern_mapping(struct hs_profile *profile, const struct hs_frame_info *info,
			  uint32_t pid, uint32_t *id)
{
	size_t i;

	if (!info->mapping) {
		*id = 0;
		return 0;
	}
	if (*id && same_mapping(&profile->mappings[*id - 1], info->mapping, pid))
		return 0;
	for (i = 0; i < profile->mapping_count; i++)
		if (same_mapping(&profile->mappings[i], info->mapping, pid))
			break;
	if (i == profile->mapping_count) {
		int err = add_mapping(profile, info, pid);

		if (err)
			return err;
	}
	*id = i + 1;
	return 0;
}

/* The root frame of PID's stacks ("COMM [PID]"), or NULL: one process, or --merge. */
static const char *process_root(const struct hs_profile_scope *scope, uint32_t pid)
{
	if (!scope || scope->merge || scope->count < 2)
		return NULL;
	for (size_t i = 0; i < scope->count; i++)
		if (scope->processes[i].pid == pid)
			return scope->processes[i].label;
	return NULL;
}

/* Name a raw stack's frames, root first; root (no address, no mapping) goes above them. */
static int name_frames(struct hs_profile *profile, struct hs_symbolizer *sym,
		       const struct hs_stack_table *stacks, const struct hs_stack *stack,
		       const char *root, struct hs_profile_sample *sample)
{
	const uint64_t *frames = hs_stack_frames(stacks, stack);
	uint32_t above = root && stack->frame_count ? 1 : 0;
	uint32_t slots = stack->frame_count + above ? stack->frame_count + above : 1;
	char name[1024];

	sample->names = calloc(slots, sizeof(uint32_t));
	sample->addrs = calloc(slots, sizeof(uint64_t));
	sample->mappings = calloc(slots, sizeof(uint32_t));
	if (!sample->names || !sample->addrs || !sample->mappings)
		return -ENOMEM;
	sample->frame_count = stack->frame_count + above;
	if (above && hs_profile_intern_name(profile, root, &sample->names[0]))
		return -ENOMEM;
	for (uint32_t i = 0; i < stack->frame_count; i++) {
		uint64_t addr = frames[stack->frame_count - 1 - i];
		uint32_t slot = i + above;
		struct hs_frame_info info;
		int err;

		hs_symbolizer_resolve(sym, stack->pid, addr, true, &info);
		hs_frame_format(&info, addr, name, sizeof(name));
		err = hs_profile_intern_name(profile, name, &sample->names[slot]);
		if (!err) {
			sample->mappings[slot] = i ? sample->mappings[slot - 1] : 0;
			err = intern_mapping(profile, &info, stack->pid, &sample->mappings[slot]);
		}
		if (err)
			return err;
		sample->addrs[slot] = addr;
	}
	if (stack->frame_count == 0) { /* HS_STACK_LOST */
		sample->frame_count = 1;
		return hs_profile_intern_name(profile, "[stack not kept]", &sample->names[0]);
	}
	return 0;
}

static int compare_names(const struct hs_profile_sample *x, const struct hs_profile_sample *y)
{
	if (x->frame_count != y->frame_count)
		return x->frame_count < y->frame_count ? -1 : 1;
	return memcmp(x->names, y->names, x->frame_count * sizeof(*x->names));
}

static int compare_samples(const void *a, const void *b)
{
	const struct hs_profile_sample *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return compare_names(x, y);
}

/* --merge: the same names in different processes are one sample. */
static int compare_samples_by_names(const void *a, const void *b)
{
	return compare_names(a, b);
}

/* Merge samples with the same pid (unless across_processes) and frame names (sorted neighbours). */
static void merge_samples(struct hs_profile *profile, bool across_processes)
{
	int (*compare)(const void *, const void *) =
		across_processes ? compare_samples_by_names : compare_samples;
	size_t kept = 0;

	qsort(profile->samples, profile->sample_count, sizeof(*profile->samples), compare);
	for (size_t i = 0; i < profile->sample_count; i++) {
		struct hs_profile_sample *sample = &profile->samples[i];

		if (kept && compare(&profile->samples[kept - 1], sample) == 0) {
			struct hs_profile_sample *into = &profile->samples[kept - 1];

			for (int w = 0; w < HS_WEIGHT_COUNT; w++)
				into->values[w] += sample->values[w];
			into->truncated |= sample->truncated;
			profile->sample_of_stack[sample->stack_id] = kept - 1;
			if (!profile->stack_samples) { /* else its arrays stay there */
				free(sample->names);
				free(sample->addrs);
				free(sample->mappings);
			}
			continue;
		}
		profile->sample_of_stack[sample->stack_id] = kept;
		profile->samples[kept++] = *sample;
	}
	profile->sample_count = kept;
}

/*
 * live: per-stack in-use values to use instead of the stacks' totals, or NULL.
 * scope: the session's processes (root frames, --merge, stack_samples), or NULL for one process.
 */
int hs_profile_build(struct hs_profile *profile, const struct hs_stack_table *stacks,
		     const struct hs_stack_live *live, struct hs_symbolizer *sym,
		     const struct hs_profile_scope *scope)
{
	memset(profile, 0, sizeof(*profile));
	profile->samples = calloc(stacks->count ? stacks->count : 1, sizeof(*profile->samples));
	profile->sample_of_stack = malloc((stacks->count ? stacks->count : 1) * sizeof(uint32_t));
	if (!profile->samples || !profile->sample_of_stack)
		return -ENOMEM;
	profile->stack_count = stacks->count;
	for (size_t id = 0; id < stacks->count; id++) {
		const struct hs_stack *stack = &stacks->stacks[id];
		struct hs_profile_sample *sample = &profile->samples[profile->sample_count];
		struct hs_stack_live in_use = { stack->live_bytes, stack->live_count };
		int err;

		profile->sample_of_stack[id] = HS_NO_SAMPLE;
		if (live)
			in_use = live[id];
		if (live ? in_use.count == 0 : stack->alloc_count == 0 && stack->live_count == 0)
			continue;
		sample->pid = stack->pid;
		sample->truncated = stack->truncated;
		sample->stack_id = id;
		sample->values[HS_WEIGHT_INUSE_BYTES] = in_use.bytes;
		sample->values[HS_WEIGHT_INUSE_COUNT] = in_use.count;
		sample->values[HS_WEIGHT_ALLOC_BYTES] = stack->alloc_bytes;
		sample->values[HS_WEIGHT_ALLOC_COUNT] = stack->alloc_count;
		for (int w = 0; w < HS_WEIGHT_COUNT; w++)
			profile->totals[w] += sample->values[w];
		profile->sample_count++;
		err = name_frames(profile, sym, stacks, stack, process_root(scope, stack->pid),
				  sample);
		if (err)
			return err;
	}
	if (scope && scope->keep_stack_samples) {
		size_t kept = profile->sample_count ? profile->sample_count : 1;

		profile->stack_samples = malloc(kept * sizeof(*profile->stack_samples));
		if (!profile->stack_samples)
			return -ENOMEM;
		memcpy(profile->stack_samples, profile->samples,
		       profile->sample_count * sizeof(*profile->samples));
		profile->stack_sample_count = profile->sample_count;
	}
	merge_samples(profile, scope && scope->merge);
	return 0;
}

void hs_profile_free(struct hs_profile *profile)
{
	struct hs_profile_sample *owners = profile->stack_samples ? profile->stack_samples
								  : profile->samples;
	size_t owner_count = profile->stack_samples ? profile->stack_sample_count
						    : profile->sample_count;

	for (size_t i = 0; i < owner_count; i++) {
		free(owners[i].names);
		free(owners[i].addrs);
		free(owners[i].mappings);
	}
	free(profile->stack_samples);
	for (size_t i = 0; i < profile->name_count; i++)
		free(profile->names[i]);
	for (size_t i = 0; i < profile->mapping_count; i++)
		free(profile->mappings[i].path);
	free(profile->mappings);
	free(profile->samples);
	free(profile->names);
	hs_id_index_free(&profile->name_index);
	free(profile->sample_of_stack);
	memset(profile, 0, sizeof(*profile));
}
