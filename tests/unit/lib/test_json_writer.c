// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_json_writer.c - user/lib/json_writer.c: any symbol name becomes a valid JSON string
 * (quotes, backslashes, control characters, UTF-8 kept, invalid bytes as
 * \u00XX), and numbers that JSON cannot hold become null.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/json_writer.h"

static int same(const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 1;
	fprintf(stderr, "  got  %s\n  want %s\n", got, want);
	return 0;
}

/* What a writer put in a memory stream. */
struct captured {
	char *text;
	size_t len;
};

static FILE *capture(struct captured *c)
{
	c->text = NULL;
	return open_memstream(&c->text, &c->len);
}

static int captured_is(FILE *out, struct captured *c, const char *want)
{
	int ok;

	fclose(out);
	ok = same(c->text, want);
	free(c->text);
	return ok;
}

static int string_is(const char *in, const char *want)
{
	struct captured c;
	FILE *out = capture(&c);

	hs_json_string(out, in);
	return captured_is(out, &c, want);
}

static int number_is(double in, const char *want)
{
	struct captured c;
	FILE *out = capture(&c);

	hs_json_number(out, in);
	return captured_is(out, &c, want);
}

static void test_plain_and_escaped(void)
{
	CHECK(string_is("main", "\"main\""));
	CHECK(string_is("", "\"\""));
	CHECK(string_is("operator\"\"_x", "\"operator\\\"\\\"_x\""));
	CHECK(string_is("a\\b", "\"a\\\\b\""));
	CHECK(string_is("line\nnext\ttab\r\x01\x1f\x7f",
			"\"line\\nnext\\ttab\\u000d\\u0001\\u001f\\u007f\""));
	CHECK(string_is("std::map<int, std::string>::insert",
			"\"std::map<int, std::string>::insert\""));
}

static void test_utf8(void)
{
	CHECK(string_is("caf\xc3\xa9", "\"caf\xc3\xa9\""));			  /* é */
	CHECK(string_is("\xe2\x82\xac", "\"\xe2\x82\xac\""));			  /* € */
	CHECK(string_is("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""));		  /* U+1F600 */
	CHECK(string_is("\xff", "\"\\u00ff\""));				  /* never UTF-8 */
	CHECK(string_is("\xc0\x80", "\"\\u00c0\\u0080\""));			  /* overlong NUL */
	CHECK(string_is("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""));		  /* surrogate */
	CHECK(string_is("\xe2\x82", "\"\\u00e2\\u0082\""));			  /* cut short */
	CHECK(string_is("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"")); /* > U+10FFFF */
	CHECK(string_is("x\x80y", "\"x\\u0080y\"")); /* lone continuation */
}

static void test_numbers(void)
{
	CHECK(number_is(0, "0"));
	CHECK(number_is(-42, "-42"));
	CHECK(number_is(123456789012.0, "123456789012"));
	CHECK(number_is(0.25, "0.25"));
	CHECK(number_is(NAN, "null"));
	CHECK(number_is(INFINITY, "null"));
}

int main(void)
{
	TEST(test_plain_and_escaped);
	TEST(test_utf8);
	TEST(test_numbers);
	return check_summary();
}
