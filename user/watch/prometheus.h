/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_WATCH_PROMETHEUS_H
#define HEAPSCOPE_WATCH_PROMETHEUS_H

#include <stddef.h>
#include <stdio.h>

#include "watch/watch.h"

/* The media type of the text exposition format, version 0.0.4. */
#define HS_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

void hs_prom_label_value(FILE *out, const char *value, size_t max_bytes);
int hs_prom_write(FILE *out, const struct hs_watch *w);

#endif
