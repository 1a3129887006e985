// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * json_writer.c - JSON values that are valid whatever they hold.
 *
 * Strings: symbol names are bytes from ELF files, not necessarily UTF-8.
 * Quotes, backslashes and control characters are escaped; valid UTF-8
 * sequences pass through; any other byte is written as \u00XX (the byte read
 * as Latin-1), so the output always parses and no byte is silently dropped.
 * Numbers: JSON has no NaN or infinity; they are written as null.
 */
#include "lib/json_writer.h"

#include <math.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (2..4), or 0 (RFC 3629: no overlongs, surrogates). */
static int utf8_sequence(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void hs_json_string(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	fputc('"', out);
	while (*s) {
		int len;

		if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", out), s++;
		} else if (*s == '\t') {
			fputs("\\t", out), s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, out);
		} else if ((len = utf8_sequence(s)) > 0) {
			fwrite(s, 1, len, out);
			s += len;
		} else {
			fprintf(out, "\\u%04x", *s++);
		}
	}
	fputc('"', out);
}

void hs_json_number(FILE *out, double value)
{
	if (!isfinite(value))
		fputs("null", out);
	else if (value == (double)(int64_t)value && fabs(value) < 1e15)
		fprintf(out, "%lld", (long long)value);
	else
		fprintf(out, "%.6g", value);
}
