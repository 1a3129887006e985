/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PERF_MAP_H
#define HEAPSCOPE_PERF_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/proc.h"

/* Limits on what a target's perf map may make heapscope hold (README "Troubleshooting"). */
#define HS_PERF_MAP_MAX_LINE	4096	      /* longer lines are skipped whole */
#define HS_PERF_MAP_MAX_ENTRIES (1u << 20)    /* entries kept; further ones are skipped */
#define HS_PERF_MAP_MAX_BYTES	(256ull << 20) /* of the file read, all reads together */
#define HS_PERF_MAP_MAX_NAME	512	      /* longer names are cut */

/* One JIT function: [start, start + size) in the target's address space. */
struct hs_perf_symbol {
	uint64_t start, size;
	uint32_t name_offset; /* into names */
	uint32_t line;	      /* 0-based: at one start, a later line wins */
};

/* A target's /tmp/perf-PID.map as read so far: the file is only ever appended to. */
struct hs_perf_map {
	struct hs_perf_symbol *symbols; /* sorted by start, one per start */
	size_t count, capacity;
	char *names;
	size_t names_len, names_capacity;
	uint64_t read_bytes;  /* up to the end of the last complete line read */
	uint32_t lines;	      /* lines read */
	uint64_t skipped;     /* lines refused: too long, malformed, not JIT code, over limits */
	bool in_long_line;    /* read stopped inside a line too long to keep */
	bool found;	      /* the file was there (and acceptable) at least once */
};

int hs_perf_map_refresh(struct hs_perf_map *map, pid_t pid);
int hs_perf_map_parse(struct hs_perf_map *map, const char *text, size_t len,
		      const struct hs_maps *maps);
const char *hs_perf_map_lookup(const struct hs_perf_map *map, uint64_t addr);
bool hs_mapping_is_jit(const struct hs_mapping *map);
void hs_perf_map_free(struct hs_perf_map *map);

#endif
