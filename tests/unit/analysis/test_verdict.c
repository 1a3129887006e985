// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_verdict.c - the classification of user/analysis/verdict.c on synthetic
 * series whose answer is known: one series per verdict, and the doubts.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "analysis/verdict.h"

#define KiB		1024.0
#define MiB		(1024.0 * 1024)
#define NEAR(a, b, eps) (fabs((a) - (b)) <= (eps))

/* Deterministic noise in [-1, 1]. */
static double noise(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return ((*state >> 8) & 0xffff) / 32767.5 - 1;
}

/* A session of n points over seconds; live and anonymous bytes from functions of t. */
struct scenario {
	struct hs_timeline_point points[HS_TIMELINE_MAX_POINTS];
	struct hs_verdict_input in;
	struct hs_verdict v;
	char text[4096];
};

static void run(struct scenario *sc, size_t n, double seconds, double (*live)(double, unsigned *),
		double (*anon)(double, double))
{
	unsigned state = 7;

	memset(sc, 0, sizeof(*sc));
	for (size_t i = 0; i < n; i++) {
		struct hs_timeline_point *p = &sc->points[i];

		p->t_s = seconds * i / (n - 1);
		p->live_bytes = live(p->t_s, &state);
		p->mem.valid = true;
		p->mem.anon_bytes = anon(p->t_s, p->live_bytes);
		p->mem.rss_bytes = p->mem.anon_bytes + 3 * MiB;
		p->mem.heap_bytes = p->mem.anon_bytes;
		/* Blocks allocated before attach are freed, as in most sessions, sizes
		 * unknown: the step after attach may be them being replaced
		 * (test_early_growth says otherwise). */
		p->unknown_frees = p->unknown_frees_unmeasured = 10 * i;
	}
	sc->in = (struct hs_verdict_input){sc->points, n, 100000, 0};
	CHECK_EQ(hs_verdict_classify(&sc->in, &sc->v), 0);
	hs_verdict_explain(&sc->v, sc->text, sizeof(sc->text));
}

/* The process's other memory (5 MiB) plus what the live heap holds. */
static double anon_follows_live(double t, double live)
{
	(void)t;
	return 5 * MiB + live;
}

/* 100 KiB/s leaked under churn of +-20 KiB, after a 512 KiB attach step. */
static double leaking(double t, unsigned *state)
{
	return (t > 0.2 ? 512 * KiB : 0) + 100 * KiB * t + 20 * KiB * noise(state);
}

static void test_leak(void)
{
	static struct scenario sc;

	run(&sc, 25, 6, leaking, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_LEAK);
	CHECK(NEAR(sc.v.live.slope, 100 * KiB, 15 * KiB));
	CHECK(sc.v.live.tau > HS_VERDICT_STEADY_TAU);
	CHECK(strstr(sc.text, "grows steadily") != NULL);
	CHECK(strstr(sc.text, "still filling") != NULL); /* honest about short sessions */
}

/* A cache: fills 2 MiB in the first 2 s, then stays (+-2 KiB of churn). */
static double filling_cache(double t, unsigned *state)
{
	return 2 * MiB * (t < 2 ? t / 2 : 1) + 2 * KiB * noise(state) + 2 * KiB;
}

static void test_bounded(void)
{
	static struct scenario sc;

	run(&sc, 25, 6, filling_cache, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_BOUNDED);
	CHECK(sc.v.live_rise > 1 * MiB);
	CHECK(NEAR(sc.v.live_late.slope, 0, 5 * KiB));
	CHECK(strstr(sc.text, "flattened") != NULL);
}

/* 23 MiB allocated in the first second of 30, then flat (+-2 KiB of churn). */
static double early_growth(double t, unsigned *state)
{
	return 23 * MiB * (t < 1 ? t : 1) + 2 * KiB * noise(state) + 2 * KiB;
}

static void reclassify(struct scenario *sc)
{
	CHECK_EQ(hs_verdict_classify(&sc->in, &sc->v), 0);
	hs_verdict_explain(&sc->v, sc->text, sizeof(sc->text));
}

/* Unknown frees, cumulative as the timeline counts them: from from_s on, `frees` blocks
 * of `bytes` in all (their glibc chunk sizes), `unmeasured` more without a size. */
static void set_unknown_frees(struct scenario *sc, double from_s, uint64_t frees, double bytes,
			      uint64_t unmeasured)
{
	for (size_t i = 0; i < sc->in.count; i++) {
		struct hs_timeline_point *p = &sc->points[i];
		bool after = p->t_s >= from_s && (from_s > 0 || i > 0);

		p->unknown_frees = after ? frees + unmeasured : 0;
		p->unknown_free_bytes = after ? (uint64_t)bytes : 0;
		p->unknown_frees_unmeasured = after ? unmeasured : 0;
	}
}

/* Issue 18: the bytes of old blocks freed in the step's window, measured from glibc's chunk
 * headers, are what is discounted from it: all of it, part of it, or none when they were
 * freed later. */
static void test_early_growth_measured(void)
{
	static struct scenario sc;

	run(&sc, 31, 30, early_growth, anon_follows_live);
	set_unknown_frees(&sc, 1, 368, 23 * MiB, 0); /* 23 MiB of old blocks freed by 1 s */
	reclassify(&sc);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	CHECK(sc.v.early_replaced);
	CHECK_EQ(sc.v.replaced_frees, 368);
	CHECK(NEAR(sc.v.replaced_bytes, 23 * MiB, 1));
	CHECK(strstr(sc.text, "368 blocks allocated before attach were freed, 23.0 MiB by their "
			      "glibc chunk headers") != NULL);
	set_unknown_frees(&sc, 1, 160, 10 * MiB, 0); /* only 10 of the 23 MiB replaced */
	reclassify(&sc);
	CHECK_EQ(sc.v.kind, HS_VERDICT_BOUNDED);
	CHECK(sc.v.early_step);
	CHECK(strstr(sc.text, "160, 10.0 MiB by their glibc chunk headers; the step is 13.0 MiB "
			      "more than they were") != NULL);
	set_unknown_frees(&sc, 20, 368, 23 * MiB, 0); /* freed after the first quarter */
	reclassify(&sc);
	CHECK_EQ(sc.v.kind, HS_VERDICT_BOUNDED);
	CHECK(strstr(sc.text, "No block allocated before attach was freed while it rose") != NULL);
	set_unknown_frees(&sc, 1, 160, 10 * MiB, 1); /* one of unknown size: nothing said */
	reclassify(&sc);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	/* A hostile size word: the bytes discounted are the ones measured, however large. */
	set_unknown_frees(&sc, 1, 1, 1e12, 0);
	reclassify(&sc);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
}

/* Issue 18: a rise that ends in the first quarter is growth when nothing old was replaced. */
static void test_early_growth(void)
{
	static struct scenario sc;

	run(&sc, 31, 30, early_growth, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE); /* unknown frees: maybe old blocks replaced */
	CHECK(sc.v.early_replaced);
	CHECK(strstr(sc.text, "of unknown size: the rise may be them being replaced") != NULL);
	set_unknown_frees(&sc, 0, 0, 0, 0);
	reclassify(&sc);
	CHECK_EQ(sc.v.kind, HS_VERDICT_BOUNDED);
	CHECK(sc.v.early_step);
	CHECK(NEAR(sc.v.rise_to - sc.v.rise_from, 23 * MiB, 8 * KiB));
	CHECK(NEAR(sc.v.rise_end_s, 1, 1e-9));
	CHECK(strstr(sc.text, "grew in a step, by 23.0 MiB from ") != NULL);
	CHECK(strstr(sc.text, "within the first 1.0 s of 30.0 s") != NULL);
	CHECK(strstr(sc.text, "not old blocks replaced") != NULL);
	CHECK(strstr(sc.text, "0 B/s over the first two thirds") == NULL);
	/* A step that falls back by the end is not growth that stayed. */
	for (size_t i = 23; i < 31; i++)
		sc.points[i].live_bytes = 2 * KiB;
	reclassify(&sc);
	CHECK(sc.v.kind != HS_VERDICT_BOUNDED);
}

static double sawtooth(double t, unsigned *state);
static double quiet(double t, unsigned *state);

/* A step in the middle (an nginx reload): bounded, told as a step, not as "0 B/s". */
static double mid_step(double t, unsigned *state)
{
	(void)state;
	return t < 7 ? 10 * KiB : 134 * KiB;
}

static void test_step_told_as_step(void)
{
	static struct scenario sc;

	run(&sc, 21, 14, mid_step, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_BOUNDED);
	CHECK(!sc.v.early_step);
	CHECK(strstr(sc.text, "by 124.0 KiB from 10.0 KiB to 134.0 KiB within the first 7.0 s") !=
	      NULL);
	CHECK(strstr(sc.text, "0 B/s over the first two thirds") == NULL);
}

/* A process that ended is judged on what it lived: no advice to run it longer. */
static void test_ended_process(void)
{
	static struct scenario sc;

	run(&sc, 5, 2.8, leaking, anon_follows_live);
	sc.in.ended = true;
	reclassify(&sc);
	CHECK_EQ(sc.v.doubt, HS_DOUBT_TOO_SHORT);
	CHECK(strstr(sc.text, "ended after 2.8 s (5 points)") != NULL);
	CHECK(strstr(sc.text, "-d ") == NULL && strstr(sc.text, "run at least") == NULL);
	sc.in.count = 1; /* exited right after attach: no figures to quote */
	reclassify(&sc);
	CHECK(strstr(sc.text, "before heapscope could sample it twice") != NULL);
	CHECK(strstr(sc.text, "ended at") == NULL);
	run(&sc, 61, 6, sawtooth, anon_follows_live);
	sc.in.ended = true;
	reclassify(&sc);
	CHECK_EQ(sc.v.doubt, HS_DOUBT_NOISY);
	CHECK(strstr(sc.text, "-d ") == NULL && strstr(sc.text, "the process ended") != NULL);
	run(&sc, 25, 6, quiet, anon_follows_live);
	sc.in.ended = true;
	reclassify(&sc);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	CHECK(strstr(sc.text, "session N times longer") == NULL);
	CHECK(strstr(sc.text, "in a life this short") != NULL);
}

/* 30 MiB of small blocks allocated and freed again; the freed memory stays resident. */
static double burst(double t, unsigned *state)
{
	(void)state;
	return t < 1 ? 0 : t < 2 ? 30 * MiB * (t - 1) : 4 * KiB;
}

static double anon_keeps_peak(double t, double live)
{
	(void)live;
	return 5 * MiB + 30 * MiB * (t < 1 ? 0 : t < 2 ? t - 1 : 1);
}

static void test_retention(void)
{
	static struct scenario sc;

	run(&sc, 25, 6, burst, anon_keeps_peak);
	CHECK_EQ(sc.v.kind, HS_VERDICT_RETENTION);
	CHECK(NEAR(sc.v.anon_end - sc.v.anon_start, 30 * MiB, 1));
	CHECK(NEAR(sc.v.gap_end - sc.v.gap_start, 30 * MiB - 4 * KiB, 1));
	CHECK(sc.v.live_peak >= 22 * MiB); /* at t = 1.75 s */
	CHECK(strstr(sc.text, "malloc_trim") && strstr(sc.text, "MALLOC_ARENA_MAX") &&
	      strstr(sc.text, "M_MMAP_THRESHOLD") && strstr(sc.text, "jemalloc"));
	/* The same burst with the memory given back is no retention. */
	run(&sc, 25, 6, burst, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
}

/* The same burst, slower and later: 30 MiB over 2-4 s, freed at 5.6 s of 6. */
static double late_burst(double t, unsigned *state)
{
	(void)state;
	return t < 2 ? 0 : t < 4 ? 15 * MiB * (t - 2) : t < 5.6 ? 30 * MiB : 4 * KiB;
}

static double anon_keeps_late_peak(double t, double live)
{
	(void)live;
	return 5 * MiB + 30 * MiB * (t < 2 ? 0 : t < 4 ? (t - 2) / 2 : 1);
}

/*
 * A burst freed inside the last quarter (a slow target under load did this in CI):
 * the last quarter's median still sees the top, yet the heap fell back to where it
 * started.  Retention when the memory stays, stable when it went back; never
 * "bounded" at a level it had already left.
 */
static void test_fell_back(void)
{
	static struct scenario sc;

	run(&sc, 25, 6, late_burst, anon_keeps_late_peak);
	CHECK_EQ(sc.v.kind, HS_VERDICT_RETENTION);
	CHECK(sc.v.fell_back);
	CHECK_EQ(sc.v.live_end, 4 * KiB);
	CHECK(sc.v.live_peak >= 29 * MiB);
	CHECK(strstr(sc.text, "it ends at 4.0 KiB, after a peak of 30.0 MiB") != NULL);
	run(&sc, 25, 6, late_burst, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	/* Still up at the last point: a rise that held is not this rule's. */
	sc.points[24].live_bytes = 30 * MiB;
	CHECK_EQ(hs_verdict_classify(&sc.in, &sc.v), 0);
	CHECK(!sc.v.fell_back);
	CHECK(sc.v.kind != HS_VERDICT_STABLE && sc.v.kind != HS_VERDICT_RETENTION);
}

static double quiet(double t, unsigned *state)
{
	return t > 0 ? 64 * KiB + 1 * KiB * noise(state) + 1 * KiB : 0;
}

/* 5 KiB/s for 6 s: a rise of 22.5 KiB between the quarters, below what 6 s can tell. */
static double slow_leak(double t, unsigned *state)
{
	(void)state;
	return 1 * MiB + 5 * KiB * t;
}

static void test_stable(void)
{
	static struct scenario sc;

	run(&sc, 25, 6, quiet, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	run(&sc, 25, 6, slow_leak, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	CHECK(strstr(sc.text, "cannot be seen in a session this short") != NULL);
	/* The same leak over 60 s is one. */
	run(&sc, 121, 60, slow_leak, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_LEAK);
}

static void test_inconclusive(void)
{
	static struct scenario sc;

	run(&sc, 5, 1, leaking, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_INCONCLUSIVE);
	CHECK_EQ(sc.v.doubt, HS_DOUBT_TOO_SHORT);
	CHECK(strstr(sc.text, "-d 30") != NULL);

	run(&sc, 25, 6, leaking, anon_follows_live);
	sc.in.lost_events = 2000; /* 2% */
	hs_verdict_classify(&sc.in, &sc.v);
	CHECK_EQ(sc.v.kind, HS_VERDICT_INCONCLUSIVE);
	CHECK_EQ(sc.v.doubt, HS_DOUBT_LOST_EVENTS);
	sc.in.lost_events = 10; /* 0.01%: still a verdict */
	hs_verdict_classify(&sc.in, &sc.v);
	CHECK_EQ(sc.v.kind, HS_VERDICT_LEAK);
}

/* Rising, but in teeth: up 600 KiB over each second, then back. */
static double sawtooth(double t, unsigned *state)
{
	(void)state;
	return 1 * MiB + 100 * KiB * t + 600 * KiB * (t - floor(t));
}

static void test_noisy(void)
{
	static struct scenario sc;

	run(&sc, 61, 6, sawtooth, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_INCONCLUSIVE);
	CHECK_EQ(sc.v.doubt, HS_DOUBT_NOISY);
	CHECK(sc.v.live.z > HS_VERDICT_TREND_Z);   /* there is a trend, */
	CHECK(sc.v.live_rise < sc.v.detect_bytes); /* but the teeth are as large as the rise */
	CHECK(strstr(sc.text, "-d 24") != NULL);
}

/* Points where /proc could not be read (the target exited) are skipped. */
static void test_memory_unknown(void)
{
	static struct scenario sc;

	run(&sc, 25, 6, burst, anon_keeps_peak);
	for (size_t i = 0; i < 25; i++)
		sc.points[i].mem.valid = i == 3;
	hs_verdict_classify(&sc.in, &sc.v);
	CHECK(!sc.v.memory_known);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	sc.points[20].mem.valid = true;
	hs_verdict_classify(&sc.in, &sc.v);
	CHECK(sc.v.memory_known);
	CHECK(sc.v.anon_start == sc.points[3].mem.anon_bytes);
	CHECK(sc.v.anon_end == sc.points[20].mem.anon_bytes);
}

/* glibc's figures at points first and last (every other point unknown), then classify again. */
static void with_malloc(struct scenario *sc, size_t first, size_t last, double free_start,
			double free_end)
{
	struct hs_malloc_figures *a = &sc->points[first].malloc_state;
	struct hs_malloc_figures *b = &sc->points[last].malloc_state;

	*a = (struct hs_malloc_figures){ true, free_start, free_start * 0.9, 2 * MiB,
					 free_start * 0.8 };
	*b = (struct hs_malloc_figures){ true, free_end, free_end * 0.9, 2 * MiB, free_end * 0.8 };
	CHECK_EQ(hs_verdict_classify(&sc->in, &sc->v), 0);
	hs_verdict_explain(&sc->v, sc->text, sizeof(sc->text));
}

/* Retention stated from glibc's measured free bytes, which win over the /proc inference. */
static void test_retention_measured(void)
{
	static struct scenario sc;

	/* Anonymous memory kept the burst, and glibc holds it: measured, and both agree. */
	run(&sc, 25, 6, burst, anon_keeps_peak);
	with_malloc(&sc, 0, 24, 100 * KiB, 30 * MiB);
	CHECK_EQ(sc.v.kind, HS_VERDICT_RETENTION);
	CHECK(sc.v.retention_measured && !sc.v.inference_overruled);
	CHECK(sc.v.malloc_known && sc.v.malloc_start_known);
	CHECK_EQ(sc.v.malloc_end.free_resident_bytes, (uint64_t)(27 * MiB));
	CHECK(strstr(sc.text, "glibc holds 30.0 MiB free inside malloc, 27.0 MiB of it resident; "
			      "malloc_trim(0) would return about 24.0 MiB") != NULL);
	CHECK(strstr(sc.text, "At the start it held 100.0 KiB free") != NULL);
	CHECK(strstr(sc.text, "decides") == NULL);

	/* Anonymous memory gave the burst back (no retention by /proc), yet glibc holds 30 MiB
	 * (say, pages it had before the session): the measurement wins, and says so. */
	run(&sc, 25, 6, burst, anon_follows_live);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	with_malloc(&sc, 0, 24, 30 * MiB, 30 * MiB);
	CHECK_EQ(sc.v.kind, HS_VERDICT_RETENTION);
	CHECK(sc.v.retention_measured && sc.v.inference_overruled);
	CHECK(strstr(sc.text, "measured inside malloc decides") != NULL);

	/* /proc says retention, glibc holds almost nothing free: stable, and the text says why. */
	run(&sc, 25, 6, burst, anon_keeps_peak);
	with_malloc(&sc, 0, 24, 100 * KiB, 200 * KiB);
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	CHECK(!sc.v.retention_measured && sc.v.inference_overruled);
	CHECK(strstr(sc.text, "glibc holds 200.0 KiB free inside malloc") != NULL);
	CHECK(strstr(sc.text, "the measurement decides") != NULL);

	/* Free memory under 10% of the RSS is not large; grown by 1 MiB or more, it is. */
	run(&sc, 25, 6, burst, anon_follows_live);
	with_malloc(&sc, 0, 24, 0, 1.5 * MiB); /* 1.35 MiB resident of an 8 MiB RSS: 17% */
	CHECK_EQ(sc.v.kind, HS_VERDICT_RETENTION);
	run(&sc, 25, 6, burst, anon_follows_live);
	for (size_t i = 0; i < 25; i++)
		sc.points[i].mem.rss_bytes = 100 * MiB;
	with_malloc(&sc, 0, 24, 5 * MiB, 5.5 * MiB); /* 4.95 MiB of 100 MiB, grew 0.45 MiB */
	CHECK_EQ(sc.v.kind, HS_VERDICT_STABLE);
	with_malloc(&sc, 0, 24, 5 * MiB, 7 * MiB); /* grew by 1.8 MiB resident */
	CHECK_EQ(sc.v.kind, HS_VERDICT_RETENTION);

	/* Known at one point only (the end): no start figures, the end decides alone. */
	run(&sc, 25, 6, burst, anon_keeps_peak);
	sc.points[24].malloc_state = (struct hs_malloc_figures){ true, 30 * MiB, 29 * MiB,
								  MiB, 28 * MiB };
	CHECK_EQ(hs_verdict_classify(&sc.in, &sc.v), 0);
	CHECK(sc.v.malloc_known && !sc.v.malloc_start_known);
	CHECK_EQ(sc.v.kind, HS_VERDICT_RETENTION);
	CHECK(sc.v.retention_measured);
}

static void test_names(void)
{
	CHECK(strcmp(hs_verdict_name(HS_VERDICT_LEAK), "leak") == 0);
	CHECK(strcmp(hs_verdict_name(HS_VERDICT_RETENTION), "retention") == 0);
	CHECK(strcmp(hs_verdict_name(HS_VERDICT_BOUNDED), "bounded") == 0);
	CHECK(strcmp(hs_verdict_name(HS_VERDICT_STABLE), "stable") == 0);
	CHECK(strcmp(hs_verdict_name(HS_VERDICT_INCONCLUSIVE), "inconclusive") == 0);
}

/* leak > retention > bounded > inconclusive > stable: each above every later one. */
static void test_severity(void)
{
	static const enum hs_verdict_kind order[] = {
		HS_VERDICT_LEAK,	 HS_VERDICT_RETENTION, HS_VERDICT_BOUNDED,
		HS_VERDICT_INCONCLUSIVE, HS_VERDICT_STABLE,
	};
	size_t n = sizeof(order) / sizeof(order[0]);

	CHECK_EQ(n, HS_VERDICT_KIND_COUNT);
	for (size_t i = 0; i < n; i++) {
		CHECK(!hs_verdict_more_severe(order[i], order[i]));
		for (size_t j = i + 1; j < n; j++) {
			CHECK(hs_verdict_more_severe(order[i], order[j]));
			CHECK(!hs_verdict_more_severe(order[j], order[i]));
		}
	}
}

int main(void)
{
	TEST(test_leak);
	TEST(test_bounded);
	TEST(test_early_growth);
	TEST(test_early_growth_measured);
	TEST(test_step_told_as_step);
	TEST(test_ended_process);
	TEST(test_retention);
	TEST(test_fell_back);
	TEST(test_stable);
	TEST(test_inconclusive);
	TEST(test_noisy);
	TEST(test_memory_unknown);
	TEST(test_retention_measured);
	TEST(test_names);
	TEST(test_severity);
	return check_summary();
}
