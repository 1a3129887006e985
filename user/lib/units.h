/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_UNITS_H
#define HEAPSCOPE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* A byte count as text, by value: several fit in one printf. */
struct hs_bytes_text {
	char text[32];
};

void hs_human_bytes(double bytes, char *out, size_t len);
struct hs_bytes_text hs_bytes_text(double bytes);
#define HS_BYTES(bytes) (hs_bytes_text(bytes).text)

#endif
