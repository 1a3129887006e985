/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_WATCH_H
#define HEAPSCOPE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inspect/glibc_heap.h"
#include "target/objects.h"
#include "target/proc.h"

/* Limits, documented in `heapscope watch --help`. */
#define HS_WATCH_MAX_PROCESSES 1024 /* more are counted in not_watched, never read */
#define HS_WATCH_EXE_LABEL_BYTES 256 /* exe label: longer paths are cut (Prometheus cardinality) */
#define HS_WATCH_LOCATE_TRIES 10   /* intervals in a row libc is looked for in a new process */
#define HS_WATCH_LOCATE_RETRY 30   /* afterwards: one more try every this many intervals */
#define HS_WATCH_MAX_HEAP_STRIDE 1000 /* a heap is read at least every this many intervals */
/*
 * TYPES HOOK: bytes and instances of the N largest C++ types per process (user/inspect/types.h,
 * being written).  The reading has room for them and the writers emit whatever is filled in;
 * hs_watch_read_types() in sample.c is the one place to plug the census in.
 */
#define HS_WATCH_MAX_TYPES 10

struct hs_watch_type {
	char name[128];
	uint64_t bytes, instances;
};

/* One process at one instant. */
struct hs_watch_reading {
	double t_s; /* CLOCK_REALTIME seconds: recordings are read back across restarts */
	struct hs_proc_memory mem;
	uint32_t threads;
	bool allocator_read; /* the glibc figures below are a reading of this instant */
	bool consistent;     /* the reader saw one unchanging state */
	struct hs_glibc_arena_stats total;
	uint64_t mmapped_bytes, mmapped_chunks;
	uint32_t arenas;
	double read_duration_s; /* heapscope's own cost: /proc and the heap, this process */
	struct hs_watch_type types[HS_WATCH_MAX_TYPES];
	size_t type_count;
	char error[160]; /* why the allocator was not read this time; "" when it was */
};

enum hs_watch_allocator {
	HS_WATCH_ALLOC_UNKNOWN = 0, /* not located yet */
	HS_WATCH_ALLOC_GLIBC,
	HS_WATCH_ALLOC_OTHER, /* no glibc malloc: /proc figures only */
};

/* One process being watched, from when it was found until it exits. */
struct hs_watch_process {
	pid_t pid;
	uint64_t start_ticks; /* /proc/PID/stat starttime: tells a reused PID from the old one */
	char comm[16];
	char exe[HS_PATH_MAX]; /* /proc/PID/exe as the host sees it, "" when unreadable */
	enum hs_watch_allocator allocator;
	struct hs_glibc_location loc; /* valid when allocator == HS_WATCH_ALLOC_GLIBC */
	char allocator_why[160];       /* why not glibc */
	unsigned locate_tries;
	uint64_t intervals;
	uint64_t read_errors; /* a counter: readings that failed while the process lived */
	bool seen;	      /* found alive in this interval's scan */
	struct hs_watch_reading last;	   /* /proc figures: every interval */
	struct hs_watch_reading last_heap; /* the last reading that read the heap */
	bool has_reading, has_heap;
	double heap_cpu_s; /* CPU the last heap reading took: what the next one will cost */
	struct hs_objects *objects; /* the watch's: libc and its debug file, opened once */
};

struct hs_watch {
	struct hs_watch_process **items; /* stable pointers */
	size_t count, capacity;
	uint64_t not_watched; /* processes left out at HS_WATCH_MAX_PROCESSES */
	uint64_t readings;    /* processes read, all intervals */
	uint64_t cycles;      /* intervals so far */
	double last_cycle_s;  /* wall time the last interval's readings took */
	double last_cycle_cpu_s; /* CPU time they took */
	double last_fixed_cpu_s; /* of which not heap readings: /proc, bookkeeping */
	unsigned heap_stride; /* each heap is read every heap_stride intervals (the CPU budget) */
	struct hs_objects objects; /* every watched process's files, read once (all zero: empty) */
};

int hs_watch_add(struct hs_watch *w, pid_t pid);
int hs_watch_sync(struct hs_watch *w, const pid_t *pids, size_t count);
int hs_watch_read_all(struct hs_watch *w, double budget_cpu_s);
int hs_watch_read_process(struct hs_watch_process *p, bool heap_due, struct hs_watch_reading *r);
void hs_watch_free(struct hs_watch *w);
int hs_watch_proc_stat(pid_t pid, uint64_t *start_ticks, uint32_t *threads, char *comm,
		       size_t comm_len);

#endif
