// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_diff.c - `heapscope diff` on two known folded inputs: the exact
 * differential folded output (NEW minus OLD per stack, most grown first), and
 * the colours of the differential flame graph (red grew, blue shrank).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/diff.h"

static const char old_folded[] = "main;serve;listener_create 100\n"
				 "main;serve;session_open 500\n"
				 "main;parse 40\n"
				 "main;serve;listener_create 20\n" /* repeated: merged, 120 */
				 "main;gone 30\n"
				 "main;steady 7\n";
static const char new_folded[] = "main;serve;session_open 200\n"
				 "main;serve;listener_create 420\n"
				 "main;parse 40\n"
				 "main;steady 7\n"
				 "main;appeared 15\n"
				 "main;zero 0\n";

static char *render(struct hs_diff *diff, int svg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	if (svg)
		CHECK_EQ(hs_diff_write_svg(out, diff, "old.folded", "new.folded"), 0);
	else
		CHECK_EQ(hs_diff_write_folded(out, diff), 0);
	fclose(out);
	return text;
}

static int build(struct hs_diff *diff)
{
	return hs_diff_build(diff, old_folded, strlen(old_folded), new_folded, strlen(new_folded));
}

static void test_folded_deltas(void)
{
	const char *expected = "main;serve;listener_create 120 420\n" /* +300 */
			       "main;appeared 0 15\n"		  /* +15 */
			       "main;parse 40 40\n"
			       "main;steady 7 7\n"
			       "main;gone 30 0\n"		  /* -30 */
			       "main;serve;session_open 500 200\n"; /* -300 */
	struct hs_diff diff;
	char *text;

	CHECK_EQ(build(&diff), 0);
	CHECK_EQ(diff.old_total, 697);
	CHECK_EQ(diff.new_total, 682);
	text = render(&diff, 0);
	CHECK(text && strcmp(text, expected) == 0);
	if (text && strcmp(text, expected) != 0)
		fprintf(stderr, "  got:\n%s", text);
	free(text);
	hs_diff_free(&diff);
}

/* The fill of the frame whose tooltip starts with title_start. */
static const char *fill_of(const char *svg, const char *title_start, char *fill, size_t len)
{
	const char *at = strstr(svg, title_start), *from, *to;

	fill[0] = '\0';
	if (!at || !(from = strstr(at, "fill=\"")) || !(to = strchr(from + 6, '"')))
		return fill;
	snprintf(fill, len, "%.*s", (int)(to - from - 6), from + 6);
	return fill;
}

static void test_svg_colours(void)
{
	struct hs_diff diff;
	char fill[32];
	char *svg;

	CHECK_EQ(build(&diff), 0);
	svg = render(&diff, 1);
	CHECK(svg != NULL);
	if (!svg)
		return;
	/* listener_create and session_open changed most (300): the deepest colours. */
	CHECK(strcmp(fill_of(svg, "<title>listener_create (old 120, new 420, +300)", fill,
			     sizeof(fill)), "rgb(255,0,0)") == 0);
	CHECK(strcmp(fill_of(svg, "<title>session_open (old 500, new 200, -300)", fill,
			     sizeof(fill)), "rgb(0,0,255)") == 0);
	CHECK(strcmp(fill_of(svg, "<title>parse (old 40, new 40, +0)", fill, sizeof(fill)),
		     "rgb(235,235,235)") == 0);
	/* gone: -30 of 300, a pale blue, drawn though its new weight is 0. */
	CHECK(strcmp(fill_of(svg, "<title>gone (old 30, new 0, -30)", fill, sizeof(fill)),
		     "rgb(212,212,255)") == 0);
	CHECK(strstr(svg, "<title>appeared (old 0, new 15, +15)") != NULL);
	CHECK(strstr(svg, "<title>zero") == NULL); /* 0 in both: nothing to draw */
	CHECK(strstr(svg, "total 697 -&gt; 682 (-15)") != NULL);
	free(svg);
	hs_diff_free(&diff);
}

/* Sums that would wrap are refused, not drawn wrong. */
static void test_overflow_is_refused(void)
{
	const char *big = "a 18446744073709551615\na 1\n";
	struct hs_diff diff;

	CHECK_EQ(hs_diff_build(&diff, big, strlen(big), "", 0), -EOVERFLOW);
	hs_diff_free(&diff);
	CHECK_EQ(hs_diff_build(&diff, "a 18446744073709551615\n", 23, "b 1\n", 4), -EOVERFLOW);
	hs_diff_free(&diff);
}

int main(void)
{
	TEST(test_folded_deltas);
	TEST(test_svg_colours);
	TEST(test_overflow_is_refused);
	return check_summary();
}
