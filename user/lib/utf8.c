// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * utf8.c - is this a valid UTF-8 sequence?  Names heapscope writes come from targets (ELF
 * symbols, comm, paths) and are bytes, not text: JSON and Prometheus labels pass valid
 * sequences through and replace the rest, each in its own way, with this one test.
 */
#include "lib/utf8.h"

/* Length of the valid UTF-8 sequence at s (2..4), or 0 (RFC 3629: no overlongs, surrogates). */
int hs_utf8_sequence(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}
