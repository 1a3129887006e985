/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_TREND_H
#define HEAPSCOPE_TREND_H

#include <stddef.h>

/* A straight line through (t, y), robust to outliers, and how monotone y is. */
struct hs_trend {
	size_t n;
	double slope;	  /* per second: the median of the slopes between all pairs (Theil-Sen) */
	double intercept; /* median of y - slope * t */
	double tau;	  /* Kendall's tau: (rising pairs - falling pairs) / pairs, -1..1 */
	double z;	  /* Mann-Kendall statistic of the same pairs, corrected for ties */
	double noise;	  /* robust spread around the line: 1.4826 * median |residual| */
};

double hs_median(double *values, size_t n);
int hs_trend_fit(const double *t, const double *y, size_t n, struct hs_trend *trend);

#endif
