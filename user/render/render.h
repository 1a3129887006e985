/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_H
#define HEAPSCOPE_RENDER_H

#include <stdio.h>

#include "render/format.h"
#include "render/input.h"
/* The stderr summary names the session with the renderers' words; its callers reach them here. */
#include "render/wording.h"

int hs_render(FILE *out, enum hs_format format, const struct hs_render_input *input);

#endif
