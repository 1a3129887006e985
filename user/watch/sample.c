// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sample.c - the watched processes and one reading of each: /proc figures (RSS, anonymous,
 * threads) and, for glibc processes, the allocator's state read from outside by user/inspect
 * with, in the same reading, its largest C++ types (top_types.c, over the walk's own copy).
 *
 * Owns: the set of watched processes (found, kept while alive, dropped when gone or when
 * their PID is reused), where each one's glibc state is (located once, refreshed never: the
 * addresses of main_arena and mp_ are fixed for a process's life), its read-error counter.
 * Does not own: reading the heap (inspect/), the /proc parsers it calls (target/procfs),
 * how readings are written (prometheus.c, record.c), when they are taken (cli/cmd_watch.c).
 * Invariants: no probes, no ptrace: a reading is process_vm_readv and /proc only, so the target
 * never stops.  The cost is bounded by a CPU budget per interval, whatever the heaps' sizes: the
 * /proc figures are read every interval (constant cost), but a heap reading copies the whole heap
 * (inspect/ walks every chunk), so when reading every heap would cost more than the budget, each
 * heap is read every heap_stride-th interval, processes staggered.  Whatever a target's memory
 * holds, a reading ends (inspect/ bounds every walk) and a bad one is an error counted on that
 * process, never a crash or a stall of the other processes.  A process is identified by (pid,
 * starttime): a PID reused by a new process is a new series, not the old one's continuation.
 */
#include "watch/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/array.h"

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * /proc/PID/stat: comm, num_threads (field 20), starttime (field 22).  comm may hold spaces
 * and parentheses (the process chose it), so fields are counted from the last ')'.
 */
int hs_watch_proc_stat(pid_t pid, uint64_t *start_ticks, uint32_t *threads, char *comm,
		       size_t comm_len)
{
	char path[64], text[1024], *comm_start, *comm_end, *field, *save = NULL;
	unsigned long long value;
	ssize_t got;
	int fd, number = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got <= 0)
		return got < 0 ? -errno : -ESRCH;
	text[got] = '\0';
	comm_start = strchr(text, '(');
	comm_end = strrchr(text, ')');
	if (!comm_start || !comm_end || comm_end < comm_start || comm_end[1] != ' ')
		return -EINVAL;
	if (comm && comm_len) {
		size_t n = (size_t)(comm_end - comm_start - 1);

		n = n < comm_len - 1 ? n : comm_len - 1;
		memcpy(comm, comm_start + 1, n);
		comm[n] = '\0';
	}
	*start_ticks = 0;
	*threads = 0;
	for (field = strtok_r(comm_end + 2, " ", &save); field;
	     field = strtok_r(NULL, " ", &save), number++) {
		if (number != 20 && number != 22)
			continue;
		value = strtoull(field, NULL, 10);
		if (number == 20)
			*threads = value > UINT32_MAX ? UINT32_MAX : (uint32_t)value;
		else
			*start_ticks = value;
	}
	return number > 22 ? 0 : -EINVAL;
}

static struct hs_watch_process *find(const struct hs_watch *w, pid_t pid)
{
	for (size_t i = 0; i < w->count; i++)
		if (w->items[i]->pid == pid)
			return w->items[i];
	return NULL;
}

static void drop(struct hs_watch *w, size_t index)
{
	hs_watch_vtables_free(&w->items[index]->vtables);
	free(w->items[index]);
	memmove(&w->items[index], &w->items[index + 1],
		(w->count - index - 1) * sizeof(w->items[0]));
	w->count--;
}

/* Start watching pid: 0, -ESRCH when it is gone already, -ENOSPC at the limit. */
int hs_watch_add(struct hs_watch *w, pid_t pid)
{
	struct hs_watch_process *p;
	uint32_t threads;
	ssize_t len;
	char path[64];
	int err;

	if (w->count >= HS_WATCH_MAX_PROCESSES) {
		w->not_watched++;
		return -ENOSPC;
	}
	err = hs_array_reserve((void **)&w->items, &w->capacity, w->count, sizeof(w->items[0]), 16);
	if (err)
		return err;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->objects = &w->objects;
	p->max_types = w->max_types < HS_WATCH_MAX_TYPES ? w->max_types : HS_WATCH_MAX_TYPES;
	err = hs_watch_proc_stat(pid, &p->start_ticks, &threads, p->comm, sizeof(p->comm));
	if (err) {
		free(p);
		return err == -ENOENT ? -ESRCH : err;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	len = readlink(path, p->exe, sizeof(p->exe) - 1);
	p->exe[len > 0 ? len : 0] = '\0';
	p->seen = true;
	w->items[w->count++] = p;
	return 0;
}

/*
 * The processes that should be watched now are pids (a --exe scan, or the -p list still
 * alive): new ones are added, gone ones dropped (their series end: gone from the page),
 * and a PID now run by another process (another starttime) starts again from nothing.
 */
int hs_watch_sync(struct hs_watch *w, const pid_t *pids, size_t count)
{
	int err = 0;

	for (size_t i = 0; i < w->count; i++)
		w->items[i]->seen = false;
	for (size_t i = 0; i < count; i++) {
		struct hs_watch_process *p = find(w, pids[i]);
		uint64_t start_ticks;
		uint32_t threads;

		if (p && hs_watch_proc_stat(pids[i], &start_ticks, &threads, NULL, 0) == 0 &&
		    start_ticks == p->start_ticks) {
			p->seen = true;
			continue;
		}
		if (p)
			p->pid = 0; /* the old process is gone; a new one has its PID */
		if (hs_watch_add(w, pids[i]) == -ENOMEM)
			err = -ENOMEM;
	}
	for (size_t i = w->count; i-- > 0;)
		if (!w->items[i]->seen)
			drop(w, i);
	return err;
}

/* The current [heap] end: glibc's trim test looks at it, and brk moves. */
static void refresh_heap_end(const struct hs_target_memory *tm, struct hs_glibc_location *loc)
{
	loc->heap_end = 0;
	for (size_t i = 0; i < tm->maps.count; i++)
		if (strcmp(tm->maps.items[i].path, "[heap]") == 0)
			loc->heap_end = tm->maps.items[i].end;
}

/* Should this interval look for glibc in p (again)? */
static bool locate_due(const struct hs_watch_process *p)
{
	if (p->allocator != HS_WATCH_ALLOC_UNKNOWN)
		return false;
	return p->locate_tries < HS_WATCH_LOCATE_TRIES ||
	       p->intervals % HS_WATCH_LOCATE_RETRY == 0;
}

/*
 * r->types: the largest C++ types of the heap just read (top_types.c), from the chunks its walk
 * kept; the vtable table is p's, refreshed before the heap was read.  A process that maps no
 * vtable at all (a C program) has none, and its walk kept nothing.  A census that cannot be
 * taken leaves the reading without types (types_error says why), not without its heap.
 */
static void read_types(struct hs_target_memory *tm, struct hs_watch_process *p,
		       const struct hs_glibc_heap *heap, struct hs_watch_reading *r)
{
	int err = p->vtables.error;

	if (!err && p->vtables.types.count)
		err = hs_watch_top_types(tm, &p->vtables.types, heap, p->max_types, r->types,
					 &r->type_count);
	r->types_read = !err;
	if (err)
		snprintf(r->types_error, sizeof(r->types_error), "%s",
			 err == -E2BIG ? "too many chunks or vtables to name" : strerror(-err));
}

static int read_allocator(struct hs_watch_process *p, struct hs_watch_reading *r)
{
	struct hs_glibc_read_options read = { 0 };
	struct hs_target_memory tm;
	struct hs_glibc_heap heap;
	double cpu_s;
	int err;

	err = hs_tm_open_pid(&tm, p->pid);
	if (err) {
		snprintf(r->error, sizeof(r->error), "cannot read its memory: %s", strerror(-err));
		return err;
	}
	if (locate_due(p)) {
		char why[sizeof(p->allocator_why)];

		p->locate_tries++;
		struct hs_glibc_locate_options locate = { .objects = p->objects };

		err = hs_glibc_locate(&tm, &locate, &p->loc, why, sizeof(why));
		snprintf(p->allocator_why, sizeof(p->allocator_why), "%s", err ? why : "");
		if (!err) {
			p->allocator = HS_WATCH_ALLOC_GLIBC;
		} else if (err == -ENOTSUP || (err == -ENOENT &&
						p->locate_tries >= HS_WATCH_LOCATE_TRIES)) {
			/* Not glibc's malloc, or one heapscope does not know: not an error. */
			p->allocator = HS_WATCH_ALLOC_OTHER;
			err = 0;
		} else if (err == -ENOENT) {
			err = 0; /* just exec()ed: the dynamic linker maps libc in a moment */
		} else {
			snprintf(r->error, sizeof(r->error), "cannot locate glibc's malloc state: %.120s",
				 why);
		}
	}
	if (err || p->allocator != HS_WATCH_ALLOC_GLIBC) {
		hs_tm_close(&tm);
		return err;
	}
	refresh_heap_end(&tm, &p->loc);
	/* The vtables of its files, before the clock starts: built once, like the search for glibc
	 * above, and again only when its mappings change. */
	if (p->max_types)
		hs_watch_vtables_refresh(&p->vtables, p->objects, &tm);
	/* The census replays the chunks the read's walk kept (the heap is read once); only a
	 * process with vtables needs them kept (24 bytes a chunk while it is read). */
	read.keep_in_use = p->max_types && !p->vtables.error && p->vtables.types.count;
	/* The cost the budget plans with: this read and its census, not the one-off searches. */
	cpu_s = thread_cpu_s();
	err = hs_glibc_heap_read_with(&tm, &p->loc, &read, &heap);
	if (!err && p->max_types)
		read_types(&tm, p, &heap, r);
	p->heap_cpu_s = thread_cpu_s() - cpu_s;
	if (err) {
		snprintf(r->error, sizeof(r->error), "cannot read the heap: %s", strerror(-err));
		hs_tm_close(&tm);
		return err;
	}
	r->allocator_read = true;
	r->consistent = heap.consistent && !heap.damaged;
	if (!r->consistent)
		snprintf(r->error, sizeof(r->error), "%.159s", heap.reason);
	r->total = heap.total;
	r->mmapped_bytes = heap.mmapped_bytes;
	r->mmapped_chunks = heap.mmapped_chunks;
	r->arenas = heap.arena_count > UINT32_MAX ? UINT32_MAX : (uint32_t)heap.arena_count;
	hs_glibc_heap_free(&heap);
	hs_tm_close(&tm);
	return 0;
}

/*
 * One reading of p, its heap too when heap_due: -ESRCH when it is gone (or its PID is
 * another process's now), another -errno when something could not be read (counted in
 * p->read_errors, r->error says what; the /proc figures may still be there), 0 when
 * everything was read.
 */
int hs_watch_read_process(struct hs_watch_process *p, bool heap_due, struct hs_watch_reading *r)
{
	double started_s = monotonic_s();
	uint64_t start_ticks;
	int err = 0, proc_err;

	memset(r, 0, sizeof(*r));
	r->t_s = realtime_s();
	p->intervals++;
	err = hs_watch_proc_stat(p->pid, &start_ticks, &r->threads, NULL, 0);
	if (err || start_ticks != p->start_ticks)
		return -ESRCH;
	proc_err = hs_proc_memory(p->pid, &r->mem);
	if (proc_err == -ESRCH || !hs_proc_alive(p->pid))
		return -ESRCH;
	if (heap_due && p->allocator != HS_WATCH_ALLOC_OTHER)
		err = read_allocator(p, r);
	if (!err && proc_err) {
		err = proc_err;
		snprintf(r->error, sizeof(r->error), "cannot read /proc/%d: %s", p->pid,
			 strerror(-err));
	}
	r->read_duration_s = monotonic_s() - started_s;
	if (err) {
		/* It may have exited during the reading: that is not an error, it is gone. */
		if (!hs_proc_alive(p->pid))
			return -ESRCH;
		p->read_errors++;
	}
	p->last = *r;
	p->has_reading = true;
	if (r->allocator_read) {
		p->last_heap = *r;
		p->has_heap = true;
	}
	return err;
}

/*
 * Every how many intervals each heap can be read for heap_budget_cpu_s of CPU per interval:
 * what the last reading of every heap cost, over the budget.  Never 0; at most
 * HS_WATCH_MAX_HEAP_STRIDE, so that even a huge heap is read now and then.
 */
static unsigned heap_stride(const struct hs_watch *w, double budget_cpu_s)
{
	double cost_s = 0, stride, heap_budget_cpu_s;

	if (budget_cpu_s <= 0)
		return 1;
	for (size_t i = 0; i < w->count; i++)
		cost_s += w->items[i]->heap_cpu_s;
	/* What /proc and the rest cost last time is spent every interval: the heaps get the rest,
	 * and at least a tenth of the budget. */
	heap_budget_cpu_s = fmax(budget_cpu_s - w->last_fixed_cpu_s, budget_cpu_s / 10);
	stride = ceil(cost_s / heap_budget_cpu_s);
	return stride < 1 ? 1 : stride > HS_WATCH_MAX_HEAP_STRIDE ? HS_WATCH_MAX_HEAP_STRIDE :
								    (unsigned)stride;
}

/*
 * One reading of every process, within budget_cpu_s of CPU on average (see heap_stride; 0:
 * every heap every time); the gone are dropped.  A process whose heap was never read is read
 * now: a new process shows its heap at once, and its cost is learnt.
 */
int hs_watch_read_all(struct hs_watch *w, double budget_cpu_s)
{
	double started_s = monotonic_s(), started_cpu_s = thread_cpu_s(), heap_cpu_s = 0;
	struct hs_watch_reading r;

	w->heap_stride = heap_stride(w, budget_cpu_s);
	for (size_t i = w->count; i-- > 0;) {
		struct hs_watch_process *p = w->items[i];
		bool due = !p->has_heap || (w->cycles + i) % w->heap_stride == 0;

		if (hs_watch_read_process(p, due, &r) == -ESRCH) {
			drop(w, i);
			continue;
		}
		if (due)
			heap_cpu_s += p->heap_cpu_s;
		w->readings++;
	}
	w->cycles++;
	w->last_cycle_s = monotonic_s() - started_s;
	w->last_cycle_cpu_s = thread_cpu_s() - started_cpu_s;
	w->last_fixed_cpu_s = fmax(0, w->last_cycle_cpu_s - heap_cpu_s);
	return 0;
}

void hs_watch_free(struct hs_watch *w)
{
	for (size_t i = 0; i < w->count; i++) {
		hs_watch_vtables_free(&w->items[i]->vtables);
		free(w->items[i]);
	}
	free(w->items);
	hs_objects_free(&w->objects);
	memset(w, 0, sizeof(*w));
}
