// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_folded_reader.c - the folded-stack reader (user/render/folded_reader.c) and what
 * `heapscope diff` does with two such files (user/render/diff.c), on arbitrary
 * bytes: folded files come from anywhere.  The input's first byte says where
 * to cut it into OLD and NEW.
 *
 * Oracle: every stack read, written back as "frame;...;frame WEIGHT", reads
 * back as the same stack.
 */
#include <string.h>

#include "render/diff.h"
#include "render/folded_reader.h"
#include "fuzz.h"

static FILE *null_output(void)
{
	static FILE *devnull;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	return devnull;
}

static void check_round_trip(const struct hs_folded_stack *stack)
{
	char *line = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);
	struct hs_folded again;

	FUZZ_ASSERT(out);
	for (uint32_t f = 0; f < stack->frame_count; f++)
		fprintf(out, "%s%s", f ? ";" : "", stack->frames[f]);
	fprintf(out, " %llu\n", (unsigned long long)stack->weight);
	fclose(out);
	FUZZ_ASSERT(hs_folded_parse(line, len, &again) == 0);
	FUZZ_ASSERT(again.count == 1 && again.malformed_lines == 0);
	FUZZ_ASSERT(again.stacks[0].weight == stack->weight);
	FUZZ_ASSERT(again.stacks[0].frame_count == stack->frame_count);
	for (uint32_t f = 0; f < stack->frame_count; f++)
		FUZZ_ASSERT(strcmp(again.stacks[0].frames[f], stack->frames[f]) == 0);
	hs_folded_free(&again);
	free(line);
}

static void check_folded(const uint8_t *data, size_t size)
{
	struct hs_folded folded;
	size_t lines = 1, last_line = 0;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	FUZZ_ASSERT(hs_folded_parse((const char *)data, size, &folded) == 0);
	FUZZ_ASSERT(folded.count + folded.malformed_lines <= lines);
	for (size_t i = 0; i < folded.count; i++) {
		const struct hs_folded_stack *stack = &folded.stacks[i];

		FUZZ_ASSERT(stack->frame_count >= 1);
		FUZZ_ASSERT(stack->line > last_line && stack->line <= lines);
		last_line = stack->line;
		for (uint32_t f = 0; f < stack->frame_count; f++) {
			FUZZ_ASSERT(stack->frames[f] >= folded.text &&
				    stack->frames[f] <= folded.text + size);
			FUZZ_ASSERT(!strpbrk(stack->frames[f], ";\n"));
		}
		check_round_trip(stack);
	}
	hs_folded_free(&folded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_diff diff;
	size_t cut;

	if (size == 0)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	cut = cut < size ? cut : size;
	check_folded(data, size);
	if (hs_diff_build(&diff, (const char *)data, cut, (const char *)data + cut, size - cut) == 0) {
		FUZZ_ASSERT(hs_diff_write_folded(null_output(), &diff) == 0);
		FUZZ_ASSERT(hs_diff_write_svg(null_output(), &diff, "old.folded", "new.folded") == 0);
	}
	hs_diff_free(&diff);
	return 0;
}
