/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_COLLECT_H
#define HEAPSCOPE_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "collect/live.h"
#include "collect/stacks.h"

struct ring_buffer;

/* Limits, each documented in --help. */
struct hs_collect_limits {
	size_t max_live;   /* live allocations tracked at once */
	size_t max_stacks; /* distinct stacks kept */
};

struct hs_collector {
	struct hs_live_table live;
	struct hs_stack_table stacks;
	struct ring_buffer *ring;
	uint64_t events;
	uint64_t allocs, frees, reallocs;
	uint64_t unknown_frees;	    /* frees of blocks allocated before attach (or lost) */
	uint64_t replaced_blocks;   /* an address returned again while still live: its free was lost */
	uint64_t untracked_allocs;  /* live table full */
	uint64_t malformed_events;  /* records that do not decode: never expected */
	uint64_t truncated_stacks;
	uint64_t events_after_exec; /* from a target's new program: ignored */
	uint32_t *execed_pids;	    /* targets that exec()ed, in the order seen */
	size_t execed_count;
	uint64_t live_bytes;
	uint64_t first_ts_ns, last_ts_ns;
};

int hs_collector_init(struct hs_collector *c, const struct hs_collect_limits *limits);
void hs_collector_free(struct hs_collector *c);
int hs_collector_apply(struct hs_collector *c, const void *record, size_t size);
int hs_collector_open_ring(struct hs_collector *c, int ringbuf_map_fd);
int hs_collector_poll(struct hs_collector *c, int timeout_ms);
size_t hs_collector_memory_bytes(const struct hs_collector *c);

#endif
