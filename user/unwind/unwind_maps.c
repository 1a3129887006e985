// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unwind_maps.c - give the BPF stack walker its tables: one per executable
 * object mapped in a target, and per target its executable mappings with
 * their load bias (maps described in bpf/unwind.h).
 *
 * Owns: what each object's table became (its id in the object map, or why it
 * has none), the row map (an mmap'ed BPF array: rows are copied in, not
 * written one syscall each), the object map and each process's mapping list;
 * finding objects loaded after attach.  Objects are the session's cache's
 * (target/objects.c), so processes that map the same file share one table,
 * built once.
 * Does not own: how a table is built (unwind_table.c), the files and maps
 * snapshots (target/objects.c), the walk (BPF side).
 *
 * Invariants: an object's rows are in the row map before its entry in the
 * object map, and its entry before any process mapping that points at it, so
 * the walker never follows an id to rows that are not there.  Rows and
 * object entries never change once published; a process's mapping list is
 * replaced whole (one hash map update).
 *
 * Lifecycle: add processes (tables are built in memory), size the row map
 * from hs_unwind_rows_wanted() before the BPF object is loaded, install once
 * it is, then refresh a process when the walker reports pcs in no known
 * mapping (an object dlopen'ed since): until then those frames are walked
 * with frame pointers.  A process that leaves is removed: its mapping list
 * goes, its objects' tables stay (rows are never moved, and other processes
 * may map the same files).
 */
#include "unwind/unwind_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/array.h"

static const char *const mode_names[HS_UNWIND_MODE_COUNT] = {
	[HS_UNWIND_AUTO] = "auto",
	[HS_UNWIND_DWARF] = "dwarf",
	[HS_UNWIND_FP] = "fp",
};

const char *hs_unwind_mode_name(enum hs_unwind_mode mode)
{
	return mode < HS_UNWIND_MODE_COUNT ? mode_names[mode] : "?";
}

int hs_unwind_mode_parse(const char *text, enum hs_unwind_mode *mode)
{
	for (int i = 0; i < HS_UNWIND_MODE_COUNT; i++) {
		if (strcmp(text, mode_names[i]) == 0) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

void hs_unwind_init(struct hs_unwind *u, bool strict, struct hs_objects *cache)
{
	memset(u, 0, sizeof(*u));
	u->strict = strict;
	u->cache = cache;
	u->objects_fd = -1;
	u->processes_fd = -1;
}

static struct hs_unwind_object_info *find_object(struct hs_unwind *u, const struct hs_object *file)
{
	for (size_t i = 0; i < u->object_count; i++)
		if (u->objects[i]->object == file)
			return u->objects[i];
	return NULL;
}

/* The object's table is a part the cache keeps (its rows until published). */
static int build_table_part(Elf *elf, void *table)
{
	return hs_unwind_table_build(elf, table);
}

static void free_table_part(void *table)
{
	hs_unwind_table_free(table);
}

static const struct hs_object_part_ops table_part = {
	.size = sizeof(struct hs_unwind_table),
	.build = build_table_part,
	.free = free_table_part,
};

/* The object's load segments and table, from the cache; errors stay in obj->error. */
static void build_table(struct hs_unwind *u, struct hs_unwind_object_info *obj)
{
	void *table;

	obj->error = hs_object_read(u->cache, obj->object, &obj->segments);
	if (!obj->error)
		obj->error = hs_object_part(u->cache, obj->object, HS_PART_UNWIND_TABLE,
					    &table_part, &table);
	if (obj->error)
		return;
	obj->table = table;
	obj->row_count = obj->table->row_count;
	obj->fde_count = obj->table->fde_count;
	obj->unsupported_rows = obj->table->unsupported_rows;
}

/* The object behind a file mapping, its table built on first sight. */
static struct hs_unwind_object_info *load_object(struct hs_unwind *u, pid_t pid,
						 const struct hs_mapping *map)
{
	struct hs_unwind_object_info *obj;
	struct hs_object *file;

	if (hs_objects_get(u->cache, pid, map, &file))
		return NULL;
	obj = find_object(u, file);
	if (obj)
		return obj;
	if (hs_array_reserve((void **)&u->objects, &u->object_capacity, u->object_count,
			     sizeof(*u->objects), 16))
		return NULL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	obj->object = file;
	obj->path = file->path;
	obj->id = HS_UNWIND_NO_TABLE;
	build_table(u, obj);
	u->objects[u->object_count++] = obj;
	return obj;
}

/* runtime - ELF vaddr for a mapping of the object: from the PT_LOAD whose file
 * range the mapping covers (its offset is page-aligned, the segment's may not be). */
static int mapping_bias(const struct hs_elf_object *segments, const struct hs_mapping *map,
			uint64_t *bias)
{
	uint64_t map_end_offset = map->file_offset + (map->end - map->start);

	for (size_t i = 0; i < segments->segment_count; i++) {
		const struct hs_load_segment *seg = &segments->segments[i];

		if (seg->file_offset < map_end_offset &&
		    map->file_offset < seg->file_offset + seg->filesz) {
			*bias = map->start - map->file_offset + seg->file_offset - seg->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

static struct hs_unwind_target *find_target(struct hs_unwind *u, pid_t pid)
{
	for (size_t i = 0; i < u->target_count; i++)
		if (u->targets[i].pid == pid)
			return &u->targets[i];
	return NULL;
}

static struct hs_unwind_target *new_target(struct hs_unwind *u, pid_t pid)
{
	struct hs_unwind_target *target;

	if (hs_array_reserve((void **)&u->targets, &u->target_capacity, u->target_count,
			     sizeof(*u->targets), 4))
		return NULL;
	target = &u->targets[u->target_count];
	memset(target, 0, sizeof(*target));
	target->pid = pid;
	target->entry = calloc(1, sizeof(*target->entry));
	if (!target->entry)
		return NULL;
	u->target_count++;
	return target;
}

/* Would a strict session refuse this object?  Only an object that has CFI (or
 * might) and could not be given a table. */
static bool table_failed(const struct hs_unwind_object_info *obj)
{
	return obj->error && obj->error != -ENOENT;
}

/* Record the target's executable mappings (maps is sorted by start). */
static int set_mappings(struct hs_unwind *u, struct hs_unwind_target *target,
			const struct hs_maps *maps)
{
	struct hs_unwind_process *entry = target->entry;

	entry->count = 0;
	target->mappings_dropped = 0;
	target->published = false;
	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *map = &maps->items[i];
		struct hs_unwind_object_info *obj = NULL;
		uint64_t bias = 0;

		if (!map->executable)
			continue;
		if (entry->count == HS_UNWIND_MAX_MAPPINGS) {
			target->mappings_dropped++;
			continue;
		}
		if (hs_mapping_is_file(map)) {
			obj = load_object(u, target->pid, map);
			if (!obj)
				return -ENOMEM;
			if (u->strict && table_failed(obj)) {
				u->failed_path = obj->path;
				return obj->error;
			}
			if (obj->error || mapping_bias(obj->segments, map, &bias))
				obj = NULL;
		}
		target->objects[entry->count] = obj;
		entry->mappings[entry->count++] = (struct hs_unwind_mapping){
			.start = map->start,
			.end = map->end,
			.bias = bias,
			.object = HS_UNWIND_NO_TABLE,
		};
	}
	return 0;
}

/* Copy unpublished tables into the row map and announce them in the object map. */
static int publish_objects(struct hs_unwind *u)
{
	for (size_t i = 0; i < u->object_count; i++) {
		struct hs_unwind_object_info *obj = u->objects[i];
		struct hs_unwind_object entry = { .first_row = u->rows_used };
		uint32_t id = u->next_id;

		if (obj->published || obj->error)
			continue;
		obj->published = true;
		if (u->rows_used + obj->table->row_count > u->row_capacity ||
		    id >= HS_UNWIND_MAX_OBJECTS) {
			obj->error = -ENOSPC;
			u->objects_without_room++;
		} else {
			memcpy(u->rows + u->rows_used, obj->table->rows,
			       hs_unwind_table_bytes(obj->table));
			entry.row_count = obj->table->row_count;
			if (bpf_map_update_elem(u->objects_fd, &id, &entry, BPF_ANY))
				obj->error = -errno;
		}
		hs_unwind_table_free(obj->table); /* the rows live in the row map now */
		if (obj->error) {
			if (u->strict) {
				u->failed_path = obj->path;
				return obj->error;
			}
			continue;
		}
		obj->id = id;
		u->next_id++;
		u->rows_used += entry.row_count;
	}
	return 0;
}

static int publish_target(struct hs_unwind *u, struct hs_unwind_target *target)
{
	uint32_t pid = target->pid;

	/* Rows the BPF side cached for this PID's old list no longer apply (unwind.bpf.h). */
	target->entry->generation = ++u->generation;
	if (!target->entry->generation)
		target->entry->generation = ++u->generation;
	for (uint32_t i = 0; i < target->entry->count; i++) {
		const struct hs_unwind_object_info *obj = target->objects[i];
		bool usable = obj && !obj->error;

		target->entry->mappings[i].object = usable ? obj->id : HS_UNWIND_NO_TABLE;
	}
	return bpf_map_update_elem(u->processes_fd, &pid, target->entry, BPF_ANY) ? -errno : 0;
}

static bool installed(const struct hs_unwind *u)
{
	return u->rows != NULL;
}

/*
 * New tables, then the mapping lists set since the last publishing.  The others stay as
 * the kernel has them, generation and all: their objects' ids were settled when they were
 * published, and a new generation would throw away their cached rows for nothing (with
 * --follow, at every new child).
 */
static int publish(struct hs_unwind *u)
{
	int err = publish_objects(u);

	for (size_t i = 0; !err && i < u->target_count; i++) {
		if (u->targets[i].published)
			continue;
		err = publish_target(u, &u->targets[i]);
		u->targets[i].published = !err;
	}
	return err;
}

/*
 * Build tables for every executable object PID maps (those not seen before)
 * and record its mappings.  Before hs_unwind_install the tables wait in
 * memory; after, they go to the kernel at once.
 */
int hs_unwind_add_process(struct hs_unwind *u, pid_t pid, const struct hs_maps *maps)
{
	struct hs_unwind_target *target = find_target(u, pid);
	int err;

	if (!target && !(target = new_target(u, pid)))
		return -ENOMEM;
	err = set_mappings(u, target, maps);
	if (!err && installed(u))
		err = publish(u);
	return err;
}

/* PID has left: its mapping list goes, from the kernel too once installed. */
int hs_unwind_remove_process(struct hs_unwind *u, pid_t pid)
{
	struct hs_unwind_target *target = find_target(u, pid);
	uint32_t key = pid;
	int err = 0;

	if (!target)
		return 0;
	if (installed(u) && bpf_map_delete_elem(u->processes_fd, &key) && errno != ENOENT)
		err = -errno;
	free(target->entry);
	*target = u->targets[--u->target_count]; /* order does not matter */
	return err;
}

/* Row map entries to create: every table built so far, and room for more. */
size_t hs_unwind_rows_wanted(const struct hs_unwind *u)
{
	size_t rows = HS_UNWIND_SPARE_ROWS;

	for (size_t i = 0; i < u->object_count; i++)
		if (!u->objects[i]->published && !u->objects[i]->error)
			rows += u->objects[i]->table->row_count;
	return rows;
}

/* The BPF object is loaded: map the row map and publish everything built so far. */
int hs_unwind_install(struct hs_unwind *u, struct bpf_object *obj)
{
	struct bpf_map *rows = bpf_object__find_map_by_name(obj, "unwind_rows");
	struct bpf_map *objects = bpf_object__find_map_by_name(obj, "unwind_objects");
	struct bpf_map *processes = bpf_object__find_map_by_name(obj, "unwind_processes");
	long page = sysconf(_SC_PAGESIZE);
	void *mapped;

	if (!rows || !objects || !processes || page <= 0)
		return -ENOENT;
	u->row_capacity = bpf_map__max_entries(rows);
	u->rows_mapped_bytes = (u->row_capacity * sizeof(*u->rows) + page - 1) / page * page;
	mapped = mmap(NULL, u->rows_mapped_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      bpf_map__fd(rows), 0);
	if (mapped == MAP_FAILED)
		return -errno;
	u->rows = mapped;
	u->objects_fd = bpf_map__fd(objects);
	u->processes_fd = bpf_map__fd(processes);
	return publish(u);
}

/* PID's mappings changed (an object loaded since): tables for the new ones. */
int hs_unwind_refresh(struct hs_unwind *u, pid_t pid)
{
	const struct hs_maps *maps;
	int err = hs_objects_refresh_maps(u->cache, pid, &maps);

	return err ? err : hs_unwind_add_process(u, pid, maps);
}

/* Objects with a table in the kernel, and their rows. */
size_t hs_unwind_tables(const struct hs_unwind *u, size_t *rows)
{
	size_t tables = 0;

	*rows = 0;
	for (size_t i = 0; i < u->object_count; i++) {
		if (u->objects[i]->id != HS_UNWIND_NO_TABLE) {
			tables++;
			*rows += u->objects[i]->row_count;
		}
	}
	return tables;
}

/* What the unwind maps hold in the kernel: the row map as created, the object
 * array, one mapping list per process, and each CPU's row cache. */
size_t hs_unwind_kernel_bytes(const struct hs_unwind *u)
{
	int cpus = libbpf_num_possible_cpus();

	if (!installed(u))
		return 0;
	return u->rows_mapped_bytes + HS_UNWIND_MAX_OBJECTS * sizeof(struct hs_unwind_object) +
	       u->target_count * sizeof(struct hs_unwind_process) +
	       (size_t)(cpus > 0 ? cpus : 1) * HS_UNWIND_ROW_CACHE_SLOTS *
		       sizeof(struct hs_row_cache_entry);
}

void hs_unwind_free(struct hs_unwind *u)
{
	for (size_t i = 0; i < u->object_count; i++)
		free(u->objects[i]); /* the tables are the cache's */
	for (size_t i = 0; i < u->target_count; i++)
		free(u->targets[i].entry);
	if (u->rows)
		munmap(u->rows, u->rows_mapped_bytes);
	free(u->objects);
	free(u->targets);
	hs_unwind_init(u, u->strict, u->cache);
}
