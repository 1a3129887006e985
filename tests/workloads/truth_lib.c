// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* truth_lib.c - a shared library that allocates: frames inside a .so must be
 * named through its own load bias. */
#include <stdlib.h>

__attribute__((noinline)) size_t lib_keep(void **keep, size_t count, size_t size)
{
	for (size_t i = 0; i < count; i++)
		keep[i] = malloc(size);
	return count * size;
}
