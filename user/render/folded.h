/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RENDER_FOLDED_H
#define HEAPSCOPE_RENDER_FOLDED_H

#include <stdio.h>

#include "analysis/profile.h"

int hs_render_folded(FILE *out, const struct hs_profile *profile, enum hs_weight weight);
void hs_folded_frame_name(const char *name, char *out, size_t len);

#endif
