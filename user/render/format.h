/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_FORMAT_H
#define HEAPSCOPE_RENDER_FORMAT_H

/*
 * The output formats heapscope renders (-f), in render/ because render.c
 * dispatches on them; the command line names and parses them.
 */
enum hs_format {
	HS_FORMAT_FOLDED = 0,
	HS_FORMAT_SVG,
	HS_FORMAT_PPROF,
	HS_FORMAT_REPORT,
	HS_FORMAT_JSON,
	HS_FORMAT_HTML,
	HS_FORMAT_COUNT,
};

#endif
