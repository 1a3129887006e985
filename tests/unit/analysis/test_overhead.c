// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_overhead.c - the overhead meter of user/analysis/overhead.c on synthetic
 * sessions whose share is known: hits at known costs against known CPU time,
 * a share that changes (the last second sees the change, the session's mean
 * not yet), idle windows left unjudged, processes that join and leave.
 */
#include <math.h>

#include "check.h"
#include "analysis/overhead.h"

#define NEAR(a, b, eps) (fabs((a) - (b)) <= (eps))

static const struct hs_hit_cost cost = {
	.emulated_ns = 5000, .stepped_ns = 19000, .return_ns = 2000, .stepped_share = 0.25,
};

static void test_probe_ns(void)
{
	struct hs_hits hits = { .entry_hits = 4, .stepped_hits = 1, .return_hits = 2,
				.run_ns = 700 };

	/* entry: 0.75 x 5000 + 0.25 x 19000 = 8500 a hit */
	CHECK(NEAR(hs_overhead_probe_ns(&cost, &hits), 4 * 8500 + 19000 + 2 * 2000 + 700, 1e-6));
}

/* One process, 10 samples a second; a malloc+free pair (2 entries, 1 return, 1 us of
 * programs) every pair_ns of its CPU: the share is the pair's probe time over pair_ns. */
static void run(struct hs_overhead *m, double from_s, double to_s, double pair_ns,
		double *cpu_ns, uint64_t *pairs)
{
	for (double t = from_s; t < to_s - 1e-9; t += 0.1) {
		uint64_t n = (uint64_t)(0.1e9 / pair_ns);
		struct hs_hits hits;

		*pairs += n;
		*cpu_ns += n * pair_ns;
		hits = (struct hs_hits){ .entry_hits = 2 * *pairs, .return_hits = *pairs,
					 .run_ns = 1000 * *pairs };
		CHECK_EQ(hs_overhead_process_cpu(m, 42, 1e9 + *cpu_ns), 0);
		hs_overhead_add(m, t + 0.1, &hits);
	}
}

static void test_share_changes(void)
{
	struct hs_overhead m;
	struct hs_hit_cost plain = cost;
	double pct, cpu_ns = 0, probe_pair_ns = 2 * 5000 + 2000 + 1000;
	uint64_t pairs = 0;

	plain.stepped_share = 0;
	hs_overhead_init(&m, &plain);
	CHECK(!hs_overhead_session_pct(&m, &pct));
	CHECK(!hs_overhead_recent_pct(&m, 1.0, &pct));
	CHECK_EQ(hs_overhead_process_cpu(&m, 42, 1e9), 0); /* its CPU before attach: not ours */
	hs_overhead_add(&m, 0, &(struct hs_hits){ 0 });
	run(&m, 0, 0.5, 10 * probe_pair_ns, &cpu_ns, &pairs);
	CHECK(!hs_overhead_recent_pct(&m, 1.0, &pct)); /* not a second yet */
	run(&m, 0.5, 3, 10 * probe_pair_ns, &cpu_ns, &pairs); /* probes: 10% */
	CHECK(hs_overhead_session_pct(&m, &pct) && NEAR(pct, 10, 0.01));
	CHECK(hs_overhead_recent_pct(&m, 1.0, &pct) && NEAR(pct, 10, 0.01));
	run(&m, 3, 5, 1.25 * probe_pair_ns, &cpu_ns, &pairs); /* hot: 80% */
	CHECK(hs_overhead_recent_pct(&m, 1.0, &pct) && NEAR(pct, 80, 0.01));
	CHECK(hs_overhead_session_pct(&m, &pct) && pct > 10 && pct < 80);
	hs_overhead_free(&m);
}

/* A target that hardly runs makes no share: a few ticks are noise, not a measurement. */
static void test_idle_not_judged(void)
{
	struct hs_overhead m;
	double pct;

	hs_overhead_init(&m, &cost);
	CHECK_EQ(hs_overhead_process_cpu(&m, 7, 5e6), 0);
	hs_overhead_add(&m, 0, &(struct hs_hits){ 0 });
	CHECK_EQ(hs_overhead_process_cpu(&m, 7, 5e6 + HS_OVERHEAD_MIN_CPU_NS / 2), 0);
	hs_overhead_add(&m, 2, &(struct hs_hits){ .entry_hits = 1000 });
	CHECK(!hs_overhead_recent_pct(&m, 1.0, &pct));
	CHECK(!hs_overhead_session_pct(&m, &pct));
	/* more probe time than CPU time (a calibration too high) reads as 100%, no more */
	CHECK_EQ(hs_overhead_process_cpu(&m, 7, 5e6 + 2 * HS_OVERHEAD_MIN_CPU_NS), 0);
	hs_overhead_add(&m, 3, &(struct hs_hits){ .entry_hits = 1000000 });
	CHECK(hs_overhead_recent_pct(&m, 1.0, &pct) && pct == 100);
	hs_overhead_free(&m);
}

/* Processes' CPU adds up from each one's first reading; one that exits keeps its last. */
static void test_processes(void)
{
	struct hs_overhead m;
	double pct;

	hs_overhead_init(&m, &(struct hs_hit_cost){ .emulated_ns = 1000 });
	hs_overhead_process_cpu(&m, 1, 100e6);
	hs_overhead_add(&m, 0, &(struct hs_hits){ 0 });
	hs_overhead_process_cpu(&m, 1, 150e6);
	hs_overhead_process_cpu(&m, 2, 900e6); /* joins (--follow): from here on */
	hs_overhead_add(&m, 1, &(struct hs_hits){ .entry_hits = 10000 });
	hs_overhead_process_cpu(&m, 1, 120e6); /* gone: an older reading does not count */
	hs_overhead_process_cpu(&m, 2, 950e6);
	hs_overhead_add(&m, 2, &(struct hs_hits){ .entry_hits = 20000 });
	/* CPU: 50 + 50 ms; probes 20000 x 1 us = 20 ms */
	CHECK(hs_overhead_session_pct(&m, &pct) && NEAR(pct, 20, 1e-9));
	/* last second: 50 ms of CPU (process 2), 10 ms of probes */
	CHECK(hs_overhead_recent_pct(&m, 1.0, &pct) && NEAR(pct, 20, 1e-9));
	CHECK_EQ(m.process_count, 2);
	hs_overhead_free(&m);
}

/* The ring forgets: a session far longer than it still judges its last second. */
static void test_long_session(void)
{
	struct hs_overhead m;
	double pct, cpu_ns = 0;
	uint64_t pairs = 0;

	hs_overhead_init(&m, &(struct hs_hit_cost){ .emulated_ns = 1000, .return_ns = 1000 });
	hs_overhead_process_cpu(&m, 42, 1e9);
	hs_overhead_add(&m, 0, &(struct hs_hits){ 0 });
	run(&m, 0, 30, 3 * 1000 + 1000 + 1000 * 5, &cpu_ns, &pairs); /* 4 of 9 us: 44.4% */
	CHECK(m.sample_count > HS_OVERHEAD_SAMPLES);
	CHECK(hs_overhead_recent_pct(&m, 1.0, &pct) && NEAR(pct, 400.0 / 9, 0.01));
	CHECK(hs_overhead_session_pct(&m, &pct) && NEAR(pct, 400.0 / 9, 0.01));
	hs_overhead_free(&m);
}

/* A refined cost prices every hit so far, not only the later ones. */
static void test_refined_cost(void)
{
	struct hs_overhead m;
	double pct;

	hs_overhead_init(&m, &(struct hs_hit_cost){ .emulated_ns = 1000 });
	hs_overhead_process_cpu(&m, 1, 0);
	hs_overhead_add(&m, 0, &(struct hs_hits){ 0 });
	hs_overhead_process_cpu(&m, 1, 100e6);
	hs_overhead_add(&m, 1, &(struct hs_hits){ .entry_hits = 10000 });
	CHECK(hs_overhead_session_pct(&m, &pct) && NEAR(pct, 10, 1e-9));
	hs_overhead_set_cost(&m, &(struct hs_hit_cost){ .emulated_ns = 3000 });
	CHECK(hs_overhead_session_pct(&m, &pct) && NEAR(pct, 30, 1e-9));
	CHECK(hs_overhead_recent_pct(&m, 1.0, &pct) && NEAR(pct, 30, 1e-9));
	CHECK(NEAR(hs_overhead_span_probe_ns(&m), 30e6, 1e-3));
	hs_overhead_free(&m);
}

int main(void)
{
	TEST(test_probe_ns);
	TEST(test_share_changes);
	TEST(test_idle_not_judged);
	TEST(test_processes);
	TEST(test_long_session);
	TEST(test_refined_cost);
	return check_summary();
}
