/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_WORDING_H
#define HEAPSCOPE_RENDER_WORDING_H

#include <stddef.h>
#include <sys/types.h>

#include "analysis/summary.h"
#include "render/input.h"

/* Words every format shares (report, JSON, SVG title, pprof comments, stderr summary). */
#define HS_RENDER_EXPLANATION_MAX 4096
void hs_render_session_name(const struct hs_summary *sum, char *out, size_t len);
void hs_render_process_name(const struct hs_summary *sum, pid_t pid, char *out, size_t len);
void hs_render_verdict_source(const struct hs_render_input *input, char *out, size_t len);
void hs_render_explanation(const struct hs_render_input *input, char *out, size_t len);
const struct hs_heap_reading *hs_render_heap_reading(const struct hs_render_input *input,
						     pid_t pid);
void hs_render_cut_short(const struct hs_summary *sum, char *out, size_t len);
void hs_render_process_explanation(const struct hs_render_input *input, pid_t pid,
				   const struct hs_verdict *v, char *out, size_t len);

#endif
