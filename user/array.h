/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ARRAY_H
#define HEAPSCOPE_ARRAY_H

#include <errno.h>
#include <stdlib.h>

/*
 * Make room for one more item in a growable array (*items holds count of
 * *capacity): double the capacity, starting at first_capacity.  0 or -ENOMEM;
 * on failure the array is untouched.
 */
static inline int hs_array_reserve(void **items, size_t *capacity, size_t count, size_t item_size,
				   size_t first_capacity)
{
	size_t bigger_capacity;
	void *bigger;

	if (count < *capacity)
		return 0;
	bigger_capacity = *capacity ? *capacity * 2 : first_capacity;
	bigger = realloc(*items, bigger_capacity * item_size);
	if (!bigger)
		return -ENOMEM;
	*items = bigger;
	*capacity = bigger_capacity;
	return 0;
}

#endif
