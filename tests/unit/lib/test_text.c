// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_text.c - user/lib/text.c: a paragraph wrapped at a width, at spaces, each line
 * indented, the first led by a bullet the others hang under; a word longer than a line is
 * cut; nothing but the spaces at a break is lost.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/text.h"

/* hs_text_wrap's output, in a string the caller frees. */
static char *wrapped(const char *text, int indent, const char *bullet, int width)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	hs_text_wrap(f, text, indent, bullet, width);
	fclose(f);
	return out;
}

static int same(char *got, const char *want)
{
	int ok = strcmp(got, want) == 0;

	if (!ok)
		fprintf(stderr, "  got  [%s]\n  want [%s]\n", got, want);
	free(got);
	return ok;
}

static void test_wrap(void)
{
	CHECK(same(wrapped("one two three four", 2, "", 12), "  one two\n  three four\n"));
	CHECK(same(wrapped("short", 0, "", 80), "short\n"));
	CHECK(same(wrapped("", 2, "- ", 80), ""));
	/* The bullet leads the first line; the next ones hang under the text. */
	CHECK(same(wrapped("aaa bbb ccc ddd", 2, "- ", 11), "  - aaa bbb\n    ccc ddd\n"));
	CHECK(same(wrapped("aaa bbb", 2, "end:   ", 13), "  end:   aaa\n         bbb\n"));
	/* A word longer than the room is cut; spaces at a break go. */
	CHECK(same(wrapped("abcdefghij  xy", 0, "", 4), "abcd\nefgh\nij\nxy\n"));
}

/* No line over the width, and every word kept, in order. */
static void test_width_kept(void)
{
	const char *text = "glibc holds 16.2 MiB free (16.1 MiB of it resident) in 1 arena; "
			   "malloc_trim(0) would return about 16.2 MiB.";
	char *out = wrapped(text, 2, "- ", 40), *line, *save = NULL;
	char joined[512] = "";

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		CHECK(strlen(line) <= 40);
		if (joined[0])
			strcat(joined, " ");
		strcat(joined, line + 4);
	}
	CHECK(strcmp(joined, text) == 0);
	free(out);
}

int main(void)
{
	TEST(test_wrap);
	TEST(test_width_kept);
	return check_summary();
}
