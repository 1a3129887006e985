// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_svg.c - the flame graph's text: names escaped whatever they
 * hold, cut to fit their box but whole in the tooltip, weights and
 * percentages, frames too narrow to draw counted, and the layout (widths,
 * siblings in name order, merged prefixes).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/svg.h"

static char *draw(struct hs_flame_stack *stacks, size_t count)
{
	struct hs_svg_labels labels = { .title = "t<1>", .subtitle = "s&2", .unit = "bytes" };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CHECK_EQ(hs_svg_write(out, stacks, count, &labels), 0);
	fclose(out);
	return text;
}

static void test_names_are_escaped(void)
{
	const char *markup[] = { "main", "a<b>&\"c'" };
	const char *bytes[] = { "main", "bad\xff\xfe utf8 \x01 na\xc3\xafve \xed\xa0\x80" };
	struct hs_flame_stack stacks[] = {
		{ markup, 2, 0, 500 },
		{ bytes, 2, 0, 500 },
	};
	char *svg = draw(stacks, 2);

	CHECK(svg != NULL);
	if (!svg)
		return;
	CHECK(strstr(svg, "<title>a&lt;b&gt;&amp;&quot;c&apos; (500 bytes, 50.00%)</title>"));
	CHECK(strstr(svg, "<title>bad?? utf8 ? na\xc3\xafve ??? (500 bytes, 50.00%)</title>"));
	CHECK(strstr(svg, "\xff") == NULL);
	CHECK(strstr(svg, "\x01") == NULL);
	CHECK(strstr(svg, ">t&lt;1&gt;</text>"));
	CHECK(strstr(svg, ">s&amp;2</text>"));
	free(svg);
}

static void test_long_names_are_cut_to_fit(void)
{
	char long_name[301];
	const char *wide[] = { long_name };
	const char *narrow[] = { "x", "abcdefghijklmnopqrstuvwxyz" };
	struct hs_flame_stack stacks[] = {
		{ wide, 1, 0, 900 },
		{ narrow, 2, 0, 100 }, /* 10% of 1180 px: 118 px, 15 characters */
	};
	char *svg, expected[400];

	memset(long_name, 'n', 300);
	long_name[300] = '\0';
	svg = draw(stacks, 2);
	CHECK(svg != NULL);
	if (!svg)
		return;
	snprintf(expected, sizeof(expected), "<title>%s (900 bytes, 90.00%%)</title>", long_name);
	CHECK(strstr(svg, expected));
	CHECK(strstr(svg, ">abcdefghijklm..</text>"));
	CHECK(strstr(svg, "<title>abcdefghijklmnopqrstuvwxyz (100 bytes, 10.00%)</title>"));
	CHECK(strstr(svg, "<title>all (1,000 bytes, 100.00%)</title>"));
	free(svg);
}

/* One rect per distinct prefix, siblings in name order, widths by weight. */
static void test_layout(void)
{
	const char *ab[] = { "a", "b" }, *ac[] = { "a", "c" }, *a[] = { "a" }, *d[] = { "d" };
	struct hs_flame_stack stacks[] = {
		{ ac, 2, 0, 300 }, { d, 1, 0, 500 }, { ab, 2, 0, 100 }, { a, 1, 0, 100 },
		{ ab, 2, 0, 0 },
	};
	char *svg = draw(stacks, 5);
	const char *b, *c;

	CHECK(svg != NULL);
	if (!svg)
		return;
	/* The root "all" is at the bottom (y 104), a and d on it. */
	CHECK(strstr(svg, "<title>a (500 bytes, 50.00%)</title><rect x=\"10.000\" y=\"88\" "
			  "width=\"590.000\""));
	CHECK(strstr(svg, "<title>d (500 bytes, 50.00%)</title><rect x=\"600.000\" y=\"88\" "
			  "width=\"590.000\""));
	/* a's own 100 bytes come first, then its callees b and c. */
	b = strstr(svg, "<title>b (100 bytes, 10.00%)</title><rect x=\"128.000\" y=\"72\" "
			"width=\"118.000\"");
	c = strstr(svg, "<title>c (300 bytes, 30.00%)</title><rect x=\"246.000\" y=\"72\" "
			"width=\"354.000\"");
	CHECK(b && c);
	CHECK(strstr(svg, "height=\"148\""));
	free(svg);
}

static void test_narrow_frames_are_counted(void)
{
	const char *big[] = { "big" }, *tiny[] = { "tiny", "tinier" };
	struct hs_flame_stack stacks[] = {
		{ big, 1, 0, 1000000 },
		{ tiny, 2, 0, 50 }, /* 0.059 px */
	};
	char *svg = draw(stacks, 2);

	CHECK(svg != NULL);
	if (!svg)
		return;
	CHECK(strstr(svg, "<title>tiny") == NULL);
	CHECK(strstr(svg, "; 2 frames narrower than 0.1 px not drawn"));
	free(svg);
}

int main(void)
{
	TEST(test_names_are_escaped);
	TEST(test_long_names_are_cut_to_fit);
	TEST(test_layout);
	TEST(test_narrow_frames_are_counted);
	return check_summary();
}
