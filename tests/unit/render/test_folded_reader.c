// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_folded_reader.c - folded stacks in, stacks out: well-formed lines, the
 * line ends and blanks other tools write, and input that must be skipped and
 * counted, never trusted (NUL bytes, numbers that do not fit, no weight).
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "render/folded_reader.h"

static int parse(const char *text, size_t len, struct hs_folded *folded)
{
	return hs_folded_parse(text, len, folded);
}

static int frame_is(const struct hs_folded_stack *s, uint32_t i, const char *name)
{
	return i < s->frame_count && strcmp(s->frames[i], name) == 0;
}

static void test_well_formed_lines(void)
{
	const char text[] = "main;serve;listener_create 234312\n"
			    "main 7\n"
			    "main;serve;listener_create 1\n";
	struct hs_folded f;

	CHECK_EQ(parse(text, strlen(text), &f), 0);
	CHECK_EQ(f.count, 3);
	CHECK_EQ(f.malformed_lines, 0);
	CHECK_EQ(f.stacks[0].frame_count, 3);
	CHECK(frame_is(&f.stacks[0], 0, "main"));
	CHECK(frame_is(&f.stacks[0], 1, "serve"));
	CHECK(frame_is(&f.stacks[0], 2, "listener_create"));
	CHECK_EQ(f.stacks[0].weight, 234312);
	CHECK_EQ(f.stacks[1].frame_count, 1);
	CHECK_EQ(f.stacks[1].weight, 7);
	CHECK_EQ(f.stacks[2].weight, 1); /* equal stacks are kept apart here */
	CHECK_EQ(f.stacks[2].line, 3);
	hs_folded_free(&f);
}

/* Names may hold blanks and anything but ';' and newlines; the weight is the last word. */
static void test_blanks_and_line_ends(void)
{
	const char text[] = "\n  \r\n"
			    "a b;operator new(unsigned long)\t 12 \r\n"
			    "x;;y 0\n"
			    "last 99"; /* no final newline */
	struct hs_folded f;

	CHECK_EQ(parse(text, strlen(text), &f), 0);
	CHECK_EQ(f.count, 3);
	CHECK_EQ(f.malformed_lines, 0);
	CHECK(frame_is(&f.stacks[0], 0, "a b"));
	CHECK(frame_is(&f.stacks[0], 1, "operator new(unsigned long)"));
	CHECK_EQ(f.stacks[0].weight, 12);
	CHECK_EQ(f.stacks[0].line, 3);
	CHECK_EQ(f.stacks[1].frame_count, 3);
	CHECK(frame_is(&f.stacks[1], 1, ""));
	CHECK_EQ(f.stacks[1].weight, 0);
	CHECK(frame_is(&f.stacks[2], 0, "last"));
	CHECK_EQ(f.stacks[2].weight, 99);
	hs_folded_free(&f);
}

static void test_malformed_lines_are_counted(void)
{
	const char text[] = "good 1\n"
			    "no_weight\n"
			    "negative -5\n"
			    "too_big 18446744073709551616\n"
			    "42\n"
			    "   17\n"
			    "hex 0x10\n"
			    "nul\0byte 3\n"
			    "max 18446744073709551615\n";
	struct hs_folded f;

	CHECK_EQ(parse(text, sizeof(text) - 1, &f), 0);
	CHECK_EQ(f.count, 2);
	CHECK_EQ(f.malformed_lines, 7);
	CHECK_EQ(f.first_malformed_line, 2);
	CHECK(frame_is(&f.stacks[1], 0, "max"));
	CHECK_EQ(f.stacks[1].weight, UINT64_MAX);
	CHECK_EQ(f.stacks[1].line, 9);
	hs_folded_free(&f);
}

/* The reader must stop at len: nothing after it is read. */
static void test_reads_only_len_bytes(void)
{
	const char text[] = "a;b 5\nc 6\n";
	struct hs_folded f;

	CHECK_EQ(parse(text, 5, &f), 0); /* "a;b 5" */
	CHECK_EQ(f.count, 1);
	CHECK_EQ(f.stacks[0].weight, 5);
	hs_folded_free(&f);
	CHECK_EQ(parse(text, 4, &f), 0); /* "a;b " */
	CHECK_EQ(f.count, 0);
	CHECK_EQ(f.malformed_lines, 1);
	hs_folded_free(&f);
	CHECK_EQ(parse("", 0, &f), 0);
	CHECK_EQ(f.count, 0);
	CHECK_EQ(f.malformed_lines, 0);
	hs_folded_free(&f);
}

/* Every ';' a frame: the frame pool is sized from them and must hold them all. */
static void test_many_separators(void)
{
	char text[4100];
	struct hs_folded f;

	memset(text, ';', 4000);
	strcpy(text + 4000, " 3\n;; 4\n");
	CHECK_EQ(parse(text, strlen(text), &f), 0);
	CHECK_EQ(f.count, 2);
	CHECK_EQ(f.stacks[0].frame_count, 4001);
	CHECK_EQ(f.stacks[1].frame_count, 3);
	CHECK_EQ(f.stacks[1].weight, 4);
	hs_folded_free(&f);
}

int main(void)
{
	TEST(test_well_formed_lines);
	TEST(test_blanks_and_line_ends);
	TEST(test_malformed_lines_are_counted);
	TEST(test_reads_only_len_bytes);
	TEST(test_many_separators);
	return check_summary();
}
