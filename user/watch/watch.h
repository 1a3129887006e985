/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_WATCH_H
#define HEAPSCOPE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inspect/glibc_heap.h"
#include "inspect/types.h"
#include "target/objects.h"
#include "target/proc.h"

/* Limits, documented in `heapscope watch --help`. */
#define HS_WATCH_MAX_PROCESSES 1024 /* more are counted in not_watched, never read */
#define HS_WATCH_EXE_LABEL_BYTES 256 /* exe label: longer paths are cut (Prometheus cardinality) */
#define HS_WATCH_LOCATE_TRIES 10   /* intervals in a row libc is looked for in a new process */
#define HS_WATCH_LOCATE_RETRY 30   /* afterwards: one more try every this many intervals */
#define HS_WATCH_MAX_HEAP_STRIDE 1000 /* a heap is read at least every this many intervals */
/*
 * The N largest C++ types of each process by bytes (top_types.c): N is --types, at most this,
 * so each process has at most this many heapscope_type_bytes (and _instances) series.
 */
#define HS_WATCH_MAX_TYPES 10
/* A type's name as exported, NUL included: longer names are cut and given a hash suffix. */
#define HS_WATCH_TYPE_NAME_BYTES 128

struct hs_watch_type {
	char name[HS_WATCH_TYPE_NAME_BYTES];
	uint64_t bytes, instances; /* usable bytes (malloc_usable_size) and blocks */
};

/*
 * The vtables one process maps (inspect/types.h), kept between its readings: built again only
 * when its file mappings change (dlopen), not at every reading.
 */
struct hs_watch_vtables {
	struct hs_types types;
	uint64_t maps_signature; /* of the file mappings types was built from; 0: not built */
	int error;		 /* why it could not be built (then no types are named) */
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
	bool types_read; /* types[] is the census of this reading (else it was not taken) */
	struct hs_watch_type types[HS_WATCH_MAX_TYPES]; /* the most bytes first */
	size_t type_count;
	char types_error[64]; /* why types were wanted and not read; "" otherwise */
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
	unsigned max_types;	    /* the watch's --types: 0, no census */
	struct hs_watch_vtables vtables;
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
	unsigned max_types;   /* the N largest C++ types per process (<= HS_WATCH_MAX_TYPES) */
	struct hs_objects objects; /* every watched process's files, read once (all zero: empty) */
};

int hs_watch_add(struct hs_watch *w, pid_t pid);
int hs_watch_sync(struct hs_watch *w, const pid_t *pids, size_t count);
int hs_watch_read_all(struct hs_watch *w, double budget_cpu_s);
int hs_watch_read_process(struct hs_watch_process *p, bool heap_due, struct hs_watch_reading *r);
void hs_watch_free(struct hs_watch *w);

/* top_types.c */
int hs_watch_vtables_refresh(struct hs_watch_vtables *vt, struct hs_objects *objects,
			     const struct hs_target_memory *tm);
void hs_watch_vtables_free(struct hs_watch_vtables *vt);
int hs_watch_top_types(struct hs_target_memory *tm, struct hs_types *types,
		       const struct hs_glibc_heap *heap, size_t max, struct hs_watch_type *out,
		       size_t *count);
void hs_watch_type_name(char *out, const char *name);
int hs_watch_proc_stat(pid_t pid, uint64_t *start_ticks, uint32_t *threads, char *comm,
		       size_t comm_len);

#endif
