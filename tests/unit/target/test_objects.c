// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_objects.c - the session's object cache (user/target/objects.c) on this
 * very process: one object per (device, inode) however many mappings and asks,
 * each file opened and parsed once, a part built once, maps snapshots read
 * only by a refresh, and a file that cannot be opened tried again; the files
 * refused, each noted once, bounded, their paths escaped.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "target/objects.h"

static struct hs_objects cache;
static const struct hs_maps *maps;
static int part_builds;

static int build_counted(Elf *elf, void *data)
{
	(void)elf;
	part_builds++;
	*(int *)data = 42;
	return 0;
}

static void free_nothing(void *data)
{
	(void)data;
}

static const struct hs_object_part_ops counted_part = {
	.size = sizeof(int),
	.build = build_counted,
	.free = free_nothing,
};

/* This executable's mapping holding addr. */
static const struct hs_mapping *mapping_of(const void *addr)
{
	return hs_maps_find(maps, (uint64_t)(uintptr_t)addr);
}

static void test_snapshots(void)
{
	const struct hs_maps *again;

	CHECK(hs_objects_maps(&cache, getpid()) == NULL); /* nothing read yet */
	CHECK_EQ(hs_objects_refresh_maps(&cache, getpid(), &maps), 0);
	CHECK_EQ(cache.stats.maps_reads, 1);
	CHECK(hs_objects_maps(&cache, getpid()) == maps);
	CHECK_EQ(hs_objects_refresh_maps(&cache, 0x3fffffff, &again), -ENOENT);
	CHECK(hs_objects_maps(&cache, 0x3fffffff) == NULL);
	CHECK_EQ(cache.stats.maps_reads, 2);
	CHECK_EQ(cache.stats.processes, 1);
}

/* Every file mapping of one file is one object, opened and parsed once. */
static void test_one_object_per_file(void)
{
	const struct hs_mapping *code = mapping_of(test_one_object_per_file);
	const struct hs_elf_object *elf;
	struct hs_object *first = NULL, *obj;
	size_t mappings = 0;

	CHECK(code != NULL);
	if (!code)
		return;
	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *map = &maps->items[i];

		if (map->inode != code->inode || map->dev_major != code->dev_major ||
		    map->dev_minor != code->dev_minor)
			continue;
		mappings++;
		CHECK_EQ(hs_objects_get(&cache, getpid(), map, &obj), 0);
		CHECK(!first || obj == first);
		first = obj;
		CHECK_EQ(hs_object_read(&cache, obj, &elf), 0);
	}
	CHECK(mappings >= 2); /* code and data, at least */
	CHECK_EQ(cache.object_count, 1);
	CHECK_EQ(cache.stats.opened, 1);
	CHECK_EQ(cache.stats.parsed, 1);
	CHECK(strcmp(first->basename, "test_objects") == 0);
	CHECK(elf->segment_count > 0 && elf->symbol_count > 0);
	CHECK(hs_elf_symbol_named(elf, "main", HS_SYMBOLS_ALL) != NULL);
	CHECK_EQ(hs_object_dwarf_fd(first), first->fd); /* built with -g */
}

static void test_part_built_once(void)
{
	struct hs_object *obj;
	void *data;

	CHECK_EQ(hs_objects_get(&cache, getpid(), mapping_of(test_part_built_once), &obj), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(hs_object_part(&cache, obj, HS_PART_CODE, &counted_part, &data), 0);
		CHECK(data && *(int *)data == 42);
	}
	CHECK_EQ(part_builds, 1);
	CHECK_EQ(cache.stats.parts[HS_PART_CODE], 1);
	CHECK_EQ(cache.stats.parts[HS_PART_UNWIND_TABLE], 0);
}

/* A file that cannot be opened: an object with its reason, opened on a later ask. */
static void test_open_fails(void)
{
	struct hs_mapping gone = *mapping_of(test_open_fails);
	const struct hs_elf_object *elf;
	struct hs_object *obj;
	void *data;

	gone.inode ^= 0x5a5a5a; /* another file, which no process of that PID maps */
	CHECK_EQ(hs_objects_get(&cache, 0x3fffffff, &gone, &obj), 0);
	CHECK(obj->load_error < 0 && obj->fd < 0);
	CHECK(hs_object_read(&cache, obj, &elf) < 0);
	CHECK(hs_object_part(&cache, obj, HS_PART_CODE, &counted_part, &data) < 0 && !data);
	CHECK(hs_object_dwarf_fd(obj) < 0);
	CHECK_EQ(cache.stats.opened, 1);
	/* Asked again through a process that maps it: opened now. */
	CHECK_EQ(hs_objects_get(&cache, getpid(), &gone, &obj), 0);
	CHECK(obj->fd >= 0 && obj->load_error == 0);
	CHECK_EQ(cache.stats.opened, 2);
	CHECK_EQ(cache.object_count, 2);
}

static void test_describe(void)
{
	char line[256];

	hs_objects_describe(&cache, line, sizeof(line));
	CHECK(strcmp(line, "2 opened, 1 parsed (symbols 1, debug files 0, unwind tables 0, code "
			   "for ret sites 1); /proc/PID/maps read 2 times for 1 processes") == 0);
}

/* Refusals, not absent files, are noted: each once, the first few kept, paths escaped. */
static void test_refused(void)
{
	struct hs_objects objs;
	char line[4096], path[32];

	hs_objects_init(&objs);
	hs_objects_describe_refused(&objs, line, sizeof(line));
	CHECK(strcmp(line, "") == 0);
	hs_objects_refuse(&objs, 7, "/usr/lib/debug/x.debug", -ENOENT);
	CHECK_EQ(objs.refused_count, 0);
	hs_objects_refuse(&objs, 7, "/usr/lib/debug/x.debug", -EINVAL);
	hs_objects_refuse(&objs, 7, "/usr/lib/debug/x.debug", -EINVAL);
	hs_objects_refuse(&objs, 7, "/tmp/\033[2Jbig", -EFBIG);
	CHECK_EQ(objs.refused_count, 2);
	hs_objects_describe_refused(&objs, line, sizeof(line));
	CHECK(strcmp(line, "/usr/lib/debug/x.debug of PID 7: not a regular file; /tmp/\\x1b[2Jbig "
			   "of PID 7: larger than heapscope reads (4 GiB for an ELF file)") == 0);
	for (int i = 0; i < 2 * HS_REFUSED_KEPT; i++) {
		snprintf(path, sizeof(path), "/fifo%d", i);
		hs_objects_refuse(&objs, 8, path, -EINVAL);
	}
	CHECK_EQ(objs.refused_count, 2 + 2 * HS_REFUSED_KEPT);
	hs_objects_describe_refused(&objs, line, sizeof(line));
	CHECK(strstr(line, "; and 10 more") != NULL);
	hs_objects_free(&objs);
}

int main(void)
{
	hs_objects_init(&cache);
	TEST(test_snapshots);
	TEST(test_one_object_per_file);
	TEST(test_part_built_once);
	TEST(test_open_fails);
	TEST(test_describe);
	TEST(test_refused);
	hs_objects_free(&cache);
	return check_summary();
}
