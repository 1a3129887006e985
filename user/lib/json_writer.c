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

#include "lib/utf8.h"


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
		} else if ((len = hs_utf8_sequence(s)) > 0) {
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
