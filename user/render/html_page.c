// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * html_page.c - the frame every heapscope HTML page shares (the session's page,
 * html.c, and diff's): head and style sheet, the page's one script, names
 * escaped, figures in human units with their exact value beside, and the
 * flame graph views.
 *
 * A view is the interactive SVG of svg.c, written inline as it is: the first
 * in the page itself (so it shows without JavaScript), the others in
 * <template>s, which cost nothing until shown.  Only one SVG is in the
 * document at a time, because each carries the same ids and the same global
 * script; showing a view replaces the SVG with a copy and runs its script
 * again (a copied <script> does not run, so the copy gets new ones).
 * #view=ID at the end of the URL shows that view on load (#view=alloc&s=REGEX
 * searches it too: the SVG reads #s= and #z= itself).
 *
 * Owns: the page's markup, style and script.  Does not own: what the sections
 * say (html.c, diff) or the flame graph's drawing (svg.c).
 * Invariant: no byte of a name reaches the page but through hs_html_text()
 * (svg.c's escaping), and the page refers to nothing outside itself: no URL,
 * no other file; the only "http" in it are XML namespace names.
 */
#include "render/html_page.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/units.h"
#include "render/svg.h"

/*
 * Ids the SVG's own script uses (frames, details, reset, search, matched, title, subtitle) and its
 * classes (button, right, parent, hide) are not used here: the SVG's style applies page-wide.
 */
static const char page_style[] =
	"<style>\n"
	"body { font: 14px/1.45 sans-serif; margin: 1.5em auto; max-width: 1220px; color: #222;"
	" background: #fff; padding: 0 1em; }\n"
	"h1 { font-size: 1.5em; margin: 0 0 0.3em; }\n"
	"h2 { font-size: 1.2em; margin: 1.6em 0 0.5em; border-bottom: 1px solid #ccc; }\n"
	".facts { color: #444; }\n"
	".facts > span { margin-right: 1.2em; white-space: nowrap; }\n"
	".banner { background: #fff3cd; border: 1px solid #e0b100; padding: 0.5em 0.8em; }\n"
	".verdict-name { font-size: 1.3em; font-weight: bold; }\n"
	".verdict-leak, .verdict-retention { color: #b01c1c; }\n"
	".verdict-stable, .verdict-bounded { color: #1c7a2c; }\n"
	".verdict-inconclusive { color: #8a6d00; }\n"
	"table { border-collapse: collapse; margin: 0.4em 0; }\n"
	"th, td { padding: 0.15em 0.7em; text-align: right; vertical-align: top; }\n"
	"th { background: #f0f0ec; }\n"
	"td.name, th.name { text-align: left; }\n"
	"tr:nth-child(even) td { background: #fafaf7; }\n"
	"code, ol.frames { font-family: monospace; font-size: 12px; }\n"
	"ol.frames { margin: 0.2em 0; padding-left: 2.5em; }\n"
	".chart svg, .flame-box svg { max-width: 100%; height: auto; }\n"
	".chart path { fill: none; stroke-width: 1.6; }\n"
	".chart .grid { stroke: #e4e4e0; stroke-width: 1; }\n"
	".chart .axis { font: 11px sans-serif; fill: #555; }\n"
	".chart .tick-y { text-anchor: end; }\n"
	".chart .tick-x { text-anchor: middle; }\n"
	".chart .legend { font: 12px sans-serif; fill: #222; }\n"
	".chart .point rect { fill: transparent; }\n"
	".chart .point:hover rect { fill: rgba(0, 0, 0, 0.07); }\n"
	".view-buttons button[aria-pressed=\"true\"] { font-weight: bold; }\n"
	".picked-out { display: none; }\n"
	"</style>\n";

/* The view switcher and the process picker; the page reads fully without it. */
static const char page_script[] =
	"<script>\n"
	"\"use strict\";\n"
	"(function () {\n"
	"\tvar box = document.getElementById('flame-box');\n"
	"\tvar first = box && box.firstElementChild ?\n"
	"\t\tbox.firstElementChild.cloneNode(true) : null;\n"
	"\t/* A copied script element does not run again: give the copy new ones. */\n"
	"\tfunction runnable(node) {\n"
	"\t\tvar old = node.querySelectorAll('script');\n"
	"\t\tfor (var i = 0; i < old.length; i++) {\n"
	"\t\t\tvar s = document.createElementNS(old[i].namespaceURI, 'script');\n"
	"\t\t\ts.textContent = old[i].textContent;\n"
	"\t\t\told[i].parentNode.replaceChild(s, old[i]);\n"
	"\t\t}\n"
	"\t\treturn node;\n"
	"\t}\n"
	"\tvar buttons = document.querySelectorAll('.view-buttons button');\n"
	"\tfunction show(id) {\n"
	"\t\tvar t = document.getElementById('view-' + id);\n"
	"\t\tvar copy = t ? t.content.cloneNode(true) : first.cloneNode(true);\n"
	"\t\tbox.replaceChildren(runnable(copy));\n"
	"\t\tinit(); /* the SVG's own; an inserted SVG gets no load event */\n"
	"\t\tfor (var i = 0; i < buttons.length; i++)\n"
	"\t\t\tbuttons[i].setAttribute('aria-pressed', buttons[i].dataset.view === id);\n"
	"\t}\n"
	"\tfor (var i = 0; i < buttons.length; i++)\n"
	"\t\tbuttons[i].onclick = show.bind(null, buttons[i].dataset.view);\n"
	"\tif (buttons.length)\n"
	"\t\tbuttons[0].parentNode.hidden = false;\n"
	"\tvar wanted = /[#&]view=([a-z]+)/.exec(location.hash);\n"
	"\tif (wanted && document.getElementById('view-' + wanted[1]))\n"
	"\t\tshow(wanted[1]);\n"
	"\t/* Several charts: one at a time, picked by its process. */\n"
	"\tvar charts = document.querySelectorAll('.chart');\n"
	"\tvar picker = document.getElementById('chart-picker');\n"
	"\tif (charts.length > 1 && picker) {\n"
	"\t\tfor (var c = 0; c < charts.length; c++) {\n"
	"\t\t\tvar o = document.createElement('option');\n"
	"\t\t\to.value = c; o.textContent = charts[c].dataset.label;\n"
	"\t\t\tpicker.appendChild(o);\n"
	"\t\t}\n"
	"\t\tpicker.onchange = function () {\n"
	"\t\t\tfor (var c = 0; c < charts.length; c++)\n"
	"\t\t\t\tcharts[c].classList.toggle('picked-out', c !== +picker.value);\n"
	"\t\t};\n"
	"\t\tpicker.parentNode.hidden = false;\n"
	"\t\tpicker.onchange();\n"
	"\t}\n"
	"})();\n"
	"</script>\n";

/* Any name or text from outside: escaped as the SVG escapes it (also valid HTML). */
void hs_html_text(FILE *out, const char *text)
{
	hs_svg_escape(out, text);
}

/* Doctype, head and the opening of the body; title is escaped. */
void hs_html_begin(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      out);
	hs_html_text(out, title);
	fputs("</title>\n", out);
	fputs(page_style, out);
	fputs("</head>\n<body>\n", out);
}

int hs_html_end(FILE *out)
{
	fputs(page_script, out);
	fputs("</body>\n</html>\n", out);
	return ferror(out) ? -EIO : 0;
}

/* "1.5 MiB" for people, the exact figure in data-value and its tooltip for scripts and tests. */
void hs_html_bytes(FILE *out, const char *id, uint64_t bytes)
{
	char exact[32];

	hs_group_digits(bytes, exact, sizeof(exact));
	fprintf(out, "<span id=\"%s\" data-value=\"%llu\" title=\"%s bytes\">%s</span>", id,
		(unsigned long long)bytes, exact, HS_BYTES(bytes));
}

void hs_html_count(FILE *out, const char *id, uint64_t count)
{
	char grouped[32];

	hs_group_digits(count, grouped, sizeof(grouped));
	fprintf(out, "<span id=\"%s\" data-value=\"%llu\">%s</span>", id,
		(unsigned long long)count, grouped);
}

/* view's SVG, without its XML declaration (HTML has none); wrapped in a <template> unless shown. */
static int write_view(FILE *out, const struct hs_html_view *view, bool shown)
{
	char *svg = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&svg, &len);
	const char *start;
	int err;

	if (!mem)
		return -errno;
	err = view->write_svg(mem, view->ctx);
	if (fclose(mem) && !err)
		err = -EIO;
	if (err) {
		free(svg);
		return err;
	}
	start = svg;
	if (strncmp(start, "<?xml", 5) == 0 && strchr(start, '\n'))
		start = strchr(start, '\n') + 1;
	if (!shown)
		fprintf(out, "<template id=\"view-%s\">\n", view->id);
	fwrite(start, 1, len - (start - svg), out);
	if (!shown)
		fputs("</template>\n", out);
	free(svg);
	return ferror(out) ? -EIO : 0;
}

/* The flame graph: the first view shown, buttons (with JavaScript) to switch to the others. */
int hs_html_views(FILE *out, const struct hs_html_view *views, size_t count)
{
	int err = 0;

	if (count > 1) {
		fputs("<p class=\"view-buttons\" hidden>Weigh by:", out);
		for (size_t i = 0; i < count; i++)
			fprintf(out, " <button type=\"button\" data-view=\"%s\" "
				"aria-pressed=\"%s\">%s</button>", views[i].id,
				i ? "false" : "true", views[i].label);
		fputs("</p>\n", out);
	}
	fputs("<div id=\"flame-box\" class=\"flame-box\">", out);
	if (count)
		err = write_view(out, &views[0], true);
	fputs("</div>\n", out);
	for (size_t i = 1; !err && i < count; i++)
		err = write_view(out, &views[i], false);
	return err ? err : ferror(out) ? -EIO : 0;
}
