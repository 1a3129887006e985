/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_LIB_UTF8_H
#define HEAPSCOPE_LIB_UTF8_H

/* Length of the valid UTF-8 sequence at s (2..4), or 0; s[0] >= 0x80, and s holds up to 4
 * readable bytes or a terminating byte that makes the sequence invalid. */
int hs_utf8_sequence(const unsigned char *s);

#endif
