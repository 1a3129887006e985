/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_LIB_TEXT_H
#define HEAPSCOPE_LIB_TEXT_H

#include <stdio.h>

void hs_text_wrap(FILE *out, const char *text, int indent, const char *bullet, int width);

#endif
