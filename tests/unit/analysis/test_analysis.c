// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_analysis.c - user/analysis/analysis.c on a session built by hand: raw stacks
 * with different return addresses in the same function merge into one
 * sample whose growth is the growth of their sum; ages come from the blocks'
 * timestamps; --min-age keeps only older blocks, and stacks without any are
 * left out; with two processes, each gets its own verdict and the session
 * the most severe.  Frames are this binary's own functions, named for real.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session_fixture.h"

__attribute__((noinline)) int holder_a(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) int holder_b(int x)
{
	return x * 5 + 2;
}

/*
 * Seconds 0..10 of a session that ends at 10 (CLOCK_MONOTONIC 1..11 s):
 * holder_a leaks 100 + 50 bytes a second from two call sites; holder_b
 * allocates 1000 bytes once, at 0.
 */
static void run_session(struct session *s)
{
	uint64_t a1 = (uint64_t)holder_a + 1, a2 = (uint64_t)holder_a + 2,
		 b = (uint64_t)holder_b + 1;

	session_start(s);
	session_alloc(s, getpid(), b, 1000, NS);
	for (int t = 0; t <= 10; t++) {
		session_alloc(s, getpid(), a1, 100, (t + 1) * NS);
		session_alloc(s, getpid(), a2, 50, (t + 1) * NS);
		session_point(s, t);
	}
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
	session_end(&s);
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
	session_end(&s);
}

static void test_process_verdicts(void)
{
	struct session s;
	struct hs_analysis a;
	struct hs_analysis_config config = {.end_s = 11.0, .events = 12};
	const struct hs_process_verdict *self, *other;

	session_two_processes(&s, (uint64_t)holder_b + 1);
	CHECK_EQ(hs_analysis_build(&a, &s.c, &s.tl, &s.sym, &config), 0);
	CHECK_EQ(a.process_count, 2);
	self = hs_analysis_process(&a, getpid());
	other = hs_analysis_process(&a, SESSION_OTHER_PID);
	CHECK(self && other && hs_analysis_process(&a, 2) == NULL);
	if (self && other) {
		CHECK_EQ(self->verdict.kind, HS_VERDICT_STABLE);
		CHECK_EQ(self->verdict.points, 11);
		CHECK(self->verdict.live_peak == 1000);
		CHECK_EQ(other->verdict.kind, HS_VERDICT_LEAK);
		CHECK(fabs(other->verdict.live.slope - 20 * 1024) < 1e-6);
		CHECK(other->timeline->count == 11 && other->timeline->points[10].live_bytes ==
							      11 * 20 * 1024);
	}
	/* The session's verdict is the most severe, and says which process it is. */
	CHECK_EQ(a.verdict_process, 1);
	CHECK_EQ(a.verdict.kind, HS_VERDICT_LEAK);
	CHECK(a.verdict.live.slope == other->verdict.live.slope);
	/* Its totals are the session's points: both processes. */
	CHECK(a.totals.live_peak == 1000 + 11 * 20 * 1024);
	/* Too many lost events: no process gets a verdict. */
	hs_analysis_free(&a);
	config.lost_events = 1;
	CHECK_EQ(hs_analysis_build(&a, &s.c, &s.tl, &s.sym, &config), 0);
	CHECK_EQ(a.processes[0].verdict.kind, HS_VERDICT_INCONCLUSIVE);
	CHECK_EQ(a.processes[1].verdict.kind, HS_VERDICT_INCONCLUSIVE);
	CHECK_EQ(a.verdict.kind, HS_VERDICT_INCONCLUSIVE);
	hs_analysis_free(&a);
	session_end(&s);
}

/* With one process, its verdict is the session's, from the session's points. */
static void test_one_process_verdict(void)
{
	struct session s;
	struct hs_analysis a;
	struct hs_analysis_config config = {.end_s = 11.0, .events = 23};

	run_session(&s);
	CHECK_EQ(hs_analysis_build(&a, &s.c, &s.tl, &s.sym, &config), 0);
	CHECK_EQ(a.process_count, 1);
	CHECK_EQ(a.verdict_process, 0);
	CHECK_EQ(a.processes[0].verdict.kind, a.verdict.kind);
	CHECK_EQ(a.processes[0].verdict.points, 11);
	CHECK(a.processes[0].verdict.live.slope == a.verdict.live.slope);
	CHECK(a.totals.live.slope == a.verdict.live.slope && a.totals.kind == a.verdict.kind);
	hs_analysis_free(&a);
	session_end(&s);
}

int main(void)
{
	TEST(test_merged_growth_and_ages);
	TEST(test_min_age);
	TEST(test_process_verdicts);
	TEST(test_one_process_verdict);
	return check_summary();
}
