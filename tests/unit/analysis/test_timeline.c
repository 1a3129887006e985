// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_timeline.c - user/analysis/timeline.c: points and rates, thinning when the
 * points are full, which stacks get a series and when their zeros are known,
 * the eviction of small series for large stacks, the memory figures read
 * from /proc (procfs.c) on this very process, and each process's own points
 * (from when it is added until it ends, thinned with the session's), and glibc's
 * figures handed in for one point at a time.
 */
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "analysis/timeline.h"

struct fixture {
	struct hs_timeline tl;
	struct hs_stack_table stacks;
};

static void setup(struct fixture *f)
{
	CHECK_EQ(hs_timeline_init(&f->tl, 1.0, 0), 0);
	CHECK_EQ(hs_timeline_add_process(&f->tl, getpid()), 0);
	CHECK_EQ(hs_stacks_init(&f->stacks, 1 << 20), 0);
}

static void teardown(struct fixture *f)
{
	hs_timeline_free(&f->tl);
	hs_stacks_free(&f->stacks);
}

static uint32_t stack(struct fixture *f, uint64_t frame)
{
	return hs_stacks_intern(&f->stacks, 1, &frame, 1, false);
}

/* A stack's series as analysis.c finds it (among the tracked ones), or NULL: none. */
static const struct hs_stack_series *series_of(const struct hs_timeline *tl, uint32_t stack_id)
{
	for (size_t s = 0; s < tl->series_count; s++)
		if (tl->series[s].stack_id == stack_id)
			return &tl->series[s];
	return NULL;
}

static void add(struct fixture *f, double t_s, uint64_t allocs)
{
	struct hs_timeline_point point = {.t_s = t_s, .allocs = allocs, .frees = allocs / 2};

	CHECK_EQ(hs_timeline_add(&f->tl, &f->stacks, &point), 0);
}

static void test_rates(void)
{
	struct fixture f;
	struct hs_timeline_rates rates;
	uint32_t a;

	setup(&f);
	a = stack(&f, 0x1000);
	for (int i = 0; i < 5; i++) {
		f.stacks.stacks[a].alloc_bytes = 1000 * i;
		add(&f, i * 0.5, 100 * i);
	}
	CHECK_EQ(f.tl.count, 5);
	CHECK_EQ(f.tl.points[4].alloc_bytes, 4000);
	hs_timeline_rates(&f.tl, 1, 3, &rates);
	CHECK(rates.allocs_per_s == 200);
	CHECK(rates.frees_per_s == 100);
	CHECK(rates.alloc_bytes_per_s == 2000);
	hs_timeline_rates(&f.tl, 2, 2, &rates);
	CHECK(rates.allocs_per_s == 0);
	teardown(&f);
}

/* 300 points into 256: every other one of the first 256 goes, the rest follow. */
static void test_thinning(void)
{
	struct fixture f;
	const struct hs_stack_series *series;
	uint32_t a;

	setup(&f);
	a = stack(&f, 0x1000);
	for (int i = 0; i < 300; i++) {
		f.stacks.stacks[a].live_bytes = 10 * i + 1;
		add(&f, i, 0);
	}
	CHECK_EQ(f.tl.count, 128 + 44);
	CHECK_EQ(f.tl.thinned, 1);
	CHECK(f.tl.interval_s == 2.0);
	CHECK(f.tl.points[0].t_s == 0);
	CHECK(f.tl.points[127].t_s == 254);
	CHECK(f.tl.points[128].t_s == 256);
	CHECK(f.tl.points[f.tl.count - 1].t_s == 299);
	series = series_of(&f.tl, a);
	CHECK(series != NULL);
	for (size_t i = 0; series && i < f.tl.count; i++)
		CHECK_EQ(series->live_bytes[i], 10 * f.tl.points[i].t_s + 1);
	teardown(&f);
}

/* A stack first holding memory at point 3 has a series with known zeros before. */
static void test_series_starts_with_known_zeros(void)
{
	struct fixture f;
	const struct hs_stack_series *series;
	uint32_t a, b;

	setup(&f);
	a = stack(&f, 0x1000);
	add(&f, 0, 0);
	b = stack(&f, 0x2000); /* interned, but nothing live yet */
	add(&f, 1, 0);
	add(&f, 2, 0);
	CHECK(series_of(&f.tl, a) == NULL);
	CHECK(series_of(&f.tl, b) == NULL);
	f.stacks.stacks[b].live_bytes = 500;
	add(&f, 3, 0);
	f.stacks.stacks[b].live_bytes = 0; /* a series keeps its zeros */
	add(&f, 4, 0);
	series = series_of(&f.tl, b);
	CHECK(series != NULL);
	if (series) {
		CHECK_EQ(series->known_from, 0);
		CHECK_EQ(series->live_bytes[2], 0);
		CHECK_EQ(series->live_bytes[3], 500);
		CHECK_EQ(series->live_bytes[4], 0);
		CHECK_EQ(series->peak_bytes, 500);
	}
	CHECK_EQ(hs_timeline_stacks_without_series(&f.tl), 0);
	teardown(&f);
}

/* Full: a large newcomer takes the smallest peak's place; small ones are dropped. */
static void test_eviction(void)
{
	struct fixture f;
	const struct hs_stack_series *series;
	uint32_t ids[HS_TIMELINE_MAX_STACKS], big, small;

	setup(&f);
	for (int i = 0; i < HS_TIMELINE_MAX_STACKS; i++) {
		ids[i] = stack(&f, 0x1000 + i);
		f.stacks.stacks[ids[i]].live_bytes = i + 1;
	}
	add(&f, 0, 0);
	CHECK_EQ(f.tl.series_count, HS_TIMELINE_MAX_STACKS);
	big = stack(&f, 0x900000);
	small = stack(&f, 0x900001);
	f.stacks.stacks[big].live_bytes = 1000000;
	f.stacks.stacks[small].live_bytes = 1;
	add(&f, 1, 0);
	CHECK(series_of(&f.tl, ids[0]) == NULL); /* peak 1: given up */
	CHECK(series_of(&f.tl, small) == NULL);  /* 1 is not above the smallest peak */
	series = series_of(&f.tl, big);
	CHECK(series && series->known_from == 0 && series->live_bytes[0] == 0 &&
	      series->live_bytes[1] == 1000000);
	CHECK_EQ(hs_timeline_stacks_without_series(&f.tl), 2);
	/* A dropped stack that grows gets a series again, known from then on only. */
	f.stacks.stacks[small].live_bytes = 5000000;
	add(&f, 2, 0);
	series = series_of(&f.tl, small);
	CHECK(series && series->known_from == 2 && series->live_bytes[2] == 5000000);
	CHECK(series_of(&f.tl, ids[1]) == NULL); /* peak 2 went for it */
	CHECK_EQ(hs_timeline_stacks_without_series(&f.tl), 2);
	teardown(&f);
}

static void test_memory_figures(void)
{
	const char *status = "Name:\tx\nVmRSS:\t  1234 kB\nRssAnon:\t     100 kB\n";
	const char *maps =
		"55d0-55e0 r-xp 00000000 08:01 12 /bin/x\n"
		"5600000-5621000 rw-p 00000000 00:00 0                          [heap]\n";
	struct hs_collector c;
	struct hs_collect_limits limits = {16, 16};
	struct hs_timeline tl;
	uint64_t bytes = 0;

	CHECK(hs_proc_field_bytes(status, "VmRSS", &bytes) && bytes == 1234 * 1024);
	CHECK(hs_proc_field_bytes(status, "RssAnon", &bytes) && bytes == 100 * 1024);
	CHECK(!hs_proc_field_bytes(status, "Rss", &bytes)); /* a prefix is not a key */
	CHECK_EQ(hs_maps_heap_bytes(maps), 0x21000);
	CHECK_EQ(hs_maps_heap_bytes("55d0-55e0 r-xp 00000000 08:01 12 /bin/x\n"), 0);

	/* This process, read the way the timeline reads a target. */
	CHECK_EQ(hs_collector_init(&c, &limits), 0);
	CHECK_EQ(hs_timeline_init(&tl, 1.0, 0), 0);
	CHECK_EQ(hs_timeline_add_process(&tl, getpid()), 0);
	CHECK_EQ(hs_timeline_tick(&tl, &c, 10.0), 0);
	CHECK_EQ(hs_timeline_tick(&tl, &c, 10.5), 0); /* not due yet */
	CHECK_EQ(hs_timeline_tick(&tl, &c, 11.0), 0);
	CHECK_EQ(tl.count, 2);
	CHECK(tl.points[0].t_s == 10.0 && tl.points[1].t_s == 11.0);
	CHECK(tl.points[0].mem.valid);
	CHECK(tl.points[0].mem.rss_bytes >= tl.points[0].mem.anon_bytes);
	CHECK(tl.points[0].mem.anon_bytes > 0);
#ifndef __SANITIZE_ADDRESS__ /* ASan's allocator maps its memory: no brk heap */
	CHECK(tl.points[0].mem.heap_bytes > 0); /* this test's own malloc uses brk */
#endif
	/* The end: memory at the session-over instant, the collector's state after the drain. */
	hs_timeline_mark_end(&tl, 12.5);
	c.live_bytes = 777;
	CHECK_EQ(hs_timeline_finish(&tl, &c), 0);
	CHECK_EQ(tl.count, 3);
	CHECK(tl.points[2].t_s == 12.5 && tl.points[2].mem.valid);
	CHECK_EQ(tl.points[2].live_bytes, 777);
	hs_timeline_free(&tl);
	hs_collector_free(&c);
}

/* Two processes' stacks, one added late and one ended early: each gets its own sums. */
static void test_process_points(void)
{
	struct fixture f;
	const struct hs_process_timeline *p1, *p2;
	uint32_t a, b, lost;
	uint64_t frame = 0x1000;

	setup(&f); /* this process is the first: pid getpid() */
	a = hs_stacks_intern(&f.stacks, getpid(), &frame, 1, false);
	b = hs_stacks_intern(&f.stacks, 4242, &frame, 1, false);
	lost = HS_STACK_LOST;
	f.stacks.stacks[a].live_bytes = 100;
	f.stacks.stacks[a].live_count = 1;
	f.stacks.stacks[a].alloc_bytes = 300;
	f.stacks.stacks[a].alloc_count = 3;
	f.stacks.stacks[b].live_bytes = 7;
	f.stacks.stacks[lost].live_bytes = 1000; /* no process's */
	add(&f, 0, 0);
	CHECK_EQ(hs_timeline_add_process(&f.tl, 4242), 0);
	add(&f, 1, 0);
	p1 = hs_timeline_process(&f.tl, getpid());
	p2 = hs_timeline_process(&f.tl, 4242);
	CHECK(p1 && p2 && hs_timeline_process(&f.tl, 1) == NULL);
	if (!p1 || !p2) {
		teardown(&f);
		return;
	}
	CHECK_EQ(p1->count, 2);
	CHECK_EQ(p2->count, 1); /* from the point after it was added */
	CHECK(p2->points[0].t_s == 1);
	CHECK_EQ(p1->points[1].live_bytes, 100);
	CHECK_EQ(p1->points[1].live_count, 1);
	CHECK_EQ(p1->points[1].allocs, 3);
	CHECK_EQ(p1->points[1].frees, 2); /* its blocks seen allocated and gone */
	CHECK_EQ(p1->points[1].alloc_bytes, 300);
	CHECK_EQ(p2->points[0].live_bytes, 7);
	hs_timeline_end_process(&f.tl, getpid());
	f.stacks.stacks[b].live_bytes = 9;
	add(&f, 2, 0);
	CHECK_EQ(p1->count, 2); /* ended: no more points */
	CHECK_EQ(p2->count, 2);
	CHECK_EQ(p2->points[1].live_bytes, 9);
	/* Thinned with the session, each keeping its own first point. */
	for (int i = 3; i < 300; i++)
		add(&f, i, 0);
	CHECK_EQ(f.tl.count, 128 + 44);
	CHECK_EQ(p1->count, 1);
	CHECK(p1->points[0].t_s == 0);
	CHECK(p2->count <= f.tl.count && p2->points[0].t_s == 1);
	CHECK(p2->points[p2->count - 1].t_s == 299);
	teardown(&f);
}

/* The session's memory is the sum over its live processes that could be read. */
static void test_process_memory(void)
{
	struct hs_collector c;
	struct hs_collect_limits limits = {16, 16};
	struct hs_timeline tl;
	const struct hs_process_timeline *self;

	CHECK_EQ(hs_collector_init(&c, &limits), 0);
	CHECK_EQ(hs_timeline_init(&tl, 1.0, 0), 0);
	CHECK_EQ(hs_timeline_add_process(&tl, getpid()), 0);
	CHECK_EQ(hs_timeline_add_process(&tl, 0x3fffffff), 0); /* never a PID: never read */
	CHECK_EQ(hs_timeline_sample(&tl, &c, 1.0), 0);
	self = hs_timeline_process(&tl, getpid());
	CHECK(self && self->count == 1 && self->points[0].mem.valid);
	CHECK(!hs_timeline_process(&tl, 0x3fffffff)->points[0].mem.valid);
	CHECK(tl.points[0].mem.valid);
	CHECK_EQ(tl.points[0].mem.rss_bytes, self->points[0].mem.rss_bytes);
	hs_timeline_end_process(&tl, getpid());
	CHECK_EQ(hs_timeline_sample(&tl, &c, 2.0), 0);
	CHECK(!tl.points[1].mem.valid); /* nobody left to read */
	hs_timeline_free(&tl);
	hs_collector_free(&c);
}

/* glibc's figures go to the next point only; the session's are the sum once every live
 * process has its own. */
static void test_malloc_figures(void)
{
	struct hs_collector c;
	struct hs_collect_limits limits = {16, 16};
	struct hs_timeline tl;
	const struct hs_process_timeline *self, *other;
	struct hs_malloc_figures mine = { true, 1000, 900, 5000, 800 };
	struct hs_malloc_figures theirs = { true, 10, 9, 50, 8 };

	CHECK_EQ(hs_collector_init(&c, &limits), 0);
	CHECK_EQ(hs_timeline_init(&tl, 1.0, 0), 0);
	CHECK_EQ(hs_timeline_add_process(&tl, getpid()), 0);
	CHECK_EQ(hs_timeline_add_process(&tl, 4242), 0);
	CHECK(hs_timeline_due(&tl, 0) && !hs_timeline_due(&tl, -0.5));
	hs_timeline_set_malloc(&tl, getpid(), &mine);
	hs_timeline_set_malloc(&tl, 77, &mine); /* not a process of the session: ignored */
	CHECK_EQ(hs_timeline_tick(&tl, &c, 0), 0);
	CHECK(!hs_timeline_due(&tl, 0.5) && hs_timeline_due(&tl, 1));
	self = hs_timeline_process(&tl, getpid());
	other = hs_timeline_process(&tl, 4242);
	CHECK(self->points[0].malloc_state.known);
	CHECK_EQ(self->points[0].malloc_state.free_resident_bytes, 900);
	CHECK(!other->points[0].malloc_state.known);
	CHECK(!tl.points[0].malloc_state.known); /* 4242's was not read */
	/* Both read for the next point: the session's is the sum; the point after has none. */
	hs_timeline_set_malloc(&tl, getpid(), &mine);
	hs_timeline_set_malloc(&tl, 4242, &theirs);
	CHECK_EQ(hs_timeline_sample(&tl, &c, 1), 0);
	CHECK(tl.points[1].malloc_state.known);
	CHECK_EQ(tl.points[1].malloc_state.free_bytes, 1010);
	CHECK_EQ(tl.points[1].malloc_state.free_resident_bytes, 909);
	CHECK_EQ(tl.points[1].malloc_state.in_use_bytes, 5050);
	CHECK_EQ(tl.points[1].malloc_state.trimmable_bytes, 808);
	CHECK(other->points[1].malloc_state.known);
	CHECK_EQ(hs_timeline_sample(&tl, &c, 2), 0);
	CHECK(!tl.points[2].malloc_state.known && !self->points[2].malloc_state.known);
	/* An ended process counts no more: the one left decides. */
	hs_timeline_end_process(&tl, 4242);
	hs_timeline_set_malloc(&tl, 4242, &theirs);
	hs_timeline_set_malloc(&tl, getpid(), &mine);
	CHECK_EQ(hs_timeline_sample(&tl, &c, 3), 0);
	CHECK(tl.points[3].malloc_state.known);
	CHECK_EQ(tl.points[3].malloc_state.free_bytes, 1000);
	CHECK_EQ(other->count, 3);
	hs_timeline_free(&tl);
	hs_collector_free(&c);
}

int main(void)
{
	TEST(test_rates);
	TEST(test_thinning);
	TEST(test_series_starts_with_known_zeros);
	TEST(test_eviction);
	TEST(test_memory_figures);
	TEST(test_process_points);
	TEST(test_malloc_figures);
	TEST(test_process_memory);
	return check_summary();
}
