/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_WATCH_RECORD_H
#define HEAPSCOPE_WATCH_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "watch/watch.h"

/* A line longer than this is not a reading heapscope wrote: skipped, counted. */
#define HS_RECORD_MAX_LINE_BYTES 65536

/* One line of a recording, as read back: the fields the report needs. */
struct hs_record_line {
	double t_s;
	pid_t pid;
	uint64_t start_ticks;
	char comm[16];
	char exe[HS_WATCH_EXE_LABEL_BYTES];
	bool has_mem, has_heap;
	uint64_t rss_bytes, anon_bytes, heap_mapping_bytes;
	uint64_t system_bytes, in_use_bytes, top_bytes, fastbin_bytes, bin_bytes, tcache_bytes;
	uint64_t trimmable_bytes, free_resident_bytes, mmapped_bytes;
	uint64_t read_errors;
	bool has_types; /* the line has "types" (a census was taken; it may be empty) */
	struct hs_watch_type types[HS_WATCH_MAX_TYPES];
	size_t type_count;
};

void hs_record_write(FILE *out, const struct hs_watch_process *p, const struct hs_watch_reading *r);
int hs_record_parse(const char *line, size_t len, struct hs_record_line *rec);

#endif
