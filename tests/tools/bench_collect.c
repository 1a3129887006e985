// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_collect [SECONDS [LIVE_BLOCKS]] - how many events per second of CPU time the collector
 * (decode, live table, stack interning: hs_collector_apply) absorbs, with
 * no kernel in the way.  Part of `make bench`: the ceiling above which the ring
 * buffer would fill and drop, whatever the probes cost.
 *
 * The stream is synthetic but shaped like bench_alloc's: a ring of LIVE_BLOCKS
 * (RING_SLOTS) live blocks, each step one free (no stack) and one allocation
 * carrying one of STACKS distinct 16-frame stacks; it repeats with period
 * 2 * LIVE_BLOCKS.  A million live blocks shows the table out of the caches.
 *
 * bench_collect --hold BLOCKS - the collector's memory per live block: its
 * anonymous RSS grown by BLOCKS allocations kept live (32-byte blocks 32 bytes
 * apart, as glibc hands them out, over STACKS stacks), divided by BLOCKS; and
 * the peak on the way (VmHWM, reset first), which holds a growing table's old
 * and new slots at once.  heapscope's own figure (make bench) adds what the
 * rest of a session keeps; this one needs no kernel, so it goes to 10M blocks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect.h"
#include "events.h"

#define RING_SLOTS 4096
#define EVENTS (2 * RING_SLOTS) /* prepared, of each kind */
#define STACKS 256
#define DEPTH 16

/* The thread's CPU time, not the wall clock: on a shared machine the wall clock counts
 * the neighbours' time slices too, which made runs differ threefold. */
static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t block_addr(size_t step, size_t period)
{
	return 0x7f0000000000ull + (step % period) * 64;
}

/* A field of /proc/self/status, in kB; -1 if unread. */
static long status_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			kb = atol(line + strlen(field));
	if (f)
		fclose(f);
	return kb;
}

/* 5 into clear_refs: the peak RSS (VmHWM) starts again from the current RSS. */
static void reset_peak_rss(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "5", 1) != 1)
			fprintf(stderr, "bench_collect: cannot reset VmHWM: peak not measured\n");
		close(fd);
	}
}

static int hold(size_t blocks)
{
	struct hs_collect_limits limits = { .max_live = blocks, .max_stacks = 1 << 16 };
	struct hs_event *ev = calloc(1, sizeof(*ev));
	long rss_before_kb, rss_after_kb, peak_before_kb, peak_kb;
	struct hs_collector c;

	if (!ev || hs_collector_init(&c, &limits)) {
		fprintf(stderr, "bench_collect: out of memory\n");
		return 1;
	}
	/* The stacks first, so the figure is the live table's growth, as in a session
	 * whose stacks are known before its blocks pile up. */
	*ev = (struct hs_event){ .pid = 1, .tid = 1, .kind = HS_EV_ALLOC, .size = 32,
				 .nr_frames = DEPTH };
	for (size_t s = 0; s < STACKS; s++) {
		for (int d = 0; d < DEPTH; d++)
			ev->frames[d] = 0x400000 + s * 0x100 + d * 0x10000;
		ev->addr = 0x10000 + s * 32;
		hs_collector_apply(&c, ev, HS_EVENT_HDR_SIZE + DEPTH * sizeof(ev->frames[0]));
	}
	reset_peak_rss();
	rss_before_kb = status_kb("RssAnon:");
	peak_before_kb = status_kb("VmHWM:");
	for (size_t i = STACKS; i < blocks; i++) {
		for (int d = 0; d < DEPTH; d++)
			ev->frames[d] = 0x400000 + (i % STACKS) * 0x100 + d * 0x10000;
		ev->addr = 0x7f0000000000ull + i * 32;
		ev->ts_ns = i;
		hs_collector_apply(&c, ev, HS_EVENT_HDR_SIZE + DEPTH * sizeof(ev->frames[0]));
	}
	rss_after_kb = status_kb("RssAnon:");
	peak_kb = status_kb("VmHWM:");
	printf("collector memory: %.1f bytes per live block at %zu live blocks (anonymous RSS "
	       "+%ld KiB; peak on the way +%ld KiB, %.1f bytes per block)\n",
	       (rss_after_kb - rss_before_kb) * 1024.0 / (blocks - STACKS), (size_t)c.live.count,
	       rss_after_kb - rss_before_kb, peak_kb - peak_before_kb,
	       (peak_kb - peak_before_kb) * 1024.0 / (blocks - STACKS));
	hs_collector_free(&c);
	free(ev);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--hold") == 0)
		return hold(strtoull(argv[2], NULL, 0));

	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	size_t ring_slots = argc > 2 ? strtoull(argv[2], NULL, 0) : RING_SLOTS;
	size_t period = 2 * ring_slots;
	struct hs_collect_limits limits = { .max_live = ring_slots + (1 << 20), .max_stacks = 1 << 16 };
	struct hs_event *allocs = calloc(EVENTS, sizeof(*allocs));
	struct hs_event *frees = calloc(EVENTS, HS_EVENT_HDR_SIZE);
	struct hs_collector c;
	uint64_t events = 0;
	double start, elapsed;

	if (!allocs || !frees || !ring_slots || hs_collector_init(&c, &limits)) {
		fprintf(stderr, "bench_collect: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < EVENTS; i++) {
		struct hs_event *a = &allocs[i];
		struct hs_event *f = (struct hs_event *)((char *)frees + i * HS_EVENT_HDR_SIZE);

		*a = (struct hs_event){ .size = 16 + i % 1000, .pid = 1, .tid = 1,
					.kind = HS_EV_ALLOC, .nr_frames = DEPTH };
		for (int d = 0; d < DEPTH; d++)
			a->frames[d] = 0x400000 + (i % STACKS) * 0x100 + d * 0x10000;
		*f = (struct hs_event){ .pid = 1, .tid = 1, .kind = HS_EV_FREE, .fn = HS_FN_FREE };
	}
	start = now_s();
	do {
		for (size_t i = 0; i < period; i++) {
			struct hs_event *a = &allocs[i % EVENTS];
			struct hs_event *f =
				(struct hs_event *)((char *)frees + i % EVENTS * HS_EVENT_HDR_SIZE);

			/* The addresses are written as the events are applied, so a ring of
			 * any size cycles through EVENTS prepared events (8 MiB, out of the
			 * caches as a ring buffer's are). */
			f->ts_ns = i;
			f->addr = block_addr(i + period - ring_slots, period);
			hs_collector_apply(&c, f, HS_EVENT_HDR_SIZE);
			a->ts_ns = a->entry_ts_ns = i;
			a->addr = block_addr(i, period);
			hs_collector_apply(&c, a, HS_EVENT_HDR_SIZE + DEPTH * sizeof(a->frames[0]));
		}
		events += 2 * period;
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	printf("collector %.0f events/s of CPU (%.0f ns/event), %llu events, %llu live blocks, "
	       "%zu stacks\n",
	       events / elapsed, elapsed * 1e9 / events, (unsigned long long)events,
	       (unsigned long long)c.live.count, (size_t)c.stacks.count);
	hs_collector_free(&c);
	free(allocs);
	free(frees);
	return 0;
}
