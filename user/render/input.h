/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_INPUT_H
#define HEAPSCOPE_RENDER_INPUT_H

#include "analysis/analysis.h"
#include "analysis/profile.h"
#include "analysis/summary.h"
#include "reach/leak_check.h"
#include "render/heap_state.h"
#include "symbol/symbolize.h"

/* Everything a renderer may read.  Renderers write to out and return 0 or -errno. */
struct hs_render_input {
	const struct hs_profile *profile;
	const struct hs_summary *summary;
	enum hs_weight weight;
	const struct hs_analysis *analysis; /* growth, ages, verdict: report and json */
	struct hs_symbolizer *sym; /* its kept files give pprof source lines; NULL: names only */
	const struct hs_leak_result *leaks; /* --leak-check tried (see its done), or NULL */
	const struct hs_heap_reading *heap_readings; /* glibc targets' allocator state, or NULL */
	size_t heap_reading_count;
};

#endif
