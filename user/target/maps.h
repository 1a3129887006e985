/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_MAPS_H
#define HEAPSCOPE_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HS_PATH_MAX 4096

/* One line of /proc/PID/maps. */
struct hs_mapping {
	uint64_t start;
	uint64_t end;
	uint64_t file_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	bool executable;
	char path[HS_PATH_MAX]; /* as the target sees it; "" for anonymous memory */
};

struct hs_maps {
	struct hs_mapping *items;
	size_t count;
};

int hs_maps_parse(const char *text, struct hs_maps *maps);
int hs_maps_read(pid_t pid, struct hs_maps *maps);
void hs_maps_free(struct hs_maps *maps);
const struct hs_mapping *hs_maps_find(const struct hs_maps *maps, uint64_t addr);
bool hs_mapping_is_file(const struct hs_mapping *map);
uint64_t hs_maps_heap_bytes(const char *maps_text);

#endif
