// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_perf_map.c - the perf map parser (user/symbol/perf_map.c) on arbitrary
 * text: a target writes its own /tmp/perf-PID.map.  The input is parsed in two
 * reads cut at a point taken from its first byte (the file grows while it is
 * read), against a fixed address space; every entry kept must lie in its JIT
 * mapping, be sorted, unique per start and have a bounded name, and lookups
 * around each entry must stay inside it.
 */
#include <string.h>

#include "fuzz.h"
#include "symbol/perf_map.h"

static struct hs_mapping items[] = {
	{ .start = 0x10000, .end = 0x20000, .executable = true },
	{ .start = 0x30000, .end = 0x40000, .executable = true, .inode = 7, .path = "/lib/x.so" },
	{ .start = 0x7f0000000000, .end = 0x7f0000100000, .executable = true,
	  .path = "[anon:jit]" },
};
static const struct hs_maps maps = { items, sizeof(items) / sizeof(items[0]) };

static void check(const struct hs_perf_map *map)
{
	for (size_t i = 0; i < map->count; i++) {
		const struct hs_perf_symbol *s = &map->symbols[i];
		const struct hs_mapping *in = hs_maps_find(&maps, s->start);
		const char *name = map->names + s->name_offset;

		FUZZ_ASSERT(in && hs_mapping_is_jit(in));
		FUZZ_ASSERT(s->size && s->start + s->size <= in->end);
		FUZZ_ASSERT(!i || map->symbols[i - 1].start < s->start);
		FUZZ_ASSERT(s->name_offset < map->names_len);
		FUZZ_ASSERT(strlen(name) <= HS_PERF_MAP_MAX_NAME && !strchr(name, '\n'));
		FUZZ_ASSERT(hs_perf_map_lookup(map, s->start) != NULL);
		FUZZ_ASSERT(hs_perf_map_lookup(map, s->start - 1) == NULL ||
			    (i && s->start - 1 - map->symbols[i - 1].start <
					  map->symbols[i - 1].size));
	}
	FUZZ_ASSERT(map->count <= HS_PERF_MAP_MAX_ENTRIES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_perf_map map = { 0 };
	size_t cut = size ? data[0] * size / 256 : 0, used;

	if (hs_perf_map_parse(&map, (const char *)data, cut, &maps) == 0) {
		used = map.read_bytes;
		FUZZ_ASSERT(used <= cut);
		if (hs_perf_map_parse(&map, (const char *)data + used, size - used, &maps) == 0)
			check(&map);
	}
	hs_perf_map_free(&map);
	return 0;
}
