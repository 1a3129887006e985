/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_REACH_COPY_POOL_H
#define HEAPSCOPE_REACH_COPY_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The freeze's copy on every CPU: process_vm_readv of a list of jobs by the calling thread
 * and by workers started before the target is stopped (a thread's creation is not paid
 * in the pause).  See copy_pool.c.
 */

#define HS_COPY_POOL_MAX_THREADS 4	/* the caller and up to three workers */
#define HS_COPY_JOB_BYTES (4u << 20)	/* a region is cut into jobs of this size */

struct hs_copy_job {
	uint64_t remote;	   /* [remote, remote + len) of the target */
	unsigned char *local;	   /* into here */
	uint64_t len;
	size_t tag;		   /* the caller's (a region's index) */
	uint64_t unreadable_bytes; /* out: pages that did not read, left as zeros */
	int err;		   /* out: 0, -ETIMEDOUT (deadline passed), -ESRCH (target gone) */
};

struct hs_copy_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake, idle;
	pthread_t threads[HS_COPY_POOL_MAX_THREADS];
	size_t thread_count; /* workers, the caller not counted */
	bool quit;
	/* the batch being copied: jobs [next, count) not taken yet */
	struct hs_copy_job *jobs;
	size_t count, next, finished;
	pid_t pid;
	double deadline_ms; /* CLOCK_MONOTONIC ms; 0: none */
};

int hs_copy_pool_start(struct hs_copy_pool *pool);
void hs_copy_pool_run(struct hs_copy_pool *pool, pid_t pid, struct hs_copy_job *jobs,
		      size_t count, double deadline_ms, bool parallel);
void hs_copy_pool_stop(struct hs_copy_pool *pool);
int hs_copy_range(pid_t pid, uint64_t addr, unsigned char *buf, uint64_t len, double deadline_ms,
		  uint64_t *unreadable);
double hs_copy_now_ms(void);

#endif
