// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_collect [SECONDS] - how many events per second the collector (decode,
 * live table, stack interning: hs_collector_apply) absorbs on one core, with
 * no kernel in the way.  Part of `make bench`: the ceiling above which the ring
 * buffer would fill and drop, whatever the probes cost.
 *
 * The stream is synthetic but shaped like bench_alloc's: a ring of RING_SLOTS
 * live blocks, each step one free (no stack) and one allocation carrying one
 * of STACKS distinct 16-frame stacks; it repeats with period 2 * RING_SLOTS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/collect.h"
#include "events.h"

#define RING_SLOTS 4096
#define PERIOD (2 * RING_SLOTS)
#define STACKS 256
#define DEPTH 16

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t block_addr(size_t step)
{
	return 0x7f0000000000ull + (step % PERIOD) * 64;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	struct hs_collect_limits limits = { .max_live = 1 << 20, .max_stacks = 1 << 16 };
	struct hs_event *allocs = calloc(PERIOD, sizeof(*allocs));
	struct hs_event *frees = calloc(PERIOD, HS_EVENT_HDR_SIZE);
	struct hs_collector c;
	uint64_t events = 0;
	double start, elapsed;

	if (!allocs || !frees || hs_collector_init(&c, &limits)) {
		fprintf(stderr, "bench_collect: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < PERIOD; i++) {
		struct hs_event *a = &allocs[i];
		struct hs_event *f = (struct hs_event *)((char *)frees + i * HS_EVENT_HDR_SIZE);

		*a = (struct hs_event){ .ts_ns = i, .entry_ts_ns = i, .addr = block_addr(i),
					.size = 16 + i % 1000, .pid = 1, .tid = 1,
					.kind = HS_EV_ALLOC, .nr_frames = DEPTH };
		for (int d = 0; d < DEPTH; d++)
			a->frames[d] = 0x400000 + (i % STACKS) * 0x100 + d * 0x10000;
		*f = (struct hs_event){ .ts_ns = i, .addr = block_addr(i + PERIOD - RING_SLOTS),
					.pid = 1, .tid = 1, .kind = HS_EV_FREE, .fn = HS_FN_FREE };
	}
	start = now_s();
	do {
		for (size_t i = 0; i < PERIOD; i++) {
			hs_collector_apply(&c, (char *)frees + i * HS_EVENT_HDR_SIZE,
					   HS_EVENT_HDR_SIZE);
			hs_collector_apply(&c, &allocs[i],
					   HS_EVENT_HDR_SIZE + DEPTH * sizeof(allocs[i].frames[0]));
		}
		events += 2 * PERIOD;
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	printf("collector %.0f events/s (%.0f ns/event), %llu events, %llu live blocks, "
	       "%zu stacks\n",
	       events / elapsed, elapsed * 1e9 / events, (unsigned long long)events,
	       (unsigned long long)c.live.count, (size_t)c.stacks.count);
	hs_collector_free(&c);
	free(allocs);
	free(frees);
	return 0;
}
