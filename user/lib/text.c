// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * text.c - prose for a terminal: a paragraph wrapped at a width, each line indented, the
 * first one led by a bullet ("- ") that the next lines hang under.
 *
 * Owns: where lines break (at spaces; a word longer than a line is cut).  Does not own:
 * the words (render/, whose report and `heapscope inspect` advice both wrap through here).
 * Invariant: no line is longer than width; nothing is dropped but the spaces at a break.
 */
#include "lib/text.h"

#include <string.h>

/* text at width columns: the first line indent spaces then bullet, the others indent spaces
 * and as many more as the bullet is long. */
void hs_text_wrap(FILE *out, const char *text, int indent, const char *bullet, int width)
{
	int hang = (int)strlen(bullet);
	size_t room = width > indent + hang ? (size_t)(width - indent - hang) : 1;
	const char *lead = bullet;

	while (*text) {
		size_t len = strlen(text), cut = len, shown;

		if (len > room) {
			for (cut = room; cut > 0 && text[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = room;
		}
		for (shown = cut; shown > 0 && text[shown - 1] == ' '; shown--)
			; /* no trailing spaces where two met the break */
		fprintf(out, "%*s%*s%.*s\n", indent, "", hang, lead, (int)shown, text);
		lead = "";
		text += cut;
		while (*text == ' ')
			text++;
	}
}
