// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * writable_maps.c - the memory a leak check copies: the target's readable and writable
 * mappings, with what kind each is (file data, heap, stack, device), from one read of
 * /proc/PID/maps.
 *
 * Owns: the compact list it returns (a 64-byte name per mapping, not target/maps.c's
 * HS_PATH_MAX path: the freeze reads it while the target is stopped, where every page
 * heapscope touches lengthens the pause).
 * Does not own: the copy (freeze.c).
 * Invariant: at most HS_FREEZE_MAX_REGIONS mappings; device mappings are counted, never
 * listed (a read may fail or have effects).
 */
#include "reach/writable_maps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "reach/freeze.h"

/* /dev mappings other than /dev/zero and shared memory are device memory: a read may fail or
 * have effects, and no allocator keeps its pointers there. */
static bool is_device(const char *path)
{
	return strncmp(path, "/dev/", 5) == 0 && strcmp(path, "/dev/zero") != 0 &&
	       strncmp(path, "/dev/zero ", 10) != 0 && strncmp(path, "/dev/shm/", 9) != 0;
}

/* The readable and writable mappings, from one read of /proc/PID/maps. */
int hs_writable_maps_read(pid_t pid, struct map_list *list)
{
	char path[64], *text, *line;
	size_t len, cap = 0;
	int err;

	memset(list, 0, sizeof(*list));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = hs_read_file(path, &text, &len);
	if (err)
		return err;
	for (line = text; line && *line;) {
		char *nl = strchr(line, '\n'), perms[8] = "";
		unsigned long long start, end, offset, inode;
		unsigned int major, minor;
		int name_at = 0;

		if (nl)
			*nl = '\0';
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &offset,
			   &major, &minor, &inode, &name_at) >= 7 &&
		    perms[0] == 'r' && perms[1] == 'w' && end > start) {
			const char *name = name_at ? line + name_at : "";
			struct map_line *m;

			if (list->count == cap) {
				size_t bigger_cap = cap ? 2 * cap : 64;
				struct map_line *bigger;

				if (bigger_cap > HS_FREEZE_MAX_REGIONS) {
					err = -E2BIG;
					break;
				}
				bigger = realloc(list->items, bigger_cap * sizeof(*bigger));
				if (!bigger) {
					err = -ENOMEM;
					break;
				}
				list->items = bigger;
				cap = bigger_cap;
			}
			m = &list->items[list->count];
			memset(m, 0, sizeof(*m));
			m->start = start;
			m->end = end;
			m->file = inode != 0;
			m->device = is_device(name);
			m->heap = strcmp(name, "[heap]") == 0;
			m->stack = strncmp(name, "[stack", 6) == 0;
			snprintf(m->name, sizeof(m->name), "%s", name);
			if (m->device) {
				list->device_bytes += end - start;
			} else {
				list->bytes += end - start;
				list->count++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	if (err) {
		free(list->items);
		list->items = NULL;
	}
	return err;
}
