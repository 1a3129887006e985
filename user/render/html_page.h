/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_HTML_PAGE_H
#define HEAPSCOPE_RENDER_HTML_PAGE_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/timeline.h"

/* One flame graph the page can show; the first one a page writes is shown first. */
struct hs_html_view {
	const char *id;	   /* [a-z]+: the button's and the template's name */
	const char *label; /* the button's words */
	int (*write_svg)(FILE *out, const void *ctx); /* a whole SVG document, as svg.c writes it */
	const void *ctx;
};

void hs_html_begin(FILE *out, const char *title);
int hs_html_end(FILE *out);
void hs_html_text(FILE *out, const char *text);
void hs_html_bytes(FILE *out, const char *id, uint64_t bytes);
void hs_html_count(FILE *out, const char *id, uint64_t count);
int hs_html_views(FILE *out, const struct hs_html_view *views, size_t count);
int hs_html_chart(FILE *out, const char *label, const struct hs_timeline_point *points,
		  size_t count);

#endif
