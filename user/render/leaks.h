/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_LEAKS_H
#define HEAPSCOPE_RENDER_LEAKS_H

#include <stdbool.h>
#include <stdio.h>

#include "render/render.h"

/* What a conservative mark cannot see: said in the report and in JSON. */
#define HS_LEAKS_CANNOT_SEE                                                                     \
	"It cannot see pointers it does not recognise: hidden ones (XOR-linked lists, tagged or "  \
	"misaligned pointers, offsets instead of addresses) make their blocks look leaked; "       \
	"pointers held only by the kernel (epoll event data, io_uring user data, timers) too.  "  \
	"A stale pointer (a dead stack slot, a freed block's old contents, the allocator's own "  \
	"free memory under another allocator) keeps a leaked block reachable: a leak missed, "    \
	"never one invented."

void hs_render_leak_verdict(const struct hs_render_input *in, char *out, size_t len);
int hs_render_leaks_report(FILE *out, const struct hs_render_input *in);
int hs_render_leaks_json(FILE *out, const struct hs_render_input *in);

/* The pieces a session's LEAKS and leak_check share with heapscope inspect's (no stacks). */
bool hs_leaks_report_head(FILE *out, const struct hs_leak_result *r);
void hs_leaks_report_sizes(FILE *out, const struct hs_leak_result *r);
void hs_leaks_report_tail(FILE *out, const struct hs_leak_result *r);
bool hs_leaks_json_head(FILE *out, const struct hs_leak_result *r);
void hs_leaks_json_totals(FILE *out, const struct hs_leak_result *r);
void hs_leaks_json_sizes(FILE *out, const struct hs_leak_result *r);
void hs_leaks_json_tail(FILE *out, const struct hs_leak_result *r);

#endif
