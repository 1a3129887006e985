// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_analysis.c - user/analysis.c on a session built by hand: raw stacks
 * with different return addresses in the same function merge into one
 * sample whose growth is the growth of their sum; ages come from the blocks'
 * timestamps; --min-age keeps only older blocks, and stacks without any are
 * left out.  Frames are this binary's own functions, named for real.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "check.h"
#include "events.h"

#define NS 1000000000ull

__attribute__((noinline)) int holder_a(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) int holder_b(int x)
{
	return x * 5 + 2;
}

struct session {
	struct hs_collector c;
	struct hs_timeline tl;
	struct hs_symbolizer sym;
	uint64_t next_addr;
};

static void alloc(struct session *s, uint64_t frame, uint64_t size, uint64_t ts_ns)
{
	struct hs_event ev = {
		.ts_ns = ts_ns,
		.addr = s->next_addr += 0x100,
		.size = size,
		.pid = getpid(),
		.kind = HS_EV_ALLOC,
		.nr_frames = 1,
	};

	ev.frames[0] = frame;
	hs_collector_apply(&s->c, &ev, HS_EVENT_HDR_SIZE + sizeof(ev.frames[0]));
}

/*
 * Seconds 0..10 of a session that ends at 10 (CLOCK_MONOTONIC 1..11 s):
 * holder_a leaks 100 + 50 bytes a second from two call sites; holder_b
 * allocates 1000 bytes once, at 0.
 */
static void run_session(struct session *s)
{
	struct hs_collect_limits limits = {1024, 1024};
	uint64_t a1 = (uint64_t)holder_a + 1, a2 = (uint64_t)holder_a + 2,
		 b = (uint64_t)holder_b + 1;

	memset(s, 0, sizeof(*s));
	s->next_addr = 0x10000;
	CHECK_EQ(hs_collector_init(&s->c, &limits), 0);
	CHECK_EQ(hs_timeline_init(&s->tl, getpid(), 1.0, 0), 0);
	hs_symbolizer_init(&s->sym);
	CHECK_EQ(hs_symbolizer_add_process(&s->sym, getpid()), 0);
	alloc(s, b, 1000, NS);
	for (int t = 0; t <= 10; t++) {
		struct hs_timeline_point point = {.t_s = t, .live_bytes = s->c.live_bytes};

		alloc(s, a1, 100, (t + 1) * NS);
		alloc(s, a2, 50, (t + 1) * NS);
		point.live_bytes = s->c.live_bytes;
		CHECK_EQ(hs_timeline_add(&s->tl, &s->c.stacks, &point), 0);
	}
}

static void end_session(struct session *s)
{
	hs_timeline_free(&s->tl);
	hs_collector_free(&s->c);
	hs_symbolizer_free(&s->sym);
}

static const struct hs_profile_sample *sample_named(const struct hs_analysis *a, const char *leaf,
						    const struct hs_sample_stats **stats)
{
	for (size_t i = 0; i < a->profile.sample_count; i++) {
		const struct hs_profile_sample *sample = &a->profile.samples[i];

		if (strcmp(a->profile.names[sample->names[sample->frame_count - 1]], leaf) == 0) {
			*stats = &a->stats[i];
			return sample;
		}
	}
	return NULL;
}

static void test_merged_growth_and_ages(void)
{
	struct session s;
	struct hs_analysis a;
	struct hs_analysis_config config = {.end_s = 11.0, .events = 23};
	const struct hs_profile_sample *sa, *sb;
	const struct hs_sample_stats *st_a = NULL, *st_b = NULL;
	size_t *order, count;

	run_session(&s);
	CHECK_EQ(s.c.stacks.count, 4); /* HS_STACK_LOST and three raw stacks */
	CHECK_EQ(hs_analysis_build(&a, &s.c, &s.tl, &s.sym, &config), 0);
	CHECK_EQ(a.profile.sample_count, 2);
	CHECK_EQ(a.profile.sample_of_stack[2], a.profile.sample_of_stack[3]); /* a1, a2 */
	CHECK(a.profile.sample_of_stack[1] != a.profile.sample_of_stack[2]);  /* b */
	sa = sample_named(&a, "holder_a", &st_a);
	sb = sample_named(&a, "holder_b", &st_b);
	CHECK(sa && sb);
	if (sa && sb) {
		CHECK_EQ(sa->values[HS_WEIGHT_INUSE_BYTES], 11 * 150);
		CHECK_EQ(sa->values[HS_WEIGHT_INUSE_COUNT], 22);
		CHECK(st_a->has_trend && fabs(st_a->growth_bytes_per_s - 150) < 1e-9);
		CHECK(st_a->steadiness == 1);
		CHECK(fabs(st_a->oldest_age_s - 10) < 1e-9);
		CHECK(fabs(st_a->median_age_s - 5) < 1e-9);
		CHECK(st_b->has_trend && st_b->growth_bytes_per_s == 0);
		CHECK(fabs(st_b->oldest_age_s - 10) < 1e-9);
		CHECK(fabs(st_b->median_age_s - 10) < 1e-9);
	}
	CHECK_EQ(hs_analysis_order(&a, HS_ORDER_GROWTH, &order, &count), 0);
	CHECK(count == 1 && &a.profile.samples[order[0]] == sa);
	free(order);
	CHECK_EQ(hs_analysis_order(&a, HS_ORDER_LIVE, &order, &count), 0);
	CHECK(count == 2 && &a.profile.samples[order[0]] == sa); /* 1650 > 1000 bytes */
	free(order);
	CHECK_EQ(a.verdict.points, 11);
	hs_analysis_free(&a);
	end_session(&s);
}

static void test_min_age(void)
{
	struct session s;
	struct hs_analysis a;
	struct hs_analysis_config config = {.end_s = 11.0, .min_age_s = 5.5};
	const struct hs_profile_sample *sa, *sb;
	const struct hs_sample_stats *st_a = NULL, *st_b = NULL;

	run_session(&s);
	CHECK_EQ(hs_analysis_build(&a, &s.c, &s.tl, &s.sym, &config), 0);
	sa = sample_named(&a, "holder_a", &st_a);
	sb = sample_named(&a, "holder_b", &st_b);
	CHECK(sa && sb);
	if (sa && sb) {
		CHECK_EQ(sa->values[HS_WEIGHT_INUSE_BYTES], 5 * 150); /* allocated at 0..4 s */
		CHECK_EQ(sa->values[HS_WEIGHT_INUSE_COUNT], 10);
		CHECK_EQ(sa->values[HS_WEIGHT_ALLOC_BYTES], 11 * 150); /* unchanged */
		CHECK(fabs(st_a->median_age_s - 8) < 1e-9);
		CHECK_EQ(sb->values[HS_WEIGHT_INUSE_BYTES], 1000);
	}
	CHECK_EQ(a.profile.totals[HS_WEIGHT_INUSE_BYTES], 1750);
	hs_analysis_free(&a);

	config.min_age_s = 20; /* nothing that old: every stack is left out */
	CHECK_EQ(hs_analysis_build(&a, &s.c, &s.tl, &s.sym, &config), 0);
	CHECK_EQ(a.profile.sample_count, 0);
	hs_analysis_free(&a);
	end_session(&s);
}

int main(void)
{
	TEST(test_merged_growth_and_ages);
	TEST(test_min_age);
	return check_summary();
}
