// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * detach.c - remove the probes: one target's when it leaves, every target's when
 * the session ends (attach.c's hs_attach_detach* end the session, then call these).
 *
 * Owns: the links' removal and the background threads that do it.
 * Does not own: making links, or the BPF maps that say which processes count
 * (attach.c forgets a target there before its links go).
 *
 * Why threads: a link's removal waits for an RCU grace period (~50 ms), a
 * target's 17 per-probe links most of a second that the collector must not
 * spend waiting, and removals from parallel threads overlap their waits.
 */
#include "probe/detach.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/array.h"

#define DETACH_THREADS 32

/* Remove one attached program (waits for an RCU grace period). */
void hs_probe_link_destroy(struct hs_probe_link *link)
{
	if (link->link)
		bpf_link__destroy(link->link);
	else
		close(link->fd);
}

struct detach_slice {
	struct hs_probe_link *links;
	size_t count;
};

static void *destroy_slice(void *arg)
{
	struct detach_slice *slice = arg;

	for (size_t i = 0; i < slice->count; i++)
		hs_probe_link_destroy(&slice->links[i]);
	return NULL;
}

/*
 * Each removal waits for an RCU grace period (~50-80 ms): the links are
 * destroyed from parallel threads so that their waits overlap instead of
 * adding up.
 */
static void destroy_links(struct hs_probe_link *links, size_t count)
{
	struct detach_slice slices[DETACH_THREADS];
	pthread_t threads[DETACH_THREADS];
	bool started[DETACH_THREADS] = { false };
	size_t per_thread = (count + DETACH_THREADS - 1) / DETACH_THREADS;

	for (size_t t = 0; t < DETACH_THREADS; t++) {
		size_t first = t * per_thread;

		slices[t].links = links + first;
		slices[t].count = first >= count ? 0 :
				  (count - first < per_thread ? count - first : per_thread);
		if (slices[t].count)
			started[t] = pthread_create(&threads[t], NULL, destroy_slice, &slices[t]) == 0;
		if (slices[t].count && !started[t])
			destroy_slice(&slices[t]);
	}
	for (size_t t = 0; t < DETACH_THREADS; t++)
		if (started[t])
			pthread_join(threads[t], NULL);
}

/* The probes of one target that left, removed by a thread of their own. */
struct hs_detach_job {
	pthread_t thread;
	struct hs_probe_link *links;
	size_t count;
};

static void *run_detach_job(void *arg)
{
	struct hs_detach_job *job = arg;

	destroy_links(job->links, job->count);
	return NULL;
}

static void free_detach_job(struct hs_detach_job *job)
{
	free(job->links);
	free(job);
}

/* Forget the jobs that are done (all of them, waiting, when wait). */
static void reap_detach_jobs(struct hs_attachment *a, bool wait)
{
	size_t kept = 0;

	for (size_t i = 0; i < a->detaching_count; i++) {
		struct hs_detach_job *job = a->detaching[i];

		if (wait ? pthread_join(job->thread, NULL) : pthread_tryjoin_np(job->thread, NULL))
			a->detaching[kept++] = job;
		else
			free_detach_job(job);
	}
	a->detaching_count = kept;
}

/* Move PID's links out of the session's list into a new job. */
static int take_links(struct hs_attachment *a, pid_t pid, struct hs_detach_job **taken)
{
	struct hs_detach_job *job = calloc(1, sizeof(*job));
	size_t kept = 0;

	if (job)
		job->links = calloc(a->link_count ? a->link_count : 1, sizeof(*job->links));
	if (!job || !job->links) {
		free(job);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->link_count; i++) {
		if (a->links[i].pid == pid)
			job->links[job->count++] = a->links[i];
		else
			a->links[kept++] = a->links[i];
	}
	a->link_count = kept;
	*taken = job;
	return 0;
}

/*
 * Remove PID's links in the background (attach.c has already forgotten PID in
 * the BPF maps).  Other targets' links are not touched.  0, or -ENOMEM (the
 * links then stay until the session ends).
 */
int hs_detach_pid_start(struct hs_attachment *a, pid_t pid)
{
	struct hs_detach_job *job;

	reap_detach_jobs(a, false);
	if (hs_array_reserve((void **)&a->detaching, &a->detaching_capacity, a->detaching_count,
			     sizeof(*a->detaching), 8))
		return -ENOMEM;
	if (take_links(a, pid, &job))
		return -ENOMEM;
	if (job->count == 0) { /* released before */
		free_detach_job(job);
		return 0;
	}
	if (pthread_create(&job->thread, NULL, run_detach_job, job)) {
		run_detach_job(job); /* no thread: the collector waits this once */
		free_detach_job(job);
		return 0;
	}
	a->detaching[a->detaching_count++] = job;
	return 0;
}

/*
 * Start removing every probe in the background: each removal waits for the kernel's
 * grace periods (~150-200 ms here), which the caller can spend on work that needs no
 * BPF (reading the target's heap).  hs_detach_all() waits for them.  On failure to
 * start a thread, the links stay for hs_detach_all() to remove.
 */
void hs_detach_all_start(struct hs_attachment *a)
{
	struct hs_detach_job *job;

	if (a->link_count == 0 || hs_array_reserve((void **)&a->detaching,
						   &a->detaching_capacity, a->detaching_count,
						   sizeof(*a->detaching), 8))
		return;
	job = calloc(1, sizeof(*job));
	if (!job)
		return;
	job->links = a->links;
	job->count = a->link_count;
	if (pthread_create(&job->thread, NULL, run_detach_job, job)) {
		free(job);
		return;
	}
	a->links = NULL; /* the job owns the array now */
	a->link_count = a->link_capacity = 0;
	a->detaching[a->detaching_count++] = job;
}

/*
 * Remove every probe from every target, and wait until the kernel has: no
 * program runs after this returns, so what is in the ring is all there is.
 * The maps stay readable.
 */
void hs_detach_all(struct hs_attachment *a)
{
	destroy_links(a->links, a->link_count);
	a->link_count = 0;
	reap_detach_jobs(a, true);
}

