// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * inspect.c - one process's allocator state, read from outside: which allocator its malloc
 * binds to, glibc's arenas (glibc_locate.c, glibc_heap.c), the census of its in-use heap by
 * size class and C++ type, and its memory as the kernel counts it.  No probes, no ptrace:
 * reads through process_vm_readv and /proc only.
 *
 * Owns: the struct hs_inspection it fills (the census's type names included).
 * Does not own: how the arenas are found and walked (glibc_*.c), how a type is named (the
 * caller's hs_type_name_fn), the wording of any output (render/).
 * Invariant: an allocator other than glibc is named, never read: jemalloc, tcmalloc and
 * mimalloc keep no state heapscope can read without their symbols, and a guess would be
 * worse than nothing.
 */
#include "inspect/inspect.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect/types.h"
#include "probe/probes.h"

static const char *const allocator_names[] = {
	[HS_ALLOCATOR_UNKNOWN] = "unknown", [HS_ALLOCATOR_GLIBC] = "glibc",
	[HS_ALLOCATOR_JEMALLOC] = "jemalloc", [HS_ALLOCATOR_TCMALLOC] = "tcmalloc",
	[HS_ALLOCATOR_MIMALLOC] = "mimalloc",
};

const char *hs_allocator_name(enum hs_allocator_kind kind)
{
	return allocator_names[kind];
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

uint64_t hs_glibc_free_bytes(const struct hs_glibc_arena_stats *stats)
{
	return stats->top_bytes + stats->fastbin_bytes + stats->bin_bytes;
}

/* The allocator by the file malloc binds to: the probe planner resolves names as the
 * dynamic linker does, so a preloaded jemalloc is seen as the process sees it. */
static int find_allocator(struct hs_objects *objects, pid_t pid, const struct hs_maps *maps,
			  struct hs_inspection *insp)
{
	struct hs_probe_plan plan = { 0 };
	int err = hs_probes_plan(objects, pid, maps, &plan);

	if (err)
		return err;
	for (size_t i = 0; i < plan.site_count; i++) {
		const struct hs_probe_site *site = &plan.sites[i];
		const char *path, *base;

		if (strcmp(site->function, "malloc") != 0)
			continue;
		path = plan.objects[site->object].path;
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		snprintf(insp->allocator_path, sizeof(insp->allocator_path), "%s", path);
		if (strstr(base, "jemalloc"))
			insp->allocator = HS_ALLOCATOR_JEMALLOC;
		else if (strstr(base, "tcmalloc"))
			insp->allocator = HS_ALLOCATOR_TCMALLOC;
		else if (strstr(base, "mimalloc"))
			insp->allocator = HS_ALLOCATOR_MIMALLOC;
		else if (strncmp(base, "libc.so", 7) == 0)
			insp->allocator = HS_ALLOCATOR_GLIBC;
		break;
	}
	hs_probes_free(&plan);
	return 0;
}

static uint32_t count_threads(pid_t pid)
{
	char path[64];
	struct dirent *entry;
	uint32_t threads = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((entry = readdir(dir)))
		threads += entry->d_name[0] != '.';
	closedir(dir);
	return threads;
}

/* The first class holding usable_bytes (<= 16 << i): a count of bits, not a loop of up to
 * 24 steps for each of a million blocks. */
static size_t size_class(uint64_t usable_bytes)
{
	size_t i;

	if (usable_bytes <= 16)
		return 0;
	/* usable_bytes - 1 >= 16: the shifted value is >= 1, its bit length is i. */
	i = 64 - (size_t)__builtin_clzll((usable_bytes - 1) >> 4);
	return i < HS_CENSUS_SIZE_CLASSES ? i : HS_CENSUS_SIZE_CLASSES - 1;
}

int hs_census_add(struct hs_census *census, uint64_t usable_bytes, const char *type)
{
	struct hs_census_class *cls = &census->sizes[size_class(usable_bytes)];
	size_t i;

	cls->blocks++;
	cls->bytes += usable_bytes;
	census->blocks++;
	census->bytes += usable_bytes;
	if (!type)
		return 0;
	census->typed_blocks++;
	census->typed_bytes += usable_bytes;
	/* Few distinct types and many blocks each: the last one found is the likeliest. */
	for (i = census->type_count; i > 0; i--)
		if (strcmp(census->types[i - 1].name, type) == 0)
			break;
	if (i == 0) {
		if (census->type_count == HS_CENSUS_MAX_TYPES) {
			census->types_not_kept++;
			return 0;
		}
		if (census->type_count == census->type_cap) {
			size_t cap = census->type_cap ? 2 * census->type_cap : 64;
			struct hs_census_type *grown = realloc(census->types, cap * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			census->types = grown;
			census->type_cap = cap;
		}
		census->types[census->type_count] = (struct hs_census_type){ .name = strdup(type) };
		if (!census->types[census->type_count].name)
			return -ENOMEM;
		i = ++census->type_count;
	}
	census->types[i - 1].blocks++;
	census->types[i - 1].bytes += usable_bytes;
	return 0;
}

static int by_bytes_descending(const void *a, const void *b)
{
	const struct hs_census_type *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

void hs_census_finish(struct hs_census *census)
{
	for (size_t i = 0; i < HS_CENSUS_SIZE_CLASSES; i++)
		census->sizes[i].max_bytes = i + 1 < HS_CENSUS_SIZE_CLASSES ? 16ull << i : UINT64_MAX;
	if (census->type_count)
		qsort(census->types, census->type_count, sizeof(*census->types),
		      by_bytes_descending);
}

void hs_census_free(struct hs_census *census)
{
	for (size_t i = 0; i < census->type_count; i++)
		free(census->types[i].name);
	free(census->types);
	memset(census, 0, sizeof(*census));
}

struct census_walk {
	struct hs_target_memory *tm;
	struct hs_census *census;
	hs_type_name_fn type_name;
	void *type_ctx;
};

/* The default namer: the vtables of every object the process maps (types.c). */
static const char *vtable_type(void *ctx, uint64_t first_word)
{
	struct hs_types *types = ctx;

	return hs_types_name(types, hs_types_lookup(types, first_word));
}

/* The first word comes with the block when the read kept it: the heap is not read again. */
static int census_block(void *ctx, const struct hs_glibc_block *block)
{
	struct census_walk *walk = ctx;
	const char *type = NULL;
	uint64_t first_word = block->first_word;

	if (walk->type_name && block->usable_bytes >= sizeof(first_word) &&
	    (block->first_word_known ||
	     hs_tm_read_u64(walk->tm, block->user_addr, &first_word) == 0))
		type = walk->type_name(walk->type_ctx, first_word);
	return hs_census_add(walk->census, block->usable_bytes, type);
}

static void read_glibc(struct hs_objects *objects, struct hs_target_memory *tm,
		       const struct hs_inspect_options *opts, struct hs_inspection *insp)
{
	struct hs_glibc_locate_options locate = { .objects = objects,
						  .no_debug_file = opts->no_debug_file };
	/* The census replays the chunks the read walked instead of walking them again. */
	struct hs_glibc_read_options read = { .keep_in_use = opts->census };
	double started = now_ms();
	int err = -EINVAL;

	/* The arena is checked while the target runs: a check that caught it mid-update is
	 * tried again, a few times, before the state is called unreadable. */
	for (int attempt = 0; err == -EINVAL && attempt < HS_GLIBC_ATTEMPTS; attempt++)
		if (attempt == 0 || hs_tm_refresh(tm) == 0) /* the brk may have moved */
			err = hs_glibc_locate(tm, &locate, &insp->loc, insp->reason,
					      sizeof(insp->reason));
	insp->locate_ms = now_ms() - started;
	if (err)
		return;
	started = now_ms();
	err = hs_glibc_heap_read_with(tm, &insp->loc, &read, &insp->heap);
	insp->read_ms = now_ms() - started;
	if (err) {
		snprintf(insp->reason, sizeof(insp->reason), "cannot read the arenas: %s",
			 strerror(-err));
		return;
	}
	insp->heap_read = true;
	snprintf(insp->reason, sizeof(insp->reason), "%s", insp->heap.reason);
	if (!opts->census)
		return;
	started = now_ms();
	struct census_walk walk = { .tm = tm, .census = &insp->census, .type_name = opts->type_name,
				    .type_ctx = opts->type_ctx };
	struct hs_types types;

	hs_types_init(&types);
	if (!walk.type_name && hs_types_load(&types, objects, insp->pid, &tm->maps) == 0) {
		walk.type_name = vtable_type; /* unnamed blocks stay unnamed on failure */
		walk.type_ctx = &types;
	}
	err = hs_glibc_heap_for_each_block(tm, &insp->heap, census_block, &walk);
	hs_types_free(&types);
	hs_census_finish(&insp->census);
	insp->census_done = !err;
	insp->census_ms = now_ms() - started;
}

int hs_inspect_process(struct hs_objects *objects, pid_t pid, const struct hs_inspect_options *opts,
		       struct hs_inspection *insp)
{
	struct hs_target_memory tm;
	int err;

	memset(insp, 0, sizeof(*insp));
	insp->pid = pid;
	err = hs_proc_comm(pid, insp->comm, sizeof(insp->comm));
	if (!err)
		err = hs_tm_open_pid(&tm, pid);
	if (err)
		return err;
	err = find_allocator(objects, pid, &tm.maps, insp);
	if (err == -ENOENT) /* nothing defines malloc: no heap of a known allocator */
		snprintf(insp->reason, sizeof(insp->reason), "no mapped object defines malloc");
	else if (err) {
		hs_tm_close(&tm);
		return err;
	}
	if (insp->allocator == HS_ALLOCATOR_GLIBC)
		read_glibc(objects, &tm, opts, insp);
	else if (!err)
		snprintf(insp->reason, sizeof(insp->reason),
			 "malloc is %s's (%.400s): its state is not read",
			 hs_allocator_name(insp->allocator), insp->allocator_path);
	insp->syscalls = tm.syscalls;
	insp->bytes_read = tm.bytes_read;
	hs_tm_close(&tm);
	hs_proc_memory(pid, &insp->mem);
	insp->threads = count_threads(pid);
	return 0;
}

void hs_inspection_free(struct hs_inspection *insp)
{
	if (insp->heap_read)
		hs_glibc_heap_free(&insp->heap);
	hs_census_free(&insp->census);
	insp->heap_read = false;
}
