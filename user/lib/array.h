/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ARRAY_H
#define HEAPSCOPE_ARRAY_H

#include <errno.h>
#include <stdlib.h>

/*
 * Make room for needed items in a growable array of *capacity items: double the
 * capacity, starting at first_capacity, until they fit.  0 or -ENOMEM; on
 * failure the array is untouched.
 */
static inline int hs_array_reserve_n(void **items, size_t *capacity, size_t needed,
				     size_t item_size, size_t first_capacity)
{
	size_t bigger_capacity = *capacity ? *capacity : first_capacity;
	void *bigger;

	if (needed <= *capacity)
		return 0;
	while (bigger_capacity < needed)
		bigger_capacity *= 2;
	bigger = realloc(*items, bigger_capacity * item_size);
	if (!bigger)
		return -ENOMEM;
	*items = bigger;
	*capacity = bigger_capacity;
	return 0;
}

/* Room for one more item after count. */
static inline int hs_array_reserve(void **items, size_t *capacity, size_t count, size_t item_size,
				   size_t first_capacity)
{
	return hs_array_reserve_n(items, capacity, count + 1, item_size, first_capacity);
}

/*
 * Binary search in count items sorted by compare: how many come at or before
 * key (compare(key, item) >= 0), so items[result - 1] is the last of them.
 */
static inline size_t hs_array_upper_bound(const void *items, size_t count, size_t item_size,
					  const void *key,
					  int (*compare)(const void *key, const void *item))
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (compare(key, (const char *)items + mid * item_size) >= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
