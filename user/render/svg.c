// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * svg.c - a self-contained, interactive SVG flame graph.
 *
 * Orientation: flame (the root "all" at the bottom, callers below callees, the
 * function that called the allocator on top).  A frame's width is its weight;
 * siblings are in name order, so two graphs of the same program line up.
 * Colours: memory palette (greens and blues), fixed per name; in a
 * differential graph red for growth and blue for shrinkage, deeper for more.
 *
 * Everything is in the one file: the style sheet and a small script (click a
 * frame to zoom into it, Escape or "Reset Zoom" to go back, "Search" or Ctrl-F
 * highlights the frames matching a regular expression and says what share of
 * the width they cover; #s=REGEX and #z=NAME at the end of the URL search and
 * zoom on load).  No network, no external files.  Without the script (an
 * <img> tag) the picture still reads: names are fitted into their boxes here,
 * and each frame's <title> tooltip holds the full name, its weight and
 * percentage.
 *
 * Owns: drawing.  Does not own: layout (flame.c) or names (the caller's).
 * Invariant: every byte that comes from a name is written through xml_text(),
 * which escapes markup and replaces what XML cannot hold (control characters,
 * invalid UTF-8), so any name yields well-formed XML.
 */
#include "render/svg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "render/wording.h"

#define SVG_WIDTH_PX 1200
#define SVG_PAD_PX 10
#define SVG_FRAME_HEIGHT_PX 16
#define SVG_HEADER_PX 72
#define SVG_FOOTER_PX 28
#define SVG_CHAR_WIDTH_PX 7.2 /* 12 px monospace: 0.6 em */
#define SVG_TEXT_INSET_PX 3
#define SVG_DIFF_PALE 235 /* the lightest red or blue of a differential graph */

/* 1234567 -> "1,234,567" */
void hs_group_digits(uint64_t value, char *out, size_t len)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)value);
	size_t at = 0;

	for (int i = 0; i < n && at + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			out[at++] = ',';
		out[at++] = digits[i];
	}
	out[at] = '\0';
}

/*
 * The length of the UTF-8 sequence at s (of at most avail bytes) if it is a
 * character XML may hold, else 0.
 */
static size_t xml_char_len(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > avail)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/* How many characters xml_text() writes for text. */
static size_t xml_char_count(const char *text)
{
	size_t avail = strlen(text), count = 0;

	for (size_t at = 0; at < avail; count++) {
		size_t len = xml_char_len((const unsigned char *)text + at, avail - at);

		at += len ? len : 1;
	}
	return count;
}

/*
 * Write at most max_chars characters of text, escaped for XML text and
 * attribute values alike; a byte XML cannot hold becomes '?'.
 */
static void xml_text(FILE *out, const char *text, size_t max_chars)
{
	size_t avail = strlen(text);

	for (size_t at = 0; at < avail && max_chars; max_chars--) {
		size_t len = xml_char_len((const unsigned char *)text + at, avail - at);

		switch (len ? text[at] : '?') {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '?': fputc('?', out); break;
		default: fwrite(text + at, 1, len, out); break;
		}
		at += len ? len : 1;
	}
}

/* The name as it fits into width_px: whole, cut with "..", or nothing. */
static void fitted_name(FILE *out, const char *name, double width_px)
{
	double room = (width_px - 2 * SVG_TEXT_INSET_PX) / SVG_CHAR_WIDTH_PX;
	size_t fits = room > 0 ? (size_t)room : 0;

	if (fits < 3)
		return;
	if (xml_char_count(name) <= fits) {
		xml_text(out, name, fits);
		return;
	}
	xml_text(out, name, fits - 2);
	fputs("..", out);
}

struct svg_writer {
	FILE *out;
	const struct hs_svg_labels *labels;
	struct hs_flame_totals totals;
	double px_per_unit;
	unsigned int height_px;
	uint64_t max_change; /* largest |new - old| of any frame: the deepest colour */
	uint64_t frames_drawn, frames_too_narrow;
};

static uint64_t change_of(uint64_t old_value, uint64_t value)
{
	return value > old_value ? value - old_value : old_value - value;
}

static void frame_colour(const struct svg_writer *w, const struct hs_flame_frame *f, char *out,
			 size_t len)
{
	uint64_t change = change_of(f->old_value, f->value);

	if (!w->labels->differential) {
		uint64_t h = hs_hash_string(f->name);
		double v1 = (h & 0xffff) / 65535.0, v2 = (h >> 16 & 0xffff) / 65535.0;

		snprintf(out, len, "rgb(0,%d,%d)", 190 + (int)(50 * v2), (int)(210 * v1));
	} else if (change == 0) {
		snprintf(out, len, "rgb(%d,%d,%d)", SVG_DIFF_PALE, SVG_DIFF_PALE, SVG_DIFF_PALE);
	} else {
		int pale = (int)(SVG_DIFF_PALE * (1.0 - (double)change / w->max_change) + 0.5);

		if (f->value > f->old_value)
			snprintf(out, len, "rgb(255,%d,%d)", pale, pale);
		else
			snprintf(out, len, "rgb(%d,%d,255)", pale, pale);
	}
}

/* " (1,234 bytes, 5.67%)" or " (old 1,000, new 3,000, +2,000 bytes)" */
static void frame_weights(const struct svg_writer *w, const struct hs_flame_frame *f, char *out,
			  size_t len)
{
	char value[32], old_value[32], change[32];

	hs_group_digits(f->value, value, sizeof(value));
	if (!w->labels->differential) {
		snprintf(out, len, " (%s %s, %.2f%%)", value, w->labels->unit,
			 w->totals.value ? 100.0 * f->value / w->totals.value : 0.0);
		return;
	}
	hs_group_digits(f->old_value, old_value, sizeof(old_value));
	hs_group_digits(change_of(f->old_value, f->value), change, sizeof(change));
	snprintf(out, len, " (old %s, new %s, %s%s%s%s)", old_value, value,
		 f->value >= f->old_value ? "+" : "-", change, w->labels->unit[0] ? " " : "",
		 w->labels->unit);
}

static int draw_frame(const struct hs_flame_frame *f, void *ctx)
{
	struct svg_writer *w = ctx;
	double width = f->span * w->px_per_unit;
	double x = SVG_PAD_PX + f->span_start * w->px_per_unit;
	unsigned int y = w->height_px - SVG_FOOTER_PX - (f->depth + 1) * SVG_FRAME_HEIGHT_PX;
	char colour[32], weights[128];

	if (width < HS_SVG_MIN_FRAME_WIDTH_PX) {
		w->frames_too_narrow++;
		return 0;
	}
	frame_colour(w, f, colour, sizeof(colour));
	frame_weights(w, f, weights, sizeof(weights));
	fputs("<g><title>", w->out);
	xml_text(w->out, f->name, SIZE_MAX);
	fprintf(w->out, "%s</title><rect x=\"%.3f\" y=\"%u\" width=\"%.3f\" height=\"%d\" "
		"fill=\"%s\"/><text x=\"%.2f\" y=\"%.1f\">", weights, x, y, width,
		SVG_FRAME_HEIGHT_PX - 1, colour, x + SVG_TEXT_INSET_PX, y + 11.5);
	fitted_name(w->out, f->name, width);
	fputs("</text></g>\n", w->out);
	w->frames_drawn++;
	return ferror(w->out) ? -EIO : 0;
}

/* Frames sit one level above the root "all". */
static int draw_stack_frame(const struct hs_flame_frame *f, void *ctx)
{
	struct hs_flame_frame above = *f;

	above.depth++;
	return draw_frame(&above, ctx);
}

static int find_max_change(const struct hs_flame_frame *f, void *ctx)
{
	struct svg_writer *w = ctx;
	uint64_t change = change_of(f->old_value, f->value);

	if (change > w->max_change)
		w->max_change = change;
	return 0;
}

static const char svg_style[] =
	"<style>\n"
	"text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	"#frames text { pointer-events: none; }\n"
	"#frames rect { stroke: #fff; stroke-width: 0.5; rx: 2px; }\n"
	"#frames g { cursor: pointer; }\n"
	"#frames g:hover rect { stroke: #000; stroke-width: 1; }\n"
	"#title { font: bold 17px sans-serif; text-anchor: middle; }\n"
	"#subtitle { font: 12px sans-serif; text-anchor: middle; fill: #555; }\n"
	".button { cursor: pointer; fill: #1a5fb4; text-decoration: underline; }\n"
	".right { text-anchor: end; }\n"
	".parent { opacity: 0.55; }\n"
	".hide { display: none; }\n"
	"</style>\n";

/* Zoom, search, details; reads everything it needs from the frames' elements. */
static const char svg_script[] =
	"var frames = [], details, matched, resetButton;\n"
	"function byId(id) { return document.getElementById(id); }\n"
	"function fit(name, w) {\n"
	"\tvar n = Math.floor((w - 2 * INSET) / CHAR_WIDTH);\n"
	"\tif (n < 3) return '';\n"
	"\treturn name.length <= n ? name : name.slice(0, n - 2) + '..';\n"
	"}\n"
	"function init() {\n"
	"\tdetails = byId('details'); matched = byId('matched'); resetButton = byId('reset');\n"
	"\tvar groups = byId('frames').getElementsByTagName('g');\n"
	"\tfor (var i = 0; i < groups.length; i++) {\n"
	"\t\tvar g = groups[i], r = g.getElementsByTagName('rect')[0];\n"
	"\t\tvar title = g.getElementsByTagName('title')[0].textContent;\n"
	"\t\tvar f = { g: g, rect: r, text: g.getElementsByTagName('text')[0], title: title,\n"
	"\t\t\tname: title.replace(/ \\([^()]*\\)$/, ''), fill: r.getAttribute('fill'),\n"
	"\t\t\tx: +r.getAttribute('x'), w: +r.getAttribute('width'), y: +r.getAttribute('y') };\n"
	"\t\tframes.push(f);\n"
	"\t\tg.onclick = zoom.bind(null, f);\n"
	"\t\tg.onmouseover = showDetails.bind(null, title);\n"
	"\t\tg.onmouseout = showDetails.bind(null, ' ');\n"
	"\t}\n"
	"\tresetButton.onclick = function () { zoom(null); };\n"
	"\tbyId('search').onclick = askSearch;\n"
	"\tdocument.onkeydown = function (e) {\n"
	"\t\tif (e.key === 'Escape') { zoom(null); search(''); }\n"
	"\t\tif ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); askSearch(); }\n"
	"\t};\n"
	"\tvar wanted = /[#&]s=([^&]*)/.exec(location.hash);\n"
	"\tif (wanted) search(decodeURIComponent(wanted[1]));\n"
	"\twanted = /[#&]z=([^&]*)/.exec(location.hash);\n"
	"\tfor (var j = 0; wanted && j < frames.length; j++)\n"
	"\t\tif (frames[j].name === decodeURIComponent(wanted[1])) { zoom(frames[j]); break; }\n"
	"}\n"
	"function showDetails(text) { details.textContent = text; }\n"
	"function place(f, x, w) {\n"
	"\tf.rect.setAttribute('x', x.toFixed(3)); f.rect.setAttribute('width', w.toFixed(3));\n"
	"\tf.text.setAttribute('x', (x + INSET).toFixed(2)); f.text.textContent = fit(f.name, w);\n"
	"}\n"
	"/* Show z across the whole width, what is above it scaled along, its callers below. */\n"
	"function zoom(z) {\n"
	"\tvar eps = 0.002, full = WIDTH - 2 * PAD, scale = z ? full / z.w : 1, left = z ? z.x : PAD;\n"
	"\tfor (var i = 0; i < frames.length; i++) {\n"
	"\t\tvar f = frames[i], state = '';\n"
	"\t\tif (z && f.y > z.y) {\n"
	"\t\t\tif (f.x <= z.x + eps && f.x + f.w >= z.x + z.w - eps) {\n"
	"\t\t\t\tplace(f, PAD, full); state = 'parent';\n"
	"\t\t\t} else state = 'hide';\n"
	"\t\t} else if (!z || (f.x >= z.x - eps && f.x + f.w <= z.x + z.w + eps)) {\n"
	"\t\t\tplace(f, PAD + (f.x - left) * scale, f.w * scale);\n"
	"\t\t} else state = 'hide';\n"
	"\t\tf.g.setAttribute('class', state);\n"
	"\t}\n"
	"\tresetButton.setAttribute('class', z ? 'button' : 'button hide');\n"
	"}\n"
	"function askSearch() {\n"
	"\tvar term = prompt('Highlight frames matching (regular expression; empty: none)', '');\n"
	"\tif (term !== null) search(term);\n"
	"}\n"
	"/* Highlight matches; the matched share counts nested matches once. */\n"
	"function search(term) {\n"
	"\tvar re = null, spans = [], covered = 0, end = -Infinity;\n"
	"\tif (term) {\n"
	"\t\ttry { re = new RegExp(term); }\n"
	"\t\tcatch (e) { re = new RegExp(term.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&')); }\n"
	"\t}\n"
	"\tfor (var i = 0; i < frames.length; i++) {\n"
	"\t\tvar f = frames[i], hit = re !== null && re.test(f.name);\n"
	"\t\tf.rect.setAttribute('fill', hit ? 'rgb(230,0,230)' : f.fill);\n"
	"\t\tif (hit) spans.push([f.x, f.x + f.w]);\n"
	"\t}\n"
	"\tspans.sort(function (a, b) { return a[0] - b[0]; });\n"
	"\tfor (var j = 0; j < spans.length; j++) {\n"
	"\t\tvar from = Math.max(spans[j][0], end);\n"
	"\t\tif (spans[j][1] > from) { covered += spans[j][1] - from; end = spans[j][1]; }\n"
	"\t}\n"
	"\tmatched.textContent = re ? 'Matched: ' + (100 * covered / (WIDTH - 2 * PAD)).toFixed(1) +\n"
	"\t\t'% of the width (' + re.source + ')' : ' ';\n"
	"}\n";

static void write_head(struct svg_writer *w)
{
	FILE *out = w->out;

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
		"viewBox=\"0 0 %d %u\" onload=\"init()\">\n",
		SVG_WIDTH_PX, w->height_px, SVG_WIDTH_PX, w->height_px);
	fputs(svg_style, out);
	fprintf(out,
		"<script type=\"text/ecmascript\"><![CDATA[\n\"use strict\";\n"
		"var WIDTH = %d, PAD = %d, CHAR_WIDTH = %.1f, INSET = %d;\n",
		SVG_WIDTH_PX, SVG_PAD_PX, SVG_CHAR_WIDTH_PX, SVG_TEXT_INSET_PX);
	fputs(svg_script, out);
	fputs("]]></script>\n", out);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fbfbf7\"/>\n<g id=\"frames\">\n");
}

/* Title, subtitle, buttons, and what was not drawn. */
static void write_labels(struct svg_writer *w)
{
	FILE *out = w->out;
	unsigned int bottom = w->height_px - 10;

	fprintf(out, "</g>\n<text id=\"title\" x=\"%d\" y=\"24\">", SVG_WIDTH_PX / 2);
	xml_text(out, w->labels->title, SIZE_MAX);
	fprintf(out, "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"42\">", SVG_WIDTH_PX / 2);
	xml_text(out, w->labels->subtitle, SIZE_MAX);
	if (w->frames_too_narrow)
		fprintf(out, "; %llu frames narrower than %.1f px not drawn",
			(unsigned long long)w->frames_too_narrow, HS_SVG_MIN_FRAME_WIDTH_PX);
	if (w->totals.truncated_stacks)
		fprintf(out, "; %llu stacks cut at depth %d",
			(unsigned long long)w->totals.truncated_stacks, HS_SVG_MAX_DEPTH);
	fprintf(out,
		"</text>\n"
		"<text id=\"reset\" class=\"button hide\" x=\"%d\" y=\"62\">Reset Zoom</text>\n"
		"<text id=\"search\" class=\"button right\" x=\"%d\" y=\"62\">Search</text>\n"
		"<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
		"<text id=\"matched\" class=\"right\" x=\"%d\" y=\"%u\"> </text>\n"
		"</svg>\n",
		SVG_PAD_PX, SVG_WIDTH_PX - SVG_PAD_PX, SVG_PAD_PX, bottom,
		SVG_WIDTH_PX - SVG_PAD_PX, bottom);
}

/* Draw stacks (sorted and merged here) under a root frame "all". */
int hs_svg_write(FILE *out, struct hs_flame_stack *stacks, size_t count,
		 const struct hs_svg_labels *labels)
{
	struct svg_writer w = { .out = out, .labels = labels };
	struct hs_flame_frame root = { .name = "all" };
	int err = hs_flame_sort_merge(stacks, &count);

	if (!err)
		err = hs_flame_totals(stacks, count, HS_SVG_MAX_DEPTH, &w.totals);
	if (!err && labels->differential)
		err = hs_flame_layout(stacks, count, HS_SVG_MAX_DEPTH, find_max_change, &w);
	if (err)
		return err;
	root.span = w.totals.span;
	root.old_value = w.totals.old_value;
	root.value = w.totals.value;
	find_max_change(&root, &w);
	w.px_per_unit = root.span ? (double)(SVG_WIDTH_PX - 2 * SVG_PAD_PX) / root.span : 0;
	w.height_px = SVG_HEADER_PX + (w.totals.depth + 1) * SVG_FRAME_HEIGHT_PX + SVG_FOOTER_PX;
	write_head(&w);
	if (root.span)
		err = draw_frame(&root, &w);
	if (!err)
		err = hs_flame_layout(stacks, count, HS_SVG_MAX_DEPTH, draw_stack_frame, &w);
	if (!err)
		write_labels(&w);
	return err ? err : ferror(out) ? -EIO : 0;
}

static void session_labels(const struct hs_render_input *input, uint64_t weight_total,
			   char *title, char *subtitle, size_t len)
{
	const struct hs_summary *sum = input->summary;
	const uint64_t *totals = input->profile->totals;
	char total[32], live[32], live_count[32], alloc[32], alloc_count[32], name[64];

	hs_group_digits(weight_total, total, sizeof(total));
	if (sum) {
		hs_render_session_name(sum, name, sizeof(name));
		snprintf(title, len, "heapscope: %s, %.1f s%s, %s: %s %s", name, sum->duration_s,
			 sum->overhead_stopped ? " (cut short: --max-overhead)" : "",
			 hs_weight_name(input->weight), total, hs_weight_unit(input->weight));
	} else {
		snprintf(title, len, "heapscope: %s: %s %s", hs_weight_name(input->weight), total,
			 hs_weight_unit(input->weight));
	}
	hs_group_digits(totals[HS_WEIGHT_INUSE_BYTES], live, sizeof(live));
	hs_group_digits(totals[HS_WEIGHT_INUSE_COUNT], live_count, sizeof(live_count));
	hs_group_digits(totals[HS_WEIGHT_ALLOC_BYTES], alloc, sizeof(alloc));
	hs_group_digits(totals[HS_WEIGHT_ALLOC_COUNT], alloc_count, sizeof(alloc_count));
	snprintf(subtitle, len, "live %s bytes in %s blocks; allocated %s bytes in %s allocations; "
		 "lost events %llu%s", live, live_count, alloc, alloc_count,
		 sum ? (unsigned long long)sum->lost_events : 0ull,
		 sum && (sum->lost_events || sum->replaced_blocks || sum->stacks_not_kept) ?
			 " (results may be incomplete)" : "");
}

/* The session's profile, weighed by -w. */
int hs_render_svg(FILE *out, const struct hs_render_input *input)
{
	const struct hs_profile *profile = input->profile;
	struct hs_flame_stack *stacks = calloc(profile->sample_count + 1, sizeof(*stacks));
	size_t frame_total = 0, count = 0, at = 0;
	const char **frames;
	char title[512], subtitle[512];
	int err;

	for (size_t i = 0; i < profile->sample_count; i++)
		frame_total += profile->samples[i].frame_count;
	frames = calloc(frame_total + 1, sizeof(*frames));
	if (!stacks || !frames) {
		free(stacks);
		free(frames);
		return -ENOMEM;
	}
	for (size_t i = 0; i < profile->sample_count; i++) {
		const struct hs_profile_sample *s = &profile->samples[i];

		if (!s->values[input->weight])
			continue;
		stacks[count] = (struct hs_flame_stack){ .frames = frames + at,
							 .frame_count = s->frame_count,
							 .value = s->values[input->weight] };
		for (uint32_t f = 0; f < s->frame_count; f++)
			frames[at++] = profile->names[s->names[f]];
		count++;
	}
	session_labels(input, profile->totals[input->weight], title, subtitle, sizeof(title));
	struct hs_svg_labels labels = {
		.title = title, .subtitle = subtitle, .unit = hs_weight_unit(input->weight),
	};
	err = hs_svg_write(out, stacks, count, &labels);
	free(frames);
	free(stacks);
	return err;
}

/* Any name as XML or HTML text, by the rules above: the HTML page (html.c) writes names so. */
void hs_svg_escape(FILE *out, const char *text)
{
	xml_text(out, text, SIZE_MAX);
}
