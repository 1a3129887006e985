// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * maps.c - a target's memory mappings: /proc/PID/maps parsed into a sorted
 * array, and lookups by address.
 *
 * Owns: the parser (its input is untrusted: paths are chosen by whoever names
 * the files a target maps) and one snapshot's array.  Does not own: when a
 * snapshot is taken or refreshed (objects.c keeps one per target for the
 * session), nor the files behind the mappings (objects.c, proc.c).
 *
 * Invariant: a snapshot holds the kernel's lines in the kernel's order
 * (sorted by address, disjoint), malformed lines skipped.
 */
#include "target/maps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"

static const char *next_line(const char *line)
{
	const char *newline = strchr(line, '\n');

	return newline ? newline + 1 : "";
}

/*
 * "start-end perms offset major:minor inode   path", up to the end of the line.
 * Parsed from a bounded copy of the line: scanf's white space would otherwise
 * run on into the next line when this one has no path (anonymous memory).
 */
static int parse_line(const char *line, struct hs_mapping *map)
{
	char text[HS_PATH_MAX + 128], perms[8] = "";
	size_t len = strcspn(line, "\n");
	int path_at = 0;
	unsigned long long start, end, offset, inode;
	unsigned int major, minor;

	memset(map, 0, sizeof(*map));
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, line, len);
	text[len] = '\0';
	if (sscanf(text, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &offset, &major,
		   &minor, &inode, &path_at) < 7 || start >= end)
		return -EINVAL;
	map->start = start;
	map->end = end;
	map->file_offset = offset;
	map->dev_major = major;
	map->dev_minor = minor;
	map->inode = inode;
	map->executable = perms[2] == 'x';
	if (path_at > 0)
		snprintf(map->path, sizeof(map->path), "%s", text + path_at);
	return 0;
}

int hs_maps_parse(const char *text, struct hs_maps *maps)
{
	size_t cap = 64;

	maps->count = 0;
	maps->items = calloc(cap, sizeof(*maps->items));
	if (!maps->items)
		return -ENOMEM;
	for (const char *line = text; *line; line = next_line(line)) {
		if (maps->count == cap) {
			struct hs_mapping *bigger = realloc(maps->items, 2 * cap * sizeof(*bigger));

			if (!bigger) {
				hs_maps_free(maps);
				return -ENOMEM;
			}
			maps->items = bigger;
			cap *= 2;
		}
		if (parse_line(line, &maps->items[maps->count]) == 0)
			maps->count++;
	}
	return 0;
}

int hs_maps_read(pid_t pid, struct hs_maps *maps)
{
	char path[64];
	char *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = hs_read_file(path, &text, NULL);
	if (err)
		return err;
	err = hs_maps_parse(text, maps);
	free(text);
	return err;
}

void hs_maps_free(struct hs_maps *maps)
{
	free(maps->items);
	maps->items = NULL;
	maps->count = 0;
}

/* Mappings come sorted by address from the kernel: binary search. */
const struct hs_mapping *hs_maps_find(const struct hs_maps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hs_mapping *map = &maps->items[mid];

		if (addr < map->start)
			hi = mid;
		else if (addr >= map->end)
			lo = mid + 1;
		else
			return map;
	}
	return NULL;
}

bool hs_mapping_is_file(const struct hs_mapping *map)
{
	return map->inode != 0 && map->path[0] == '/';
}

/* Size of the [heap] line of maps text (the brk area glibc's main arena grows). */
uint64_t hs_maps_heap_bytes(const char *maps_text)
{
	for (const char *line = maps_text; *line; line = next_line(line)) {
		struct hs_mapping map;

		if (parse_line(line, &map) == 0 && strcmp(map.path, "[heap]") == 0)
			return map.end - map.start;
	}
	return 0;
}
