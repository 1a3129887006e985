// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * freeze.c - stop every thread of a process for a moment, read registers, copy the writable
 * memory, let every thread go.
 *
 * Owns: the ptrace relationship with the target for the length of one freeze (seize and
 * interrupt every thread, listing /proc/PID/task again until no new thread appears; wait for
 * each stop; PTRACE_GETREGS; PTRACE_DETACH, which resumes), what the copy takes (regions cut
 * into jobs that copy_pool.c's threads copy at once, into buffers populated before the
 * freeze), the pause bound and its estimate.
 * Does not own: what the copy means (leak_check.c, mark.c).
 * Invariants: the target is never left stopped or traced.  The whole freeze runs in a helper
 * thread that is the tracer: every way out detaches what it stopped, and a thread that never
 * reported its stop (it cannot be detached while running) is released by the kernel when the
 * helper thread exits (exit_ptrace), as every tracee is when heapscope is killed.  A seized
 * thread is not in group-stop, so a released one runs on.  A target already traced is left
 * alone (-EBUSY, reason says by whom).  The pause is bounded: estimated from a measured rate
 * before freezing, checked between copy chunks, and the wait for stops is bounded too.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/file.h"
#include "reach/copy_pool.h"
#include "reach/freeze.h"
#include "reach/writable_maps.h"
#include "target/proc.h"

#define MAX_TASK_PASSES 64
#define RATE_SAMPLE_JOBS 8

static double now_ms(void)
{
	return hs_copy_now_ms();
}

/* Buffers are carved from one arena populated before the freeze: page faults in heapscope
 * during the copy would lengthen the pause. */
static unsigned char *take_buffer(struct hs_freeze *f, size_t bytes)
{
	unsigned char *buf, **bigger;

	bytes = (bytes + 63) & ~(size_t)63;
	if (f->arena && f->arena_bytes - f->arena_used >= bytes) {
		buf = f->arena + f->arena_used;
		f->arena_used += bytes;
		return buf;
	}
	/* The maps grew since the estimate: a slower, ordinary allocation. */
	bigger = realloc(f->extra, (f->extra_count + 1) * sizeof(*bigger));
	if (!bigger)
		return NULL;
	f->extra = bigger;
	buf = malloc(bytes ? bytes : 1);
	if (buf)
		f->extra[f->extra_count++] = buf;
	return buf;
}

/*
 * Bytes per millisecond, copying up to HS_FREEZE_RATE_SAMPLE_BYTES of the running target
 * the way the freeze will (in jobs, on every thread the pool has), in rounds of one job per
 * thread: the best round.  On a busy machine one round may wait tens of milliseconds for a
 * CPU, and a single sample then refused a 19 MiB copy as "~650 ms"; an optimistic estimate
 * costs nothing, the copy is still cut at --max-pause.
 */
static double measure_rate(pid_t pid, const struct map_list *maps, struct hs_copy_pool *pool,
			   bool parallel, unsigned char *scratch, size_t scratch_bytes)
{
	struct hs_copy_job jobs[RATE_SAMPLE_JOBS];
	size_t count = 0, piece = scratch_bytes / RATE_SAMPLE_JOBS, per_round;
	uint64_t sampled = 0;
	double best = 0;

	for (size_t i = 0; i < maps->count && count < RATE_SAMPLE_JOBS; i++) {
		for (uint64_t at = maps->items[i].start;
		     at < maps->items[i].end && count < RATE_SAMPLE_JOBS; at += piece) {
			uint64_t len = maps->items[i].end - at < piece ? maps->items[i].end - at : piece;

			jobs[count] = (struct hs_copy_job){ .remote = at, .len = len,
							    .local = scratch + count * piece };
			count++;
		}
	}
	per_round = parallel ? pool->thread_count + 1 : 1;
	if (per_round > count / 2)
		per_round = count / 2;
	if (!per_round)
		per_round = 1;
	for (size_t first = 0; first < count; first += per_round) {
		size_t n = count - first < per_round ? count - first : per_round;
		uint64_t bytes = 0;
		double started = now_ms(), took;

		hs_copy_pool_run(pool, pid, jobs + first, n, 0, parallel);
		took = now_ms() - started;
		for (size_t i = first; i < first + n; i++)
			bytes += jobs[i].err ? 0 : jobs[i].len;
		sampled += bytes;
		if (bytes / (took > 0.01 ? took : 0.01) > best)
			best = bytes / (took > 0.01 ? took : 0.01);
	}
	if (sampled < (1u << 20))
		return 4e6; /* too little to time: the copy is short whatever the rate */
	return best;
}

struct freezer {
	struct hs_freeze *f;
	const struct hs_freeze_config *config;
	struct hs_copy_pool *pool;
	size_t thread_cap;
	double started_ms, deadline_ms;
	int err;
};

static bool known_thread(const struct hs_freeze *f, pid_t tid)
{
	for (size_t i = 0; i < f->thread_count; i++)
		if (f->threads[i].tid == tid)
			return true;
	return false;
}

/* Seize and interrupt every thread not seized yet; *added counts the new ones. */
static int seize_new_threads(struct freezer *z, size_t *added)
{
	struct hs_freeze *f = z->f;
	char path[64];
	struct dirent *entry;
	DIR *dir;
	int err = 0;

	*added = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", f->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (!err && (entry = readdir(dir))) {
		pid_t tid = (pid_t)strtol(entry->d_name, NULL, 10);

		if (tid <= 0 || known_thread(f, tid))
			continue;
		if (f->thread_count == z->thread_cap) {
			err = -E2BIG;
			snprintf(f->reason, sizeof(f->reason), "more than %d threads",
				 HS_FREEZE_MAX_THREADS);
			break;
		}
		if (ptrace(PTRACE_SEIZE, tid, NULL, NULL)) {
			pid_t tracer = 0;

			if (errno == ESRCH)
				continue; /* it exited meanwhile */
			err = -errno;
			if (err == -EPERM && !hs_proc_tracer(f->pid, &tracer) && tracer)
				snprintf(f->reason, sizeof(f->reason),
					 "PID %d is already traced by PID %d (a debugger?)", f->pid,
					 tracer);
			else
				snprintf(f->reason, sizeof(f->reason), "cannot seize thread %d: %s",
					 tid, strerror(-err));
			if (err == -EPERM)
				err = -EBUSY;
			break;
		}
		f->threads[f->thread_count++] = (struct hs_freeze_thread){ .tid = tid };
		(*added)++;
		if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) && errno != ESRCH) {
			err = -errno;
			snprintf(f->reason, sizeof(f->reason), "cannot interrupt thread %d: %s", tid,
				 strerror(-err));
		}
	}
	closedir(dir);
	return err;
}

/* Wait for every seized thread's stop; a thread that exits is dropped. */
static int wait_for_stops(struct freezer *z)
{
	struct hs_freeze *f = z->f;
	size_t waiting = f->thread_count;
	bool *done = calloc(f->thread_count + 1, sizeof(*done));

	if (!done)
		return -ENOMEM;
	while (waiting) {
		for (size_t i = 0; i < f->thread_count; i++) {
			struct hs_freeze_thread *t = &f->threads[i];
			int status;
			pid_t got;

			if (done[i])
				continue;
			got = waitpid(t->tid, &status, __WALL | WNOHANG);
			if (got == 0)
				continue;
			done[i] = true;
			waiting--;
			if (got < 0 || !WIFSTOPPED(status))
				continue; /* gone */
			t->stopped = true;
			/* A signal-delivery stop (not our interrupt): give the signal back at
			 * detach.  Group-stops and our event stop carry nothing to give back. */
			if ((status >> 16) == 0)
				t->pending_signal = WSTOPSIG(status);
		}
		if (!waiting)
			break;
		if (now_ms() > z->deadline_ms) {
			free(done);
			snprintf(f->reason, sizeof(f->reason),
				 "%zu threads did not stop within --max-pause (%.0f ms)", waiting,
				 z->config->max_pause_ms);
			return -ETIMEDOUT;
		}
		usleep(50);
	}
	free(done);
	return 0;
}

static int read_registers(struct hs_freeze *f)
{
	for (size_t i = 0; i < f->thread_count; i++) {
		struct hs_freeze_thread *t = &f->threads[i];

		if (t->stopped && ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs)) {
			if (errno == ESRCH) {
				t->stopped = false; /* killed meanwhile (SIGKILL needs no stop) */
				continue;
			}
			snprintf(f->reason, sizeof(f->reason), "cannot read the registers of thread %d: %s",
				 t->tid, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* The lowest stack pointer of a stopped thread inside [start, end), or end if none. */
static uint64_t lowest_sp(const struct hs_freeze *f, uint64_t start, uint64_t end)
{
	uint64_t low = end;

	for (size_t i = 0; i < f->thread_count; i++) {
		uint64_t sp = f->threads[i].regs.rsp;

		if (f->threads[i].stopped && sp >= start && sp < end && sp < low)
			low = sp;
	}
	return low;
}

/* The regions to copy, planned from the maps as they are now (every thread stopped), each
 * with its buffer; and the copy jobs they are cut into. */
static int plan_copy(struct freezer *z, const struct map_list *maps, struct hs_copy_job **jobs,
		     size_t *job_count)
{
	struct hs_freeze *f = z->f;
	size_t cap = maps->count + maps->bytes / HS_COPY_JOB_BYTES + 1;

	*job_count = 0;
	f->regions = calloc(maps->count + 1, sizeof(*f->regions));
	*jobs = calloc(cap, sizeof(**jobs));
	if (!f->regions || !*jobs)
		return -ENOMEM;
	for (size_t i = 0; i < maps->count; i++) {
		const struct map_line *m = &maps->items[i];
		struct hs_freeze_region *r = &f->regions[f->region_count];
		uint64_t start = m->start, sp = lowest_sp(f, m->start, m->end);
		unsigned char *buf;

		/* A stack is live from its SP up; what lies below is stale and would hide
		 * leaks.  Threads created by glibc keep their TLS at the top of their stack. */
		if (sp < m->end) {
			start = sp - HS_FREEZE_RED_ZONE_BYTES < m->start ? m->start
									: sp - HS_FREEZE_RED_ZONE_BYTES;
			start &= ~7ull;
			r->kind = HS_REGION_STACK;
		}
		buf = take_buffer(f, m->end - start);
		if (!buf)
			return -ENOMEM;
		r->start = start;
		r->end = m->end;
		r->bytes = buf;
		r->file = m->file;
		r->heap = m->heap;
		snprintf(r->name, sizeof(r->name), "%s", m->name);
		for (uint64_t at = start; at < m->end && *job_count < cap; at += HS_COPY_JOB_BYTES)
			(*jobs)[(*job_count)++] = (struct hs_copy_job){
				.remote = at, .local = buf + (at - start), .tag = f->region_count,
				.len = m->end - at < HS_COPY_JOB_BYTES ? m->end - at : HS_COPY_JOB_BYTES,
			};
		f->region_count++;
	}
	return 0;
}

/* Copy the writable memory (every thread stopped), on every CPU the pool has. */
static int copy_memory(struct freezer *z)
{
	struct hs_freeze *f = z->f;
	struct map_list maps;
	struct hs_copy_job *jobs = NULL;
	size_t job_count = 0;
	double started = now_ms();
	uint64_t unreadable_anon = 0, copied = 0;
	int err = hs_writable_maps_read(f->pid, &maps);

	if (err) {
		snprintf(f->reason, sizeof(f->reason), "cannot read the memory map: %s",
			 strerror(-err));
		return err;
	}
	f->skipped_device_bytes = maps.device_bytes;
	err = plan_copy(z, &maps, &jobs, &job_count);
	if (!err)
		hs_copy_pool_run(z->pool, f->pid, jobs, job_count, z->deadline_ms,
				 f->copy_threads > 1);
	for (size_t i = 0; jobs && i < job_count; i++) {
		if (jobs[i].err) {
			if (!err || err == -ETIMEDOUT)
				err = jobs[i].err; /* a lost target says more than a timeout */
			continue;
		}
		copied += jobs[i].len;
		if (!f->regions[jobs[i].tag].file)
			unreadable_anon += jobs[i].unreadable_bytes;
	}
	if (err == -ETIMEDOUT)
		snprintf(f->reason, sizeof(f->reason),
			 "the copy took longer than --max-pause (%.0f ms): %llu of %llu bytes "
			 "copied in %.0f ms", z->config->max_pause_ms, (unsigned long long)copied,
			 (unsigned long long)maps.bytes, now_ms() - started);
	else if (err)
		snprintf(f->reason, sizeof(f->reason), "the copy failed: %s", strerror(-err));
	if (!err)
		f->copied_bytes = copied;
	free(jobs);
	free(maps.items);
	f->copy_ms = now_ms() - started;
	/* Anonymous memory always reads; a page that did not is memory whose pointers we
	 * would miss, and missing a root invents leaks. */
	if (!err && unreadable_anon) {
		snprintf(f->reason, sizeof(f->reason),
			 "the copy failed: %llu bytes of anonymous memory did not read",
			 (unsigned long long)unreadable_anon);
		err = -EIO;
	}
	return err;
}

static void detach_all(struct hs_freeze *f)
{
	for (size_t i = 0; i < f->thread_count; i++) {
		struct hs_freeze_thread *t = &f->threads[i];

		/* A thread whose stop was never seen cannot be detached while it runs: the
		 * kernel releases it when this (tracer) thread exits. */
		if (t->stopped)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(uintptr_t)t->pending_signal);
	}
}

/* For the SIGKILL test only: a freeze slow enough to be killed in. */
static void test_pause(void)
{
	const char *ms = getenv("HEAPSCOPE_TEST_FREEZE_SLEEP_MS");

	if (!ms || atoi(ms) <= 0)
		return;
	fprintf(stderr, "heapscope: test: target frozen\n");
	usleep(atoi(ms) * 1000);
}

static void *freeze_thread(void *arg)
{
	struct freezer *z = arg;
	struct hs_freeze *f = z->f;
	size_t added = 1;
	int err = 0;

	z->started_ms = now_ms();
	z->deadline_ms = z->started_ms + z->config->max_pause_ms;
	for (int pass = 0; !err && added && pass < MAX_TASK_PASSES; pass++)
		err = seize_new_threads(z, &added);
	if (!err && added) {
		err = -EAGAIN;
		snprintf(f->reason, sizeof(f->reason),
			 "threads kept appearing (%d listings of /proc/%d/task)", MAX_TASK_PASSES,
			 f->pid);
	}
	if (!err && f->thread_count == 0) {
		err = -ESRCH;
		snprintf(f->reason, sizeof(f->reason), "PID %d has exited", f->pid);
	}
	if (!err)
		err = wait_for_stops(z);
	if (!err)
		err = read_registers(f);
	if (!err)
		test_pause();
	if (!err)
		err = copy_memory(z);
	if (!err && z->config->on_stopped)
		z->config->on_stopped(z->config->ctx);
	detach_all(f);
	f->pause_ms = now_ms() - z->started_ms;
	z->err = err;
	return NULL;
}

static int estimate(pid_t pid, const struct hs_freeze_config *config, struct hs_copy_pool *pool,
		    struct hs_freeze *f)
{
	struct map_list maps;
	int err = hs_writable_maps_read(pid, &maps);

	if (err) {
		snprintf(f->reason, sizeof(f->reason), "cannot read the memory map: %s",
			 strerror(-err));
		return err;
	}
	/* Room for maps that grow a little before the freeze; more is allocated then. */
	f->arena_bytes = maps.bytes + maps.bytes / 8 + (8u << 20);
	f->arena = mmap(NULL, f->arena_bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	/* Huge pages where the kernel has them: a TLB miss per 4 KiB page is what the copy
	 * and the scan of a large heap cost most (several microseconds each under a
	 * shadow-paging hypervisor).  Then fault it all in, before the freeze. */
	if (f->arena != MAP_FAILED) {
		madvise(f->arena, f->arena_bytes, MADV_HUGEPAGE);
		if (madvise(f->arena, f->arena_bytes, MADV_POPULATE_WRITE))
			memset(f->arena, 0, f->arena_bytes);
	}
	if (f->arena == MAP_FAILED) {
		f->arena = NULL;
		free(maps.items);
		snprintf(f->reason, sizeof(f->reason), "cannot hold a copy of %llu bytes",
			 (unsigned long long)maps.bytes);
		return -ENOMEM;
	}
	f->copy_threads = maps.bytes >= HS_FREEZE_PARALLEL_COPY_BYTES ? pool->thread_count + 1 : 1;
	f->rate_bytes_per_ms = measure_rate(pid, &maps, pool, f->copy_threads > 1, f->arena,
					    f->arena_bytes < HS_FREEZE_RATE_SAMPLE_BYTES ?
						    f->arena_bytes : HS_FREEZE_RATE_SAMPLE_BYTES);
	f->estimate_ms = maps.bytes / f->rate_bytes_per_ms;
	if (f->estimate_ms > config->max_pause_ms) {
		snprintf(f->reason, sizeof(f->reason),
			 "copying %llu MiB would pause it ~%.0f ms (at %.1f GiB/s), over --max-pause "
			 "%.0f ms", (unsigned long long)(maps.bytes >> 20), f->estimate_ms,
			 f->rate_bytes_per_ms * 1e3 / (1 << 30), config->max_pause_ms);
		err = -ETIMEDOUT;
	}
	free(maps.items);
	return err;
}

/*
 * Freeze PID, copy its writable memory, let it go.  0, or -errno with f->reason saying why
 * (-EBUSY: traced by another; -ETIMEDOUT: over max_pause_ms; -ESRCH: gone).  Whatever the
 * outcome, the target runs on and is not traced when this returns; hs_freeze_free after.
 */
int hs_freeze_run(pid_t pid, const struct hs_freeze_config *config, struct hs_freeze *f)
{
	struct freezer z = { .f = f, .config = config, .thread_cap = HS_FREEZE_MAX_THREADS };
	struct hs_copy_pool pool;
	pid_t tracer = 0;
	pthread_t helper;
	int err;

	memset(f, 0, sizeof(*f));
	f->pid = pid;
	err = hs_proc_tracer(pid, &tracer);
	if (err) {
		snprintf(f->reason, sizeof(f->reason), "cannot read /proc/%d/status: %s", pid,
			 strerror(-err));
		return err;
	}
	if (tracer) {
		snprintf(f->reason, sizeof(f->reason),
			 "PID %d is already traced by PID %d (a debugger?)", pid, tracer);
		return -EBUSY;
	}
	/* The copy workers exist before the freeze and end after it (copy_pool.c). */
	err = hs_copy_pool_start(&pool);
	if (err)
		return err;
	z.pool = &pool;
	err = estimate(pid, config, &pool, f);
	if (!err) {
		f->threads = calloc(HS_FREEZE_MAX_THREADS, sizeof(*f->threads));
		err = f->threads ? 0 : -ENOMEM;
	}
	if (!err) {
		err = -pthread_create(&helper, NULL, freeze_thread, &z);
		if (err)
			snprintf(f->reason, sizeof(f->reason), "cannot start a thread: %s",
				 strerror(-err));
	}
	if (!err) {
		pthread_join(helper, NULL); /* its exit released any tracee it could not detach */
		err = z.err;
	}
	hs_copy_pool_stop(&pool);
	return err;
}

void hs_freeze_free(struct hs_freeze *f)
{
	if (f->arena)
		munmap(f->arena, f->arena_bytes);
	for (size_t i = 0; i < f->extra_count; i++)
		free(f->extra[i]);
	free(f->extra);
	free(f->threads);
	free(f->regions);
	memset(f, 0, sizeof(*f));
}

const struct hs_freeze_region *hs_freeze_region_at(const struct hs_freeze *f, uint64_t addr)
{
	size_t lo = 0, hi = f->region_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < f->regions[mid].start)
			hi = mid;
		else if (addr >= f->regions[mid].end)
			lo = mid + 1;
		else
			return &f->regions[mid];
	}
	return NULL;
}
