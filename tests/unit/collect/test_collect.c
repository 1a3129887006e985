// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_collect.c - what events mean for the live heap (user/collect/collect.c), fed
 * with hand-built ring-buffer records: allocations, frees, reallocations
 * (moved, in place, realloc(p, 0), failed), a realloc whose old block another
 * thread was handed before the realloc's event arrived, unknown frees,
 * replaced blocks, events after the target exec()ed and records that do not
 * decode.  Live bytes are checked per stack, exactly; then random sessions
 * against a reference model.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "collect/collect.h"
#include "events.h"

#define PID 100

struct session {
	struct hs_collector c;
	uint64_t clock_ns;
};

static void session_start(struct session *s, size_t max_live, size_t max_stacks)
{
	struct hs_collect_limits limits = { .max_live = max_live, .max_stacks = max_stacks };

	memset(s, 0, sizeof(*s));
	CHECK_EQ(hs_collector_init(&s->c, &limits), 0);
	s->clock_ns = 1000;
}

/* One record as the BPF side writes it: header plus the captured frames only. */
static size_t make_event(struct hs_event *ev, uint8_t kind, uint32_t pid, uint64_t addr,
			 uint64_t old_addr, uint64_t size, uint64_t entry_ts_ns, uint64_t ts_ns,
			 const uint64_t *frames, uint16_t nr_frames)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = ts_ns;
	ev->entry_ts_ns = entry_ts_ns;
	ev->addr = addr;
	ev->old_addr = old_addr;
	ev->size = size;
	ev->pid = pid;
	ev->tid = pid;
	ev->kind = kind;
	ev->nr_frames = nr_frames;
	if (nr_frames)
		memcpy(ev->frames, frames, nr_frames * sizeof(*frames));
	return HS_EVENT_HDR_SIZE + nr_frames * sizeof(*frames);
}

/* Stack "callsite": a two-frame stack, different for each callsite number. */
static const uint64_t *stack_of(unsigned callsite)
{
	static uint64_t frames[64][2];

	frames[callsite][0] = 0x401000 + callsite * 0x10;
	frames[callsite][1] = 0x400500;
	return frames[callsite];
}

static void apply(struct session *s, uint8_t kind, uint32_t pid, uint64_t addr, uint64_t old_addr,
		  uint64_t size, uint64_t entry_ts_ns, unsigned callsite)
{
	struct hs_event ev;
	uint16_t nr_frames = kind == HS_EV_FREE ? 0 : 2;
	size_t len = make_event(&ev, kind, pid, addr, old_addr, size, entry_ts_ns, ++s->clock_ns,
				stack_of(callsite), nr_frames);

	if (kind == HS_EV_FREE)
		ev.chunk_word = 0; /* a free carries no time; no chunk header was read */
	CHECK_EQ(hs_collector_apply(&s->c, &ev, len), 0);
}

/* A free whose probe read glibc's chunk size word (HS_COOKIE_GLIBC_CHUNK sites). */
static void free_chunk(struct session *s, uint32_t pid, uint64_t addr, uint64_t chunk_word)
{
	struct hs_event ev;

	make_event(&ev, HS_EV_FREE, pid, addr, 0, 0, 0, 0, NULL, 0);
	ev.chunk_word = chunk_word;
	CHECK_EQ(hs_collector_apply(&s->c, &ev, HS_FREE_EVENT_SIZE), 0);
}

static void alloc(struct session *s, uint64_t addr, uint64_t size, unsigned callsite)
{
	apply(s, HS_EV_ALLOC, PID, addr, 0, size, s->clock_ns + 1, callsite);
}

static void free_block(struct session *s, uint64_t addr)
{
	apply(s, HS_EV_FREE, PID, addr, 0, 0, s->clock_ns + 1, 0);
}

static void realloc_block(struct session *s, uint64_t old_addr, uint64_t addr, uint64_t size,
			  unsigned callsite)
{
	apply(s, HS_EV_REALLOC, PID, addr, old_addr, size, s->clock_ns + 1, callsite);
}

/* The stack a callsite's events were interned as. */
static const struct hs_stack *stack(struct session *s, uint32_t pid, unsigned callsite)
{
	size_t before = s->c.stacks.count;
	uint32_t id = hs_stacks_intern(&s->c.stacks, pid, stack_of(callsite), 2, false);

	CHECK_EQ(s->c.stacks.count, before); /* it existed */
	return &s->c.stacks.stacks[id];
}

/* The collector's invariant: per-stack live bytes and counts add up to the live
 * table's blocks and to the total. */
static void check_invariant(struct session *s)
{
	uint64_t bytes = 0, count = 0, table_bytes = 0;

	for (size_t i = 0; i < s->c.stacks.count; i++) {
		bytes += s->c.stacks.stacks[i].live_bytes;
		count += s->c.stacks.stacks[i].live_count;
	}
	hs_live_foreach(&s->c.live, block)
		table_bytes += block->size;
	CHECK_EQ(bytes, s->c.live_bytes);
	CHECK_EQ(table_bytes, s->c.live_bytes);
	CHECK_EQ(count, s->c.live.count);
}

static void test_alloc_and_free(void)
{
	struct session s;

	session_start(&s, 1000, 100);
	alloc(&s, 0x1000, 100, 1);
	alloc(&s, 0x2000, 30, 1);
	alloc(&s, 0x3000, 7, 2);
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 130);
	CHECK_EQ(stack(&s, PID, 1)->live_count, 2);
	CHECK_EQ(stack(&s, PID, 2)->live_bytes, 7);
	free_block(&s, 0x1000);
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 30);
	CHECK_EQ(stack(&s, PID, 1)->live_count, 1);
	CHECK_EQ(stack(&s, PID, 1)->alloc_bytes, 130);
	CHECK_EQ(stack(&s, PID, 1)->alloc_count, 2);
	CHECK_EQ(s.c.live_bytes, 37);
	CHECK_EQ(s.c.allocs, 3);
	CHECK_EQ(s.c.frees, 1);
	CHECK_EQ(s.c.events, 4);
	CHECK_EQ(s.c.first_ts_ns, 1001);
	CHECK_EQ(s.c.last_ts_ns, 1003); /* the free's place holds no time */
	check_invariant(&s);
	hs_collector_free(&s.c);
}

static void test_unknown_free(void)
{
	struct session s;

	session_start(&s, 1000, 100);
	alloc(&s, 0x1000, 10, 1);
	free_block(&s, 0x9000);					   /* allocated before attach */
	apply(&s, HS_EV_FREE, PID + 1, 0x1000, 0, 0, s.clock_ns, 0); /* other process */
	CHECK_EQ(s.c.unknown_frees, 2);
	CHECK_EQ(s.c.live_bytes, 10);
	free_block(&s, 0x1000);
	free_block(&s, 0x1000); /* twice: the second is unknown */
	CHECK_EQ(s.c.unknown_frees, 3);
	CHECK_EQ(s.c.live_bytes, 0);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

/* glibc 2.36: usable = chunk size - 8, or - 16 for a chunk of its own mapping; the word's
 * low three bits are flags; words no chunk can have are refused (0). */
static void test_chunk_usable_bytes(void)
{
	CHECK_EQ(hs_chunk_usable_bytes(0x20 | 1), 24);	    /* malloc(1..24), PREV_INUSE */
	CHECK_EQ(hs_chunk_usable_bytes(0x410 | 1 | 4), 0x408); /* a thread arena's chunk */
	CHECK_EQ(hs_chunk_usable_bytes(0x21000 | 2), 0x21000 - 16); /* mmapped */
	CHECK_EQ(hs_chunk_usable_bytes(0x21000 | 2 | 1), 0);	    /* mmapped has no other flag */
	CHECK_EQ(hs_chunk_usable_bytes(0), 0);			    /* not read */
	CHECK_EQ(hs_chunk_usable_bytes(0x10 | 1), 0);		    /* below MINSIZE */
	CHECK_EQ(hs_chunk_usable_bytes(0x28 | 1), 0);		    /* not 16-aligned */
	CHECK_EQ(hs_chunk_usable_bytes((128ull << 20) | 1), (128ull << 20) - 8); /* main arena */
	CHECK_EQ(hs_chunk_usable_bytes(HS_MAX_CHUNK_BYTES + 16), 0);
	CHECK_EQ(hs_chunk_usable_bytes(~0ull), 0);
}

/* Unknown frees' bytes, per process, from the chunk words; the rest counted unmeasured. */
static void test_unknown_free_bytes(void)
{
	struct session s;
	struct hs_unknown_frees mine, other;

	session_start(&s, 1000, 100);
	alloc(&s, 0x1000, 10, 1);
	free_chunk(&s, PID, 0x1000, 0x20 | 1);	   /* seen allocated: not unknown */
	free_chunk(&s, PID, 0x9000, 0x40 | 1);	   /* 56 usable bytes */
	free_chunk(&s, PID, 0xa000, 0x21000 | 2);  /* mmapped */
	free_chunk(&s, PID, 0xb000, 0x1234567);	   /* mmapped with arena bits: unmeasured */
	free_chunk(&s, PID + 1, 0xc000, 0);	   /* not read (not glibc's) */
	free_chunk(&s, PID + 1, 0xd000, 0x30 | 5); /* 40 */
	realloc_block(&s, 0xe000, 0xf000, 100, 1); /* an old block reallocated: no word */
	CHECK_EQ(s.c.unknown_frees, 6);
	CHECK_EQ(s.c.unknown_free_bytes, 56 + 0x21000 - 16 + 40);
	CHECK_EQ(s.c.unknown_frees_unmeasured, 3);
	CHECK_EQ(s.c.implausible_chunk_words, 1);
	mine = hs_collector_unknown_frees(&s.c, PID);
	other = hs_collector_unknown_frees(&s.c, PID + 1);
	CHECK_EQ(mine.count, 4);
	CHECK_EQ(mine.bytes, 56 + 0x21000 - 16);
	CHECK_EQ(mine.unmeasured, 2);
	CHECK_EQ(other.count, 2);
	CHECK_EQ(other.bytes, 40);
	CHECK_EQ(other.unmeasured, 1);
	CHECK_EQ(hs_collector_unknown_frees(&s.c, PID + 2).count, 0);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

/* A fork record (--follow): kept until the session takes it; one naming no child, or the
 * parent itself, does not decode. */
static void test_fork_events(void)
{
	struct session s;
	struct hs_event ev;
	struct hs_fork forks[4];

	session_start(&s, 1000, 100);
	for (uint32_t child = 201; child <= 203; child++) {
		make_event(&ev, HS_EV_FORK, PID, 0, 0, 0, 0, 5000, NULL, 0);
		ev.tid = child;
		CHECK_EQ(hs_collector_apply(&s.c, &ev, HS_FREE_EVENT_SIZE), 0);
	}
	ev.tid = 0;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, HS_FREE_EVENT_SIZE), 0);
	ev.tid = PID;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, HS_FREE_EVENT_SIZE), 0);
	CHECK_EQ(s.c.malformed_events, 2);
	CHECK_EQ(s.c.forks, 3);
	CHECK_EQ(hs_collector_take_forks(&s.c, forks, 2), 2);
	CHECK_EQ(forks[0].parent, PID);
	CHECK_EQ(forks[0].child, 201);
	CHECK_EQ(forks[1].child, 202);
	CHECK_EQ(hs_collector_take_forks(&s.c, forks, 4), 1);
	CHECK_EQ(forks[0].child, 203);
	CHECK_EQ(hs_collector_take_forks(&s.c, forks, 4), 0);
	CHECK_EQ(s.c.live_bytes, 0);
	hs_collector_free(&s.c);
}

static void test_realloc(void)
{
	struct session s;
	struct hs_live_block found;

	session_start(&s, 1000, 100);
	alloc(&s, 0x1000, 100, 1);
	realloc_block(&s, 0x1000, 0x5000, 400, 2); /* moved: the new block is realloc's caller's */
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 0);
	CHECK_EQ(stack(&s, PID, 2)->live_bytes, 400);
	CHECK(!hs_live_find(&s.c.live, PID, 0x1000, &found));

	realloc_block(&s, 0x5000, 0x5000, 50, 3); /* in place, shrunk */
	CHECK_EQ(stack(&s, PID, 2)->live_bytes, 0);
	CHECK_EQ(stack(&s, PID, 3)->live_bytes, 50);
	CHECK_EQ(s.c.live.count, 1);

	realloc_block(&s, 0x5000, 0, 0, 4); /* realloc(p, 0) returned NULL: p is freed */
	CHECK_EQ(stack(&s, PID, 3)->live_bytes, 0);
	CHECK_EQ(s.c.live_bytes, 0);
	CHECK_EQ(s.c.live.count, 0);
	CHECK_EQ(s.c.reallocs, 3);
	CHECK_EQ(s.c.unknown_frees, 0);

	realloc_block(&s, 0x7000, 0x8000, 8, 5); /* of a block from before attach */
	CHECK_EQ(s.c.unknown_frees, 1);
	CHECK_EQ(stack(&s, PID, 5)->live_bytes, 8);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

/* Blocks of 4 GiB and more (their size past a live slot's 32 bits) count exactly, in
 * the stack's and the session's live bytes, through realloc and free. */
static void test_blocks_past_4_gib(void)
{
	struct session s;
	struct hs_live_block found;

	session_start(&s, 1000, 100);
	alloc(&s, 0x10000, 5ull << 30, 1);
	alloc(&s, 0x20000, UINT32_MAX, 1);
	alloc(&s, 0x30000, 100, 1);
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, (5ull << 30) + UINT32_MAX + 100);
	CHECK_EQ(s.c.live_bytes, (5ull << 30) + UINT32_MAX + 100);
	CHECK(hs_live_find(&s.c.live, PID, 0x10000, &found));
	CHECK_EQ(found.size, 5ull << 30);
	realloc_block(&s, 0x30000, 0x30000, 6ull << 30, 2); /* grown in place past 4 GiB */
	realloc_block(&s, 0x10000, 0x40000, 8, 2);	     /* moved and shrunk under it */
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, UINT32_MAX);
	CHECK_EQ(stack(&s, PID, 2)->live_bytes, (6ull << 30) + 8);
	check_invariant(&s);
	free_block(&s, 0x20000);
	free_block(&s, 0x30000);
	free_block(&s, 0x40000);
	CHECK_EQ(s.c.live_bytes, 0);
	CHECK_EQ(s.c.unknown_frees, 0);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

static void test_failed_realloc_keeps_block(void)
{
	struct session s;
	struct hs_live_block found;

	session_start(&s, 1000, 100);
	alloc(&s, 0x1000, 100, 1);
	realloc_block(&s, 0x1000, 0, 1 << 30, 2); /* NULL for a non-zero size: failed */
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 100);
	CHECK(hs_live_find(&s.c.live, PID, 0x1000, &found));
	CHECK_EQ(s.c.live_bytes, 100);
	CHECK_EQ(s.c.unknown_frees, 0);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

/*
 * Thread A calls realloc(0x1000, 200): glibc moves the block to 0x2000 and
 * releases 0x1000 inside the call.  Before A's realloc event is written,
 * thread B's malloc is handed 0x1000 and its event arrives first.  When A's
 * event arrives, the live block at 0x1000 is B's (allocated after A entered
 * realloc) and must stay.
 */
static void test_realloc_old_block_reused_by_other_thread(void)
{
	struct session s;
	struct hs_event ev;
	size_t len;

	session_start(&s, 1000, 100);
	alloc(&s, 0x1000, 100, 1);
	uint64_t a_entered = ++s.clock_ns;
	alloc(&s, 0x1000, 64, 2); /* thread B; A's free was never seen: a replaced block */
	CHECK_EQ(s.c.replaced_blocks, 1);
	len = make_event(&ev, HS_EV_REALLOC, PID, 0x2000, 0x1000, 200, a_entered, ++s.clock_ns,
			 stack_of(3), 2);
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len), 0);
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 0);
	CHECK_EQ(stack(&s, PID, 2)->live_bytes, 64);
	CHECK_EQ(stack(&s, PID, 3)->live_bytes, 200);
	CHECK_EQ(s.c.live_bytes, 264);
	CHECK_EQ(s.c.unknown_frees, 0);

	/* The same realloc when no other thread took the address: the old block goes. */
	alloc(&s, 0x3000, 10, 4);
	len = make_event(&ev, HS_EV_REALLOC, PID, 0x4000, 0x3000, 20, s.clock_ns + 1,
			 s.clock_ns + 2, stack_of(5), 2);
	s.clock_ns += 2;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len), 0);
	CHECK_EQ(stack(&s, PID, 4)->live_bytes, 0);
	CHECK_EQ(stack(&s, PID, 5)->live_bytes, 20);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

/* An address handed out again while we think it is live: its free was lost. */
static void test_replaced_block(void)
{
	struct session s;

	session_start(&s, 1000, 100);
	alloc(&s, 0x1000, 100, 1);
	alloc(&s, 0x1000, 40, 2);
	CHECK_EQ(s.c.replaced_blocks, 1);
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 0);
	CHECK_EQ(stack(&s, PID, 1)->live_count, 0);
	CHECK_EQ(stack(&s, PID, 1)->alloc_bytes, 100);
	CHECK_EQ(stack(&s, PID, 2)->live_bytes, 40);
	CHECK_EQ(s.c.live_bytes, 40);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

static void test_limits_are_counted(void)
{
	struct session s;

	session_start(&s, 2, 2); /* two live blocks; HS_STACK_LOST and one stack */
	alloc(&s, 0x1000, 1, 1);
	alloc(&s, 0x2000, 2, 2); /* stack table full: kept under HS_STACK_LOST */
	alloc(&s, 0x3000, 4, 1); /* live table full: untracked */
	CHECK_EQ(s.c.untracked_allocs, 1);
	CHECK_EQ(s.c.stacks.overflowed, 1);
	CHECK_EQ(s.c.stacks.stacks[HS_STACK_LOST].live_bytes, 2);
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 1);
	CHECK_EQ(stack(&s, PID, 1)->alloc_bytes, 5);
	CHECK_EQ(s.c.live_bytes, 3);
	free_block(&s, 0x3000); /* never tracked: unknown */
	CHECK_EQ(s.c.unknown_frees, 1);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

static void test_truncated_stack_counted(void)
{
	struct session s;
	struct hs_event ev;
	struct hs_live_block found;
	size_t len;

	session_start(&s, 100, 100);
	len = make_event(&ev, HS_EV_ALLOC, PID, 0x1000, 0, 8, 1, 2, stack_of(1), 2);
	ev.flags = HS_EVF_TRUNCATED;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len), 0);
	CHECK_EQ(s.c.truncated_stacks, 1);
	CHECK(hs_live_find(&s.c.live, PID, 0x1000, &found));
	CHECK(s.c.stacks.stacks[found.stack_id].truncated);
	hs_collector_free(&s.c);
}

/* After a target exec()s, its events belong to another program: ignored and
 * counted; what it held before stays as it was; other targets go on. */
static void test_events_after_exec_ignored(void)
{
	struct session s;

	session_start(&s, 100, 100);
	alloc(&s, 0x1000, 10, 1);
	apply(&s, HS_EV_ALLOC, PID + 1, 0x1000, 0, 20, s.clock_ns + 1, 1);
	apply(&s, HS_EV_EXEC, PID, 0, 0, 0, s.clock_ns + 1, 0);
	apply(&s, HS_EV_EXEC, PID, 0, 0, 0, s.clock_ns + 1, 0); /* the new program's exec */
	alloc(&s, 0x2000, 30, 1);
	free_block(&s, 0x1000);
	apply(&s, HS_EV_FREE, PID + 1, 0x1000, 0, 0, s.clock_ns + 1, 0);
	CHECK_EQ(s.c.events_after_exec, 3);
	CHECK_EQ(s.c.execed_count, 1);
	CHECK_EQ(stack(&s, PID, 1)->live_bytes, 10);
	CHECK_EQ(stack(&s, PID + 1, 1)->live_bytes, 0);
	CHECK_EQ(s.c.live_bytes, 10);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

/* Records that do not decode are counted and change nothing. */
static void test_malformed_records(void)
{
	struct session s;
	struct hs_event ev;
	size_t len;

	session_start(&s, 100, 100);
	len = make_event(&ev, HS_EV_ALLOC, PID, 0x1000, 0, 8, 1, 2, stack_of(1), 2);
	CHECK_EQ(hs_collector_apply(&s.c, &ev, HS_EVENT_HDR_SIZE - 1), 0); /* short header */
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len - 1), 0);		   /* frames cut off */
	ev.nr_frames = HS_MAX_FRAMES + 1;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, sizeof(ev)), 0); /* more frames than exist */
	ev.nr_frames = 2;
	ev.kind = 77;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len), 0); /* unknown kind */
	ev.kind = HS_EV_ALLOC;
	ev.addr = 0;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len), 0); /* a NULL block */
	ev.kind = HS_EV_FREE;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len), 0); /* free(NULL) is never reported */
	ev.kind = HS_EV_REALLOC;
	ev.addr = 0x2000;
	ev.old_addr = 0;
	CHECK_EQ(hs_collector_apply(&s.c, &ev, len), 0); /* realloc(NULL, n) is an alloc */
	CHECK_EQ(s.c.malformed_events, 7);
	CHECK_EQ(s.c.live.count, 0);
	CHECK_EQ(s.c.live_bytes, 0);
	CHECK_EQ(s.c.unknown_frees, 0);
	CHECK_EQ(s.c.allocs + s.c.frees + s.c.reallocs, 0);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

/*
 * Random sessions of two processes: allocations from 8 callsites, frees
 * (some of blocks never seen), reallocations (moved, in place, to 0), with a
 * model that keeps each live block's callsite.  At the end every stack's live
 * bytes and counts equal the model's.
 */
struct model_block {
	uint32_t pid;
	uint64_t addr, size;
	unsigned callsite;
};

static void test_random_against_model(void)
{
	enum { MAX_BLOCKS = 4000, STEPS = 100000, CALLSITES = 8 };
	static struct model_block blocks[MAX_BLOCKS];
	size_t count = 0, unknown = 0, mismatches = 0;
	uint64_t seed = 7, next_addr = 0x10000;
	struct session s;

	session_start(&s, MAX_BLOCKS, 100);
	for (size_t step = 0; step < STEPS; step++) {
		uint64_t r = check_random(&seed);
		unsigned callsite = r % CALLSITES;
		uint32_t pid = PID + (r >> 3) % 2;
		size_t victim = count ? (r >> 4) % count : 0;
		uint64_t size = 1 + (r >> 16) % 5000;
		int op = (r >> 8) % 10;

		if (op < 4 && count < MAX_BLOCKS) {
			blocks[count++] = (struct model_block){ pid, next_addr, size, callsite };
			apply(&s, HS_EV_ALLOC, pid, next_addr, 0, size, s.clock_ns + 1, callsite);
			next_addr += 16;
		} else if (op < 7 && count) {
			apply(&s, HS_EV_FREE, blocks[victim].pid, blocks[victim].addr, 0, 0,
			      s.clock_ns + 1, 0);
			blocks[victim] = blocks[--count];
		} else if (op < 9 && count) {
			struct model_block *b = &blocks[victim];
			uint64_t to = (r >> 12) % 3 == 0 ? b->addr : next_addr;

			next_addr += to == next_addr ? 16 : 0;
			if ((r >> 14) % 5 == 0)
				size = 0; /* realloc(p, 0) */
			apply(&s, HS_EV_REALLOC, b->pid, size ? to : 0, b->addr, size, s.clock_ns + 1,
			      callsite);
			if (size)
				*b = (struct model_block){ b->pid, to, size, callsite };
			else
				*b = blocks[--count];
		} else {
			apply(&s, HS_EV_FREE, pid, 0x8 + 16 * (r % 1000), 0, 0, s.clock_ns + 1, 0);
			unknown++;
		}
	}
	for (uint32_t pid = PID; pid < PID + 2; pid++) {
		for (unsigned callsite = 0; callsite < CALLSITES; callsite++) {
			uint64_t bytes = 0, n = 0;
			uint32_t id = hs_stacks_intern(&s.c.stacks, pid, stack_of(callsite), 2, false);

			for (size_t i = 0; i < count; i++) {
				if (blocks[i].pid == pid && blocks[i].callsite == callsite) {
					bytes += blocks[i].size;
					n++;
				}
			}
			mismatches += s.c.stacks.stacks[id].live_bytes != bytes;
			mismatches += s.c.stacks.stacks[id].live_count != n;
		}
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(s.c.live.count, count);
	CHECK_EQ(s.c.unknown_frees, unknown);
	CHECK_EQ(s.c.replaced_blocks, 0);
	CHECK_EQ(s.c.untracked_allocs, 0);
	check_invariant(&s);
	hs_collector_free(&s.c);
}

int main(void)
{
	TEST(test_alloc_and_free);
	TEST(test_unknown_free);
	TEST(test_chunk_usable_bytes);
	TEST(test_unknown_free_bytes);
	TEST(test_fork_events);
	TEST(test_realloc);
	TEST(test_blocks_past_4_gib);
	TEST(test_failed_realloc_keeps_block);
	TEST(test_realloc_old_block_reused_by_other_thread);
	TEST(test_replaced_block);
	TEST(test_limits_are_counted);
	TEST(test_truncated_stack_counted);
	TEST(test_events_after_exec_ignored);
	TEST(test_malformed_records);
	TEST(test_random_against_model);
	return check_summary();
}
