/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_SVG_H
#define HEAPSCOPE_RENDER_SVG_H

#include <stdbool.h>
#include <stdio.h>

#include "render/flame.h"
#include "render/input.h"

#define HS_SVG_MAX_DEPTH 1024	    /* deeper frames are cut; such stacks are counted */
#define HS_SVG_MIN_FRAME_WIDTH_PX 0.1 /* narrower frames are not drawn; they are counted */

/* What the picture says besides its frames. */
struct hs_svg_labels {
	const char *title;
	const char *subtitle;
	const char *unit;  /* of the weights: "bytes", "blocks", "allocations", or "" */
	bool differential; /* colour by new - old (red grew, blue shrank) rather than by name */
};

int hs_svg_write(FILE *out, struct hs_flame_stack *stacks, size_t count,
		 const struct hs_svg_labels *labels);
int hs_render_svg(FILE *out, const struct hs_render_input *input);
void hs_group_digits(uint64_t value, char *out, size_t len);
void hs_svg_escape(FILE *out, const char *text);

#endif
