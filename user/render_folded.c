// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * render_folded.c - folded stacks: "root;caller;...;leaf WEIGHT", one line per
 * stack with a non-zero weight, heaviest first.  The interchange format of
 * flamegraph.pl, inferno, speedscope and `heapscope diff`.
 *
 * The format has no escaping, so a ';' in a name (C++ templates can hold one
 * in theory) becomes ':' and control characters become spaces.
 */
#include "render_folded.h"

#include <errno.h>
#include <stdlib.h>

void hs_folded_frame_name(const char *name, char *out, size_t len)
{
	size_t i = 0;

	for (; name[i] && i + 1 < len; i++) {
		char c = name[i];

		out[i] = c == ';' ? ':' : ((unsigned char)c < 0x20 || c == 0x7f) ? ' ' : c;
	}
	out[i] = '\0';
}

struct weighted {
	const struct hs_profile_sample *sample;
	uint64_t weight;
};

static int heaviest_first(const void *a, const void *b)
{
	const struct weighted *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return 0;
}

int hs_render_folded(FILE *out, const struct hs_profile *profile, enum hs_weight weight)
{
	struct weighted *order = calloc(profile->sample_count + 1, sizeof(*order));
	size_t count = 0;
	char name[1024];

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < profile->sample_count; i++) {
		uint64_t value = profile->samples[i].values[weight];

		if (value)
			order[count++] = (struct weighted){ &profile->samples[i], value };
	}
	qsort(order, count, sizeof(*order), heaviest_first);
	for (size_t i = 0; i < count; i++) {
		const struct hs_profile_sample *sample = order[i].sample;

		for (uint32_t f = 0; f < sample->frame_count; f++) {
			hs_folded_frame_name(profile->names[sample->names[f]], name, sizeof(name));
			fprintf(out, "%s%s", f ? ";" : "", name);
		}
		fprintf(out, " %llu\n", (unsigned long long)order[i].weight);
	}
	free(order);
	return ferror(out) ? -EIO : 0;
}
