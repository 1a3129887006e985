// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_trend.c - the statistics of user/analysis/trend.c on synthetic series
 * whose answer is known: exact lines, a line with outliers, the step every
 * stack shows after attach, a constant.
 */
#include <math.h>

#include "check.h"
#include "analysis/trend.h"

#define MiB		(1024.0 * 1024)
#define NEAR(a, b, eps) (fabs((a) - (b)) <= (eps))

static void test_median(void)
{
	double odd[] = {5, 1, 4, 2, 3}, even[] = {8, 1, 7, 2}, same[] = {2, 2, 2, 2, 2, 2};

	CHECK(hs_median(odd, 5) == 3);
	CHECK(hs_median(even, 4) == 4.5);
	CHECK(hs_median(same, 6) == 2);
	CHECK(hs_median(odd, 0) == 0);
}

static void test_exact_line(void)
{
	double t[20], y[20];
	struct hs_trend trend;

	for (int i = 0; i < 20; i++)
		t[i] = i * 0.5, y[i] = 3 + 2 * t[i];
	CHECK_EQ(hs_trend_fit(t, y, 20, &trend), 0);
	CHECK(NEAR(trend.slope, 2, 1e-9));
	CHECK(NEAR(trend.intercept, 3, 1e-9));
	CHECK(trend.tau == 1);
	CHECK(trend.noise == 0);
	CHECK(trend.z > 5);
	for (int i = 0; i < 20; i++)
		y[i] = -y[i];
	hs_trend_fit(t, y, 20, &trend);
	CHECK(NEAR(trend.slope, -2, 1e-9));
	CHECK(trend.tau == -1);
	CHECK(trend.z < -5);
}

/* A few wild points do not move the line. */
static void test_outliers(void)
{
	double t[30], y[30];
	struct hs_trend trend;

	for (int i = 0; i < 30; i++)
		t[i] = i, y[i] = 100 + 10 * i;
	y[3] = 1e9;
	y[17] = -1e9;
	y[25] = 5e8;
	hs_trend_fit(t, y, 30, &trend);
	CHECK(NEAR(trend.slope, 10, 1e-9));
	CHECK(NEAR(trend.intercept, 100, 1e-9));
}

/*
 * After attach, a stack whose blocks live a while steps from 0 to its level as
 * blocks allocated before attach are replaced: not growth.  Least squares
 * would report 6 * 4 MiB * 0.05 * 0.95 / 10 s = 114 KiB/s here.
 */
static void test_attach_step_is_not_growth(void)
{
	double t[41], y[41];
	struct hs_trend trend;

	for (int i = 0; i <= 40; i++)
		t[i] = i * 0.25, y[i] = i < 2 ? 0 : 4 * MiB;
	hs_trend_fit(t, y, 41, &trend);
	CHECK(trend.slope == 0);
	CHECK(trend.tau < 0.1);
}

/* Constant: no trend, and the ties do not make one. */
static void test_constant(void)
{
	double t[10], y[10];
	struct hs_trend trend;

	for (int i = 0; i < 10; i++)
		t[i] = i, y[i] = 42;
	hs_trend_fit(t, y, 10, &trend);
	CHECK(trend.slope == 0 && trend.tau == 0 && trend.z == 0 && trend.noise == 0);
	hs_trend_fit(t, y, 1, &trend);
	CHECK(trend.n == 1 && trend.slope == 0 && trend.intercept == 42);
}

int main(void)
{
	TEST(test_median);
	TEST(test_exact_line);
	TEST(test_outliers);
	TEST(test_attach_step_is_not_growth);
	TEST(test_constant);
	return check_summary();
}
