/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_REACH_FREEZE_H
#define HEAPSCOPE_REACH_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/*
 * One brief, consistent look at a running process: every thread stopped (ptrace seize +
 * interrupt), its registers read, its writable memory copied, every thread let go.  What
 * was copied is then analysed while the target runs on.
 */

#define HS_FREEZE_MAX_THREADS 16384
#define HS_FREEZE_MAX_REGIONS 65536
#define HS_FREEZE_RED_ZONE_BYTES 128 /* x86-64 ABI: a leaf may keep data below its SP */
#define HS_FREEZE_DEFAULT_MAX_PAUSE_MS 500.0
/* Less than this is copied by the tracer thread alone (copy_pool.c: waking workers on a
 * busy machine costs more than a few milliseconds of copy). */
#define HS_FREEZE_PARALLEL_COPY_BYTES (64u << 20)
/* Copying this much before the freeze measures the rate the pause estimate uses. */
#define HS_FREEZE_RATE_SAMPLE_BYTES (8u << 20)

struct hs_freeze_thread {
	pid_t tid;
	struct user_regs_struct regs; /* includes fs_base: the thread pointer (TLS) */
	int pending_signal;	      /* stopped at a signal's delivery: given back at detach */
	bool stopped;		      /* its registers were read */
};

enum hs_freeze_region_kind {
	HS_REGION_DATA = 0, /* writable memory of the process (file data, bss, anonymous) */
	HS_REGION_STACK,    /* a thread's stack from its SP (minus the red zone) up */
};

/* A copy of [start, end) of the target, taken while every thread was stopped. */
struct hs_freeze_region {
	uint64_t start, end;
	const unsigned char *bytes;
	enum hs_freeze_region_kind kind;
	bool file;   /* a file mapping's writable data (.data, .got) */
	bool heap;   /* the [heap] (brk) mapping */
	char name[64]; /* the mapping's path, cut; "" when anonymous */
};

/* Called while every thread is stopped and the memory copied (e.g. to switch the probes off
 * at the very moment the copy shows).  Must be quick: it counts in the pause. */
typedef void (*hs_freeze_stopped_fn)(void *ctx);

struct hs_freeze_config {
	double max_pause_ms; /* the copy would take longer, or did: abandoned */
	hs_freeze_stopped_fn on_stopped;
	void *ctx;
};

struct hs_freeze {
	pid_t pid;
	struct hs_freeze_thread *threads;
	size_t thread_count;
	struct hs_freeze_region *regions; /* sorted by start, disjoint */
	size_t region_count;
	uint64_t copied_bytes;
	uint64_t skipped_device_bytes; /* /dev mappings (not readable as memory): not copied */
	double pause_ms;	       /* first interrupt to last detach */
	double copy_ms;
	double rate_bytes_per_ms; /* measured before the freeze, with copy_threads */
	size_t copy_threads;	  /* threads that copy (the tracer, and the pool's workers for
				   * HS_FREEZE_PARALLEL_COPY_BYTES or more) */
	double estimate_ms;	  /* the copy, as estimated before the freeze */
	char reason[256];	  /* why it did not happen (-EBUSY, -ETIMEDOUT, ...) */
	/* owned buffers */
	unsigned char *arena;
	size_t arena_bytes, arena_used;
	unsigned char **extra;
	size_t extra_count;
};

int hs_freeze_run(pid_t pid, const struct hs_freeze_config *config, struct hs_freeze *f);
void hs_freeze_free(struct hs_freeze *f);
const struct hs_freeze_region *hs_freeze_region_at(const struct hs_freeze *f, uint64_t addr);

#endif
