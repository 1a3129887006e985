// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trend.c - the statistics behind growth figures and the verdict: a median,
 * and a straight line through a series that outliers and steps do not move.
 *
 * Trends are Theil-Sen lines (the median of the slopes between every pair of
 * points) with Kendall's tau and the Mann-Kendall test over the same pairs.
 * Least squares would be cheaper, but one step ruins it: right after attach,
 * every stack whose blocks live a while climbs from 0 to its steady level as
 * blocks allocated before attach are replaced by ones heapscope sees, and a
 * least-squares line through that step reports growth that is not there.  The
 * median of pairwise slopes ignores a step that touches a minority of pairs,
 * and tau says how steady the growth is: 1 when every later point is higher.
 *
 * Owns: the arithmetic, pure functions of the numbers given.  Does not own:
 * which points are fitted (verdict.c, analysis.c) or what a slope means
 * (verdict.c).  Invariant: a fit of n points costs n * (n - 1) / 2 slopes of
 * memory, freed before it returns.
 */
#include "analysis/trend.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void swap(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

/* The k-th smallest of v[0..n) (Hoare's quickselect); reorders v around it. */
static double select_kth(double *v, long n, long k)
{
	long lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		long i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
				swap(&v[i++], &v[j--]);
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* Median of v[0..n) (0 when empty); reorders v. */
double hs_median(double *values, size_t n)
{
	double upper, lower;

	if (n == 0)
		return 0;
	upper = select_kth(values, n, n / 2);
	if (n % 2)
		return upper;
	lower = values[0]; /* everything before n / 2 is <= upper now */
	for (size_t i = 1; i < n / 2; i++)
		if (values[i] > lower)
			lower = values[i];
	return (lower + upper) / 2;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Variance of the Mann-Kendall S under no trend, less what tied values remove. */
static double kendall_variance(const double *y, size_t n, double *work)
{
	double variance = (double)n * (n - 1) * (2.0 * n + 5);

	memcpy(work, y, n * sizeof(*work));
	qsort(work, n, sizeof(*work), by_value);
	for (size_t i = 0, j; i < n; i = j) {
		double ties;

		for (j = i + 1; j < n && work[j] == work[i]; j++)
			;
		ties = j - i;
		variance -= ties * (ties - 1) * (2 * ties + 5);
	}
	return variance / 18;
}

int hs_trend_fit(const double *t, const double *y, size_t n, struct hs_trend *trend)
{
	size_t pairs = n * (n - 1) / 2, slopes = 0;
	double s = 0, variance, *work;

	memset(trend, 0, sizeof(*trend));
	trend->n = n;
	if (n < 2) {
		trend->intercept = n ? y[0] : 0;
		return 0;
	}
	work = malloc((pairs > n ? pairs : n) * sizeof(*work));
	if (!work)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			s += (y[j] > y[i]) - (y[j] < y[i]);
			if (t[j] != t[i])
				work[slopes++] = (y[j] - y[i]) / (t[j] - t[i]);
		}
	}
	trend->slope = hs_median(work, slopes);
	for (size_t i = 0; i < n; i++)
		work[i] = y[i] - trend->slope * t[i];
	trend->intercept = hs_median(work, n);
	for (size_t i = 0; i < n; i++)
		work[i] = fabs(y[i] - trend->slope * t[i] - trend->intercept);
	trend->noise = 1.4826 * hs_median(work, n);
	trend->tau = s / pairs;
	variance = kendall_variance(y, n, work);
	if (variance > 0)
		trend->z = (s - (s > 0) + (s < 0)) / sqrt(variance);
	free(work);
	return 0;
}
