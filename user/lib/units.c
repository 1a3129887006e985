// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * units.c - numbers for people: byte counts in B/KiB/MiB/GiB/TiB, as the
 * stderr summary and the text report show them.  Machine formats (folded,
 * JSON) print exact integers instead.
 */
#include "lib/units.h"

#include <stdio.h>

/* "0 B", "1023 B", "1.5 KiB", "-2.0 MiB" (growth can be negative). */
void hs_human_bytes(double bytes, char *out, size_t len)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double value = bytes < 0 ? -bytes : bytes;
	int unit = 0;

	while (value >= 1024 && unit < 4) {
		value /= 1024;
		unit++;
	}
	snprintf(out, len, unit ? "%s%.1f %s" : "%s%.0f %s", bytes < 0 ? "-" : "", value,
		 units[unit]);
}

struct hs_bytes_text hs_bytes_text(double bytes)
{
	struct hs_bytes_text t;

	hs_human_bytes(bytes, t.text, sizeof(t.text));
	return t;
}
