// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * copy_pool.c - the freeze's copy of the target's memory, on every CPU at once.
 *
 * Why: the pause is the copy, and one thread copies at what process_vm_readv gives on one
 * CPU (about 1.2-2 GiB/s on the bench VM: a page pinned and copied at a time).  Workers
 * started before the freeze copy jobs beside the calling (tracer) thread.
 * Owns: the workers (started before, stopped after a freeze), handing out jobs (one lock,
 * taken once per job of up to HS_COPY_JOB_BYTES), the copy of one range (unreadable pages
 * left as zeros and counted).
 * Does not own: what is copied or why (freeze.c), ptrace: workers only read memory, so the
 * freeze's safety (the tracer thread stops and releases the target) is unchanged; a worker
 * never touches the target after hs_copy_pool_run returns.
 * Invariants: hs_copy_pool_run returns when every job was done or refused (deadline
 * passed), none still in a worker's hands; a worker that wakes late finds no batch (count
 * is reset under the lock) and sleeps again.  Without workers (none could be started, one
 * CPU) the caller copies everything itself, as before.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "reach/copy_pool.h"

#define PAGE_BYTES 4096ull

double hs_copy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Copy [addr, addr + len) of the target into buf.  Pages that cannot be read (a file
 * mapping past its file's end, where the target itself would fault) read as zeros and are
 * counted in *unreadable.  -ETIMEDOUT when deadline_ms (if not 0) passes.
 */
int hs_copy_range(pid_t pid, uint64_t addr, unsigned char *buf, uint64_t len, double deadline_ms,
		  uint64_t *unreadable)
{
	uint64_t done = 0;

	while (done < len) {
		size_t want = len - done > HS_COPY_JOB_BYTES ? HS_COPY_JOB_BYTES : len - done;
		struct iovec local = { buf + done, want };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), want };
		ssize_t got;

		if (deadline_ms && hs_copy_now_ms() > deadline_ms)
			return -ETIMEDOUT;
		got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (got < 0 && errno == ESRCH)
			return -ESRCH;
		if (got <= 0) {
			/* This page does not read: zeros, and on with the next one. */
			size_t skip = PAGE_BYTES - ((addr + done) & (PAGE_BYTES - 1));

			if (skip > len - done)
				skip = len - done;
			memset(buf + done, 0, skip);
			*unreadable += skip;
			done += skip;
			continue;
		}
		done += got;
	}
	return 0;
}

/* Take jobs and copy them until none is left.  Called and returns with the lock held. */
static void work_locked(struct hs_copy_pool *pool)
{
	while (pool->next < pool->count) {
		struct hs_copy_job *job = &pool->jobs[pool->next++];

		pthread_mutex_unlock(&pool->lock);
		job->unreadable_bytes = 0;
		job->err = hs_copy_range(pool->pid, job->remote, job->local, job->len,
					 pool->deadline_ms, &job->unreadable_bytes);
		pthread_mutex_lock(&pool->lock);
		if (++pool->finished == pool->count)
			pthread_cond_signal(&pool->idle);
	}
}

static void *worker(void *arg)
{
	struct hs_copy_pool *pool = arg;

	pthread_mutex_lock(&pool->lock);
	/* Woken for a parallel batch only; a spurious wake-up may help with another. */
	while (!pool->quit) {
		pthread_cond_wait(&pool->wake, &pool->lock);
		work_locked(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* One worker per online CPU beyond the caller's, at most HS_COPY_POOL_MAX_THREADS in all.
 * A worker that cannot be started is one fewer: the copy is only slower. */
int hs_copy_pool_start(struct hs_copy_pool *pool)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cpus > HS_COPY_POOL_MAX_THREADS ? HS_COPY_POOL_MAX_THREADS - 1
			: cpus > 1 ? (size_t)cpus - 1 : 0;

	memset(pool, 0, sizeof(*pool));
	if (pthread_mutex_init(&pool->lock, NULL))
		return -ENOMEM;
	if (pthread_cond_init(&pool->wake, NULL)) {
		pthread_mutex_destroy(&pool->lock);
		return -ENOMEM;
	}
	if (pthread_cond_init(&pool->idle, NULL)) {
		pthread_cond_destroy(&pool->wake);
		pthread_mutex_destroy(&pool->lock);
		return -ENOMEM;
	}
	while (pool->thread_count < want &&
	       !pthread_create(&pool->threads[pool->thread_count], NULL, worker, pool))
		pool->thread_count++;
	return 0;
}

/*
 * Copy every job (with the workers when parallel), deadline_ms as in hs_copy_range; each
 * job says how it went.  Returns when no job is in anyone's hands: a worker preempted in
 * the middle of a job is waited for, so a small copy (a few milliseconds) is better done by
 * the caller alone than lengthened by a busy machine's scheduling delay.
 */
void hs_copy_pool_run(struct hs_copy_pool *pool, pid_t pid, struct hs_copy_job *jobs,
		      size_t count, double deadline_ms, bool parallel)
{
	pthread_mutex_lock(&pool->lock);
	pool->jobs = jobs;
	pool->count = count;
	pool->next = pool->finished = 0;
	pool->pid = pid;
	pool->deadline_ms = deadline_ms;
	if (parallel && count > 1)
		pthread_cond_broadcast(&pool->wake);
	work_locked(pool);
	while (pool->finished < pool->count)
		pthread_cond_wait(&pool->idle, &pool->lock);
	pool->jobs = NULL;
	pool->count = pool->next = pool->finished = 0;
	pthread_mutex_unlock(&pool->lock);
}

void hs_copy_pool_stop(struct hs_copy_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->quit = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (size_t i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->idle);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	memset(pool, 0, sizeof(*pool));
}
