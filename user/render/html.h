/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_HTML_H
#define HEAPSCOPE_RENDER_HTML_H

#include <stdio.h>

#include "render/diff.h"
#include "render/render.h"

#define HS_HTML_TOP_STACKS 10 /* per list of top stacks */
#define HS_HTML_MAX_FRAMES 32 /* per stack; deeper ones say how many are left out */
#define HS_HTML_MAX_CHARTS 32 /* process charts; the session's sum is always drawn */

int hs_render_html(FILE *out, const struct hs_render_input *input);
int hs_diff_write_html(FILE *out, struct hs_diff *diff, const char *old_name,
		       const char *new_name);

#endif
