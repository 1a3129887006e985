/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_REPORT_H
#define HEAPSCOPE_RENDER_REPORT_H

#include <stdio.h>

#include "render/input.h"

int hs_render_report(FILE *out, const struct hs_render_input *input);

#endif
