// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_maps.c - the /proc/PID/maps parser (user/target/maps.c) on arbitrary text:
 * paths in the maps are chosen by whoever names the files a target maps.
 * Parses the input, then looks up addresses at and around every mapping and
 * a few taken from the input itself.
 */
#include <string.h>

#include "fuzz.h"
#include "target/maps.h"

static void check_find(const struct hs_maps *maps, uint64_t addr)
{
	const struct hs_mapping *map = hs_maps_find(maps, addr);

	if (map) {
		FUZZ_ASSERT(map >= maps->items && map < maps->items + maps->count);
		FUZZ_ASSERT(map->start <= addr && addr < map->end);
	}
}

/* The kernel lists mappings sorted and disjoint; then every one must be found. */
static bool sorted_and_disjoint(const struct hs_maps *maps)
{
	for (size_t i = 1; i < maps->count; i++)
		if (maps->items[i - 1].end > maps->items[i].start)
			return false;
	return true;
}

static void use(const struct hs_maps *maps, const uint8_t *data, size_t size)
{
	bool sorted = sorted_and_disjoint(maps);

	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *map = &maps->items[i];

		FUZZ_ASSERT(map->start < map->end);
		FUZZ_ASSERT(memchr(map->path, '\0', sizeof(map->path)) != NULL);
		FUZZ_ASSERT(!strchr(map->path, '\n'));
		hs_mapping_is_file(map);
		check_find(maps, map->start - 1);
		check_find(maps, map->start);
		check_find(maps, map->end - 1);
		check_find(maps, map->end);
		if (sorted) {
			FUZZ_ASSERT(hs_maps_find(maps, map->start) == map);
			FUZZ_ASSERT(hs_maps_find(maps, map->end - 1) == map);
		}
	}
	for (size_t at = 0; at + sizeof(uint64_t) <= size && at < 16 * sizeof(uint64_t);
	     at += sizeof(uint64_t)) {
		uint64_t addr;

		memcpy(&addr, data + at, sizeof(addr));
		check_find(maps, addr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct hs_maps maps;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (hs_maps_parse(text, &maps) == 0) {
		use(&maps, data, size);
		hs_maps_free(&maps);
	}
	free(text);
	return 0;
}
