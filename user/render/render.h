/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_H
#define HEAPSCOPE_RENDER_H

#include <stdio.h>

#include "analysis/analysis.h"
#include "cli/options.h"
#include "analysis/profile.h"
#include "analysis/summary.h"
#include "reach/leak_check.h"

/* Everything a renderer may read.  Renderers write to out and return 0 or -errno. */
struct hs_render_input {
	const struct hs_profile *profile;
	const struct hs_summary *summary;
	enum hs_weight weight;
	const struct hs_analysis *analysis; /* growth, ages, verdict: report and json */
	struct hs_symbolizer *sym; /* its kept files give pprof source lines; NULL: names only */
	const struct hs_leak_result *leaks; /* --leak-check tried (see its done), or NULL */
};

int hs_render(FILE *out, enum hs_format format, const struct hs_render_input *input);

/* Words every format shares (report, JSON, SVG title, pprof comments, stderr summary). */
#define HS_RENDER_EXPLANATION_MAX 4096
void hs_render_session_name(const struct hs_summary *sum, char *out, size_t len);
void hs_render_process_name(const struct hs_summary *sum, pid_t pid, char *out, size_t len);
void hs_render_verdict_source(const struct hs_render_input *input, char *out, size_t len);
void hs_render_explanation(const struct hs_render_input *input, char *out, size_t len);

#endif
