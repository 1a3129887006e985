// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * folded.c - folded stacks: "root;caller;...;leaf WEIGHT", one line per
 * stack with a non-zero weight, heaviest first.  The interchange format of
 * flamegraph.pl, inferno, speedscope and `heapscope diff`.
 *
 * The format has no escaping, so a ';' in a name (C++ templates can hold one
 * in theory) becomes ':' and control characters become spaces.
 */
#include "render/folded.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	const struct hs_profile *profile;
	const struct hs_profile_sample *sample;
	uint64_t weight;
};

/* Root first, frame by frame, by name; a stack before the longer ones it starts. */
static int by_frame_names(const struct hs_profile *profile, const struct hs_profile_sample *x,
			  const struct hs_profile_sample *y)
{
	for (uint32_t f = 0; f < x->frame_count && f < y->frame_count; f++) {
		int order = strcmp(profile->names[x->names[f]], profile->names[y->names[f]]);

		if (order)
			return order;
	}
	return (x->frame_count > y->frame_count) - (x->frame_count < y->frame_count);
}

/* Heaviest first; equal weights by name, so that one session always prints the same file. */
static int heaviest_first(const void *a, const void *b)
{
	const struct weighted *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return by_frame_names(x->profile, x->sample, y->sample);
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
			order[count++] = (struct weighted){ profile, &profile->samples[i], value };
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
