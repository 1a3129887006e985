/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_UNITS_H
#define HEAPSCOPE_UNITS_H

#include <stddef.h>
#include <stdint.h>

void hs_human_bytes(double bytes, char *out, size_t len);

#endif
