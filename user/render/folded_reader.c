// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * folded_reader.c - read folded stacks ("root;...;leaf WEIGHT" per line), as
 * heapscope, flamegraph.pl's stackcollapse scripts and inferno write them.
 *
 * The input is a buffer and its length and is not trusted: it may hold NUL
 * bytes, no final newline, CRLF line ends, huge or negative numbers, or
 * anything else.  A line is understood when, after trailing blanks are cut,
 * it ends in blanks and a decimal weight that fits 64 bits, and something is
 * left before them; its frames are what lies between ';'s (they may be
 * empty).  Blank lines are skipped; other lines not understood are skipped
 * and counted.  Lines are kept as they come: equal stacks are not merged here.
 *
 * Owns: a copy of the input, in which ';' and the blank before the weight
 * become NULs so names point into it, and the arrays of stacks and frames,
 * sized before parsing from the count of ';' and newlines so they never move.
 * Does not own: what a weight means.
 */
#include "render/folded_reader.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The decimal number in [at, end), or false if it is not one that fits 64 bits. */
static bool parse_weight(const char *at, const char *end, uint64_t *weight)
{
	uint64_t value = 0;

	if (at == end)
		return false;
	for (; at < end; at++) {
		if (*at < '0' || *at > '9' || __builtin_mul_overflow(value, 10, &value) ||
		    __builtin_add_overflow(value, (uint64_t)(*at - '0'), &value))
			return false;
	}
	*weight = value;
	return true;
}

/* Cut the line [line, end) into a stack; false if it is not one. */
static bool parse_line(struct hs_folded *folded, char *line, char *end, const char ***pool_at)
{
	struct hs_folded_stack *stack = &folded->stacks[folded->count];
	char *weight_at, *stack_end;
	uint64_t frames = 1;

	while (end > line && is_blank(end[-1]))
		end--;
	weight_at = end;
	while (weight_at > line && !is_blank(weight_at[-1]))
		weight_at--;
	stack_end = weight_at;
	while (stack_end > line && is_blank(stack_end[-1]))
		stack_end--;
	if (stack_end == weight_at || stack_end == line || memchr(line, '\0', end - line) ||
	    !parse_weight(weight_at, end, &stack->weight))
		return false;
	for (char *c = line; c < stack_end; c++)
		frames += *c == ';';
	if (frames > UINT32_MAX)
		return false;
	*stack_end = '\0';
	stack->frames = *pool_at;
	stack->frame_count = (uint32_t)frames;
	*(*pool_at)++ = line;
	for (char *c = line; c < stack_end; c++) {
		if (*c == ';') {
			*c = '\0';
			*(*pool_at)++ = c + 1;
		}
	}
	return true;
}

static bool is_blank_line(const char *line, const char *end)
{
	for (; line < end; line++)
		if (!is_blank(*line))
			return false;
	return true;
}

int hs_folded_parse(const char *data, size_t len, struct hs_folded *folded)
{
	size_t lines = 1, separators = 0, line_number = 0;
	const char **pool_at;
	char *at, *end;

	memset(folded, 0, sizeof(*folded));
	for (size_t i = 0; i < len; i++) {
		lines += data[i] == '\n';
		separators += data[i] == ';';
	}
	folded->text = malloc(len + 1);
	folded->stacks = calloc(lines, sizeof(*folded->stacks));
	folded->frame_pool = calloc(lines + separators, sizeof(*folded->frame_pool));
	if (!folded->text || !folded->stacks || !folded->frame_pool) {
		hs_folded_free(folded);
		return -ENOMEM;
	}
	memcpy(folded->text, data, len);
	folded->text[len] = '\0';
	pool_at = folded->frame_pool;
	for (at = folded->text, end = at + len; at < end; at++) {
		char *line_end = memchr(at, '\n', end - at);

		line_end = line_end ? line_end : end;
		line_number++;
		if (parse_line(folded, at, line_end, &pool_at)) {
			folded->stacks[folded->count++].line = line_number;
		} else if (!is_blank_line(at, line_end)) {
			if (!folded->malformed_lines++)
				folded->first_malformed_line = line_number;
		}
		at = line_end;
	}
	return 0;
}

void hs_folded_free(struct hs_folded *folded)
{
	free(folded->text);
	free(folded->frame_pool);
	free(folded->stacks);
	memset(folded, 0, sizeof(*folded));
}
