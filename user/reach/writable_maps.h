/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_REACH_WRITABLE_MAPS_H
#define HEAPSCOPE_REACH_WRITABLE_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct map_line {
	uint64_t start, end;
	bool file, device, heap, stack;
	char name[64];
};

struct map_list {
	struct map_line *items;
	size_t count;
	uint64_t bytes;
	uint64_t device_bytes;
};

int hs_writable_maps_read(pid_t pid, struct map_list *list);

#endif
