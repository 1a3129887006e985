/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_COLLECT_H
#define HEAPSCOPE_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "collect/live.h"
#include "collect/stacks.h"

struct ring_buffer;

/* Processes whose unknown frees are told apart; the ones after count only in the totals. */
#define HS_COLLECT_MAX_PIDS 4096
/* Forked processes (--follow) waiting for the session to look at them; later ones are
 * counted only (the session's /proc scan still finds them). */
#define HS_COLLECT_MAX_FORKS 4096
/* A glibc chunk size word above this is not believed (the target wrote it). */
#define HS_MAX_CHUNK_BYTES (1ull << 40)

/*
 * Frees of blocks not allocated during the session (before attach, or their
 * allocation lost), of one process or of the session.  Their bytes are known
 * where the free's probe read glibc's chunk size word (the usable size, as
 * malloc_usable_size says) and it was plausible; unmeasured counts the rest (not
 * glibc's, a realloc of such a block, an unreadable or implausible word).
 */
struct hs_unknown_frees {
	uint32_t pid;
	uint64_t count;
	uint64_t bytes;
	uint64_t unmeasured;
};

/* Limits, each documented in --help. */
struct hs_collect_limits {
	size_t max_live;   /* live allocations tracked at once */
	size_t max_stacks; /* distinct stacks kept */
};

/* A target (parent, a tgid) forked a new process (child, its tgid). */
struct hs_fork {
	uint32_t parent, child;
};

struct hs_collector {
	struct hs_live_table live;
	struct hs_stack_table stacks;
	struct ring_buffer *ring;
	uint64_t events;
	uint64_t allocs, frees, reallocs;
	uint64_t unknown_frees;	    /* frees of blocks allocated before attach (or lost) */
	uint64_t unknown_free_bytes; /* ... their bytes, where glibc's chunk header told them */
	uint64_t unknown_frees_unmeasured; /* ... those whose bytes are not known */
	uint64_t implausible_chunk_words; /* size words read at a free and not believed */
	struct hs_unknown_frees *unknown_by_pid; /* per process, in the order first seen */
	size_t unknown_pid_count, unknown_pid_capacity;
	uint64_t replaced_blocks;   /* an address returned again while still live: its free was lost */
	uint64_t untracked_allocs;  /* live table full */
	uint64_t malformed_events;  /* records that do not decode: never expected */
	uint64_t truncated_stacks;
	uint64_t events_after_exec; /* from a target's new program: ignored */
	uint32_t *execed_pids;	    /* targets that exec()ed, in the order seen */
	size_t execed_count;
	/* --follow: processes targets forked, not yet taken by the session (hs_collector_take_forks) */
	struct hs_fork *forked;
	size_t forked_count, forked_capacity;
	uint64_t forks, forks_not_kept; /* fork events; those past HS_COLLECT_MAX_FORKS */
	uint64_t live_bytes;
	uint64_t first_ts_ns, last_ts_ns;
};

int hs_collector_init(struct hs_collector *c, const struct hs_collect_limits *limits);
void hs_collector_free(struct hs_collector *c);
int hs_collector_apply(struct hs_collector *c, const void *record, size_t size);
int hs_collector_open_ring(struct hs_collector *c, int ringbuf_map_fd);
int hs_collector_poll(struct hs_collector *c, int timeout_ms);
size_t hs_collector_memory_bytes(const struct hs_collector *c);
size_t hs_collector_take_forks(struct hs_collector *c, struct hs_fork *forks, size_t max);
struct hs_unknown_frees hs_collector_unknown_frees(const struct hs_collector *c, uint32_t pid);
uint64_t hs_chunk_usable_bytes(uint64_t chunk_word);

#endif
