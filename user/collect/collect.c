// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * collect.c - consume the ring buffer and turn events into the live heap.
 *
 * Owns: decoding records, the live table, the per-stack totals and the
 * counters of everything that did not pair up.  Does not own: the kernel side
 * (attach.c) nor names (symbolize.c).
 *
 * Invariant: for every stack, live_bytes is the sum of the sizes of the live
 * table's blocks that point to it, and c->live_bytes is the sum over stacks.
 */
#include "collect/collect.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

int hs_collector_init(struct hs_collector *c, const struct hs_collect_limits *limits)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = hs_live_init(&c->live, limits->max_live);
	if (!err)
		err = hs_stacks_init(&c->stacks, limits->max_stacks);
	if (err)
		hs_collector_free(c);
	return err;
}

void hs_collector_free(struct hs_collector *c)
{
	if (c->ring)
		ring_buffer__free(c->ring);
	hs_live_free(&c->live);
	hs_stacks_free(&c->stacks);
	free(c->execed_pids);
	free(c->unknown_by_pid);
	free(c->forked);
	memset(c, 0, sizeof(*c));
}

static void release(struct hs_collector *c, const struct hs_live_block *block)
{
	struct hs_stack *stack = &c->stacks.stacks[block->stack_id];

	stack->live_bytes -= block->size;
	stack->live_count--;
	c->live_bytes -= block->size;
}

static void record_alloc(struct hs_collector *c, const struct hs_event *ev)
{
	uint32_t stack_id = hs_stacks_intern(&c->stacks, ev->pid, (const uint64_t *)ev->frames,
					     ev->nr_frames, ev->flags & HS_EVF_TRUNCATED);
	struct hs_stack *stack = &c->stacks.stacks[stack_id];
	struct hs_live_block block = {
		.addr = ev->addr,
		.size = ev->size,
		.ts_ns = ev->ts_ns,
		.pid = ev->pid,
		.stack_id = stack_id,
	}, replaced;
	int inserted;

	stack->alloc_bytes += ev->size;
	stack->alloc_count++;
	if (ev->flags & HS_EVF_TRUNCATED)
		c->truncated_stacks++;
	inserted = hs_live_insert(&c->live, &block, &replaced);
	if (inserted < 0) {
		c->untracked_allocs++;
		return;
	}
	if (inserted == 1) {
		c->replaced_blocks++;
		release(c, &replaced);
	}
	stack->live_bytes += ev->size;
	stack->live_count++;
	c->live_bytes += ev->size;
}

/*
 * The usable bytes of a glibc chunk from its size word (glibc 2.36 malloc.c: the low
 * three bits are PREV_INUSE, IS_MMAPPED, NON_MAIN_ARENA; malloc_usable_size is the
 * chunk size minus 8, minus 16 for a chunk of its own mapping), or 0 when the word is
 * none (0) or cannot be a chunk's: below MINSIZE (32), not 16-aligned, mmapped with
 * another flag (glibc sets IS_MMAPPED alone), or larger than HS_MAX_CHUNK_BYTES.  (A
 * thread arena's heap is 64 MiB at most, but 4 huge pages with glibc.malloc.hugetlb:
 * no bound of its own.)  The
 * word comes from the target's memory: a plausible lie passes, an absurd one does not.
 */
uint64_t hs_chunk_usable_bytes(uint64_t chunk_word)
{
	uint64_t size = chunk_word & ~7ull;
	bool mmapped = chunk_word & 2;

	if (size < 32 || (size & 15) || size > HS_MAX_CHUNK_BYTES || (mmapped && (chunk_word & 5)))
		return 0;
	return size - (mmapped ? 16 : 8);
}

/* The unknown frees of pid, created on its first; NULL past HS_COLLECT_MAX_PIDS or no memory. */
static struct hs_unknown_frees *unknown_of(struct hs_collector *c, uint32_t pid)
{
	struct hs_unknown_frees *bigger;
	size_t capacity;

	for (size_t i = c->unknown_pid_count; i-- > 0;)
		if (c->unknown_by_pid[i].pid == pid)
			return &c->unknown_by_pid[i];
	if (c->unknown_pid_count == HS_COLLECT_MAX_PIDS)
		return NULL;
	if (c->unknown_pid_count == c->unknown_pid_capacity) {
		capacity = c->unknown_pid_capacity ? 2 * c->unknown_pid_capacity : 8;
		bigger = realloc(c->unknown_by_pid, capacity * sizeof(*bigger));
		if (!bigger)
			return NULL;
		c->unknown_by_pid = bigger;
		c->unknown_pid_capacity = capacity;
	}
	c->unknown_by_pid[c->unknown_pid_count] = (struct hs_unknown_frees){ .pid = pid };
	return &c->unknown_by_pid[c->unknown_pid_count++];
}

/* Sums of hostile values do not wrap: they stop at the largest. */
static uint64_t add_saturated(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* A block not allocated during the session was freed: bytes 0 when not measured. */
static void count_unknown_free(struct hs_collector *c, uint32_t pid, uint64_t bytes)
{
	struct hs_unknown_frees *mine = unknown_of(c, pid);

	c->unknown_frees++;
	c->unknown_free_bytes = add_saturated(c->unknown_free_bytes, bytes);
	c->unknown_frees_unmeasured += !bytes;
	if (!mine)
		return;
	mine->count++;
	mine->bytes = add_saturated(mine->bytes, bytes);
	mine->unmeasured += !bytes;
}

/* The session's unknown frees of pid (zeros when it had none). */
struct hs_unknown_frees hs_collector_unknown_frees(const struct hs_collector *c, uint32_t pid)
{
	for (size_t i = 0; i < c->unknown_pid_count; i++)
		if (c->unknown_by_pid[i].pid == pid)
			return c->unknown_by_pid[i];
	return (struct hs_unknown_frees){ .pid = pid };
}

/* chunk_word: a free's glibc size word (0: none); a realloc's old block has none. */
static void record_free(struct hs_collector *c, uint32_t pid, uint64_t addr, uint64_t chunk_word)
{
	struct hs_live_block block;
	uint64_t bytes;

	if (hs_live_remove(&c->live, pid, addr, &block)) {
		release(c, &block);
		return;
	}
	bytes = hs_chunk_usable_bytes(chunk_word);
	c->implausible_chunk_words += chunk_word && !bytes;
	count_unknown_free(c, pid, bytes);
}

/*
 * A realloc event arrives when realloc returns, but the old block was released
 * inside it, earlier: another thread may have been handed the same address and
 * reported it first.  A live block at old_addr that was allocated after this
 * realloc began is that other thread's block and stays.
 */
static void record_realloc(struct hs_collector *c, const struct hs_event *ev)
{
	struct hs_live_block old;

	if (!ev->addr && ev->size)
		return; /* it failed: the old block is still the caller's */
	if (!hs_live_find(&c->live, ev->pid, ev->old_addr, &old))
		count_unknown_free(c, ev->pid, 0);
	else if (old.ts_ns <= ev->entry_ts_ns)
		record_free(c, ev->pid, ev->old_addr, 0);
	if (ev->addr)
		record_alloc(c, ev);
}

static bool execed(const struct hs_collector *c, uint32_t pid)
{
	for (size_t i = 0; i < c->execed_count; i++)
		if (c->execed_pids[i] == pid)
			return true;
	return false;
}

static int record_exec(struct hs_collector *c, uint32_t pid)
{
	uint32_t *bigger;

	if (execed(c, pid))
		return 0;
	bigger = realloc(c->execed_pids, (c->execed_count + 1) * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	c->execed_pids = bigger;
	c->execed_pids[c->execed_count++] = pid;
	return 0;
}

/* Target parent forked child (tgids): kept for the session to attach it (--follow). */
static int record_fork(struct hs_collector *c, uint32_t parent, uint32_t child)
{
	struct hs_fork *bigger;
	size_t capacity;

	c->forks++;
	if (c->forked_count == HS_COLLECT_MAX_FORKS) {
		c->forks_not_kept++;
		return 0;
	}
	if (c->forked_count == c->forked_capacity) {
		capacity = c->forked_capacity ? 2 * c->forked_capacity : 16;
		bigger = realloc(c->forked, capacity * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		c->forked = bigger;
		c->forked_capacity = capacity;
	}
	c->forked[c->forked_count++] = (struct hs_fork){ parent, child };
	return 0;
}

/* Up to max of the forks not taken yet, oldest first; returns how many.  Those taken are
 * forgotten. */
size_t hs_collector_take_forks(struct hs_collector *c, struct hs_fork *forks, size_t max)
{
	size_t n = c->forked_count < max ? c->forked_count : max;

	if (!n)
		return 0;
	memcpy(forks, c->forked, n * sizeof(*forks));
	memmove(c->forked, c->forked + n, (c->forked_count - n) * sizeof(*forks));
	c->forked_count -= n;
	return n;
}

/* Does the record decode?  Address 0 is never a block: the kernel side reports
 * no NULL results and no free(NULL), and the live table cannot hold it. */
static bool well_formed(const struct hs_event *ev, size_t size)
{
	if (size < HS_FREE_EVENT_SIZE)
		return false;
	if (ev->kind == HS_EV_FREE)
		return ev->addr != 0;
	if (ev->kind == HS_EV_EXEC)
		return true;
	if (ev->kind == HS_EV_FORK)
		return ev->tid != 0 && ev->tid != ev->pid;
	if (size < HS_EVENT_HDR_SIZE || ev->nr_frames > HS_MAX_FRAMES ||
	    size < HS_EVENT_HDR_SIZE + ev->nr_frames * sizeof(ev->frames[0]))
		return false;
	if (ev->kind == HS_EV_ALLOC)
		return ev->addr != 0;
	if (ev->kind == HS_EV_REALLOC)
		return ev->old_addr != 0;
	return true;
}

int hs_collector_apply(struct hs_collector *c, const void *record, size_t size)
{
	const struct hs_event *ev = record;

	if (!well_formed(ev, size)) {
		c->malformed_events++;
		return 0;
	}
	if (c->execed_count && execed(c, ev->pid)) {
		c->events_after_exec++;
		return 0;
	}
	c->events++;
	/* A free carries no time: its chunk_word shares the place. */
	if (ev->kind != HS_EV_FREE && !c->first_ts_ns)
		c->first_ts_ns = ev->ts_ns;
	if (ev->kind != HS_EV_FREE && ev->ts_ns > c->last_ts_ns)
		c->last_ts_ns = ev->ts_ns;
	switch (ev->kind) {
	case HS_EV_ALLOC:
		c->allocs++;
		record_alloc(c, ev);
		break;
	case HS_EV_FREE:
		c->frees++;
		record_free(c, ev->pid, ev->addr, ev->chunk_word);
		break;
	case HS_EV_REALLOC:
		c->reallocs++;
		record_realloc(c, ev);
		break;
	case HS_EV_EXEC:
		return record_exec(c, ev->pid);
	case HS_EV_FORK:
		return record_fork(c, ev->pid, ev->tid);
	default:
		c->malformed_events++;
	}
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	return hs_collector_apply(ctx, data, size);
}

int hs_collector_open_ring(struct hs_collector *c, int ringbuf_map_fd)
{
	c->ring = ring_buffer__new(ringbuf_map_fd, on_record, c, NULL);
	return c->ring ? 0 : -errno;
}

/*
 * Wait up to timeout_ms for a wakeup, then drain whatever is there: the BPF side
 * wakes us only when much data is pending, so a timeout is the normal case.
 * Returns the number of records consumed or a negative errno.
 */
int hs_collector_poll(struct hs_collector *c, int timeout_ms)
{
	int polled = ring_buffer__poll(c->ring, timeout_ms);
	int drained;

	if (polled < 0 && polled != -EINTR)
		return polled;
	drained = ring_buffer__consume(c->ring);
	if (drained < 0)
		return drained;
	return (polled > 0 ? polled : 0) + drained;
}

size_t hs_collector_memory_bytes(const struct hs_collector *c)
{
	return hs_live_memory_bytes(&c->live) + hs_stacks_memory_bytes(&c->stacks) +
	       c->unknown_pid_capacity * sizeof(*c->unknown_by_pid);
}
