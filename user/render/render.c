// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * render.c - pick the renderer for an output format.  Every renderer reads the
 * same symbolized profile (profile.c), so formats agree on a session.
 *
 * Owns: the choice of renderer, nothing else.  Does not own: any format (one
 * file each), nor the words formats share (wording.c, below the renderers).
 * Invariant: calls go one way, render.c -> a renderer -> wording.c; no
 * renderer calls back up here.
 */
#include "render/render.h"

#include <errno.h>

#include "render/folded.h"
#include "render/pprof.h"
#include "render/svg.h"
#include "render/json.h"
#include "render/report.h"
#include "render/html.h"

int hs_render(FILE *out, enum hs_format format, const struct hs_render_input *input)
{
	switch (format) {
	case HS_FORMAT_FOLDED:
		return hs_render_folded(out, input->profile, input->weight);
	case HS_FORMAT_SVG:
		return hs_render_svg(out, input);
	case HS_FORMAT_PPROF:
		return hs_render_pprof(out, input);
	case HS_FORMAT_REPORT:
		return hs_render_report(out, input);
	case HS_FORMAT_JSON:
		return hs_render_json(out, input);
	case HS_FORMAT_HTML:
		return hs_render_html(out, input);
	default:
		return -EINVAL;
	}
}
