/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_JSON_H
#define HEAPSCOPE_JSON_H

#include <stdio.h>

void hs_json_string(FILE *out, const char *s);
void hs_json_number(FILE *out, double value);

#endif
