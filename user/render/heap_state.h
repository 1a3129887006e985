/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_HEAP_STATE_H
#define HEAPSCOPE_RENDER_HEAP_STATE_H

#include <stddef.h>
#include <stdio.h>

#include "inspect/inspect.h"

/* What glibc's free memory means, in one sentence, and what to do about it. */
void hs_heap_state_sentence(const struct hs_inspection *insp, char *out, size_t len);
void hs_heap_state_advice(FILE *out, const struct hs_inspection *insp, const char *indent);

/* The ALLOCATOR STATE section of a report, for one process. */
void hs_heap_state_report(FILE *out, const struct hs_inspection *insp);
/* One process's state as a JSON object (allocator, arenas, totals, types, sizes). */
void hs_heap_state_json(FILE *out, const struct hs_inspection *insp);

/* heapscope inspect's whole output: report or JSON, one process or several. */
int hs_render_inspect_report(FILE *out, const struct hs_inspection *insps, size_t count);
int hs_render_inspect_json(FILE *out, const struct hs_inspection *insps, size_t count);

#endif
