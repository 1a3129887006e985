// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * html_chart.c - the timeline chart of the HTML page: live heap, RSS,
 * anonymous memory, the [heap] mapping and (glibc targets) the bytes free inside
 * malloc of a series of timeline points, as
 * an inline SVG with axes in human units (bytes in powers of two, seconds in
 * 1-2-5 steps).  Hovering a point's column shows its values: each column is a
 * rect with a <title>, so the tooltip needs no script.
 *
 * Owns: drawing one chart.  Does not own: which points (html.c picks the
 * session's or a process's) or the page around it (html_page.c).
 * Invariant: a /proc or glibc figure is drawn only where it was read (mem.valid,
 * malloc_state.known); a line has a gap where it was not, rather than a fall to zero.
 */
#include "render/html_page.h"

#include <errno.h>
#include <math.h>

#include "lib/units.h"

#define CHART_WIDTH_PX	1180
#define CHART_HEIGHT_PX 320
#define CHART_LEFT_PX	80  /* room for the byte ticks */
#define CHART_RIGHT_PX	20
#define CHART_TOP_PX	30  /* room for the legend */
#define CHART_BOTTOM_PX 36  /* room for the time ticks */
#define CHART_Y_TICKS	5   /* at least this many intervals fit under the largest value */
#define CHART_X_TICKS	8

enum chart_series {
	SERIES_LIVE,
	SERIES_RSS,
	SERIES_ANON,
	SERIES_HEAP,
	SERIES_MALLOC_FREE,
	SERIES_COUNT
};

/* Where a series comes from: the collector (always there), /proc or glibc's own state. */
enum series_source { FROM_COLLECTOR, FROM_PROC, FROM_MALLOC };

static const struct {
	const char *id, *label, *colour;
	enum series_source source; /* /proc: only where mem.valid; glibc: where it was read */
} series[SERIES_COUNT] = {
	[SERIES_LIVE] = { "live", "live heap", "#1a5fb4", FROM_COLLECTOR },
	[SERIES_RSS] = { "rss", "RSS", "#c01c28", FROM_PROC },
	[SERIES_ANON] = { "anon", "anonymous", "#e66100", FROM_PROC },
	[SERIES_HEAP] = { "heap", "[heap]", "#26a269", FROM_PROC },
	[SERIES_MALLOC_FREE] = { "malloc-free", "free in malloc", "#813d9c", FROM_MALLOC },
};

static bool known(const struct hs_timeline_point *p, enum chart_series s)
{
	switch (series[s].source) {
	case FROM_PROC: return p->mem.valid;
	case FROM_MALLOC: return p->malloc_state.known;
	default: return true;
	}
}

static uint64_t value_of(const struct hs_timeline_point *p, enum chart_series s)
{
	switch (s) {
	case SERIES_LIVE: return p->live_bytes;
	case SERIES_RSS: return p->mem.rss_bytes;
	case SERIES_ANON: return p->mem.anon_bytes;
	case SERIES_MALLOC_FREE: return p->malloc_state.free_bytes;
	default: return p->mem.heap_bytes;
	}
}

/* The smallest power of two that splits max_bytes into at most CHART_Y_TICKS steps. */
static double bytes_step(double max_bytes)
{
	double step = 1;

	while (step * CHART_Y_TICKS < max_bytes)
		step *= 2;
	return step;
}

/* 1, 2 or 5 times a power of ten, splitting span_s into at most CHART_X_TICKS steps. */
static double seconds_step(double span_s)
{
	double step = pow(10, floor(log10(span_s > 0 ? span_s : 1))) / 10;

	for (int i = 0; step * CHART_X_TICKS < span_s; i++)
		step *= i % 3 == 1 ? 2.5 : 2; /* 1, 2, 5, 10, 20, 50, ... */
	return step;
}

struct chart {
	FILE *out;
	double t0_s, span_s, top_bytes;
};

static double x_of(const struct chart *c, double t_s)
{
	double plot = CHART_WIDTH_PX - CHART_LEFT_PX - CHART_RIGHT_PX;

	return CHART_LEFT_PX + (c->span_s > 0 ? (t_s - c->t0_s) / c->span_s * plot : plot / 2);
}

static double y_of(const struct chart *c, double bytes)
{
	double plot = CHART_HEIGHT_PX - CHART_TOP_PX - CHART_BOTTOM_PX;

	return CHART_HEIGHT_PX - CHART_BOTTOM_PX - bytes / c->top_bytes * plot;
}

static void write_axes(const struct chart *c)
{
	double step_bytes = bytes_step(c->top_bytes), step_s = seconds_step(c->span_s);
	double bottom = CHART_HEIGHT_PX - CHART_BOTTOM_PX, right = CHART_WIDTH_PX - CHART_RIGHT_PX;

	for (double b = 0; b <= c->top_bytes + 0.5; b += step_bytes)
		fprintf(c->out,
			"<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
			"<text class=\"axis tick-y\" x=\"%d\" y=\"%.1f\">%s</text>\n",
			CHART_LEFT_PX, y_of(c, b), right, y_of(c, b), CHART_LEFT_PX - 6,
			y_of(c, b) + 4, HS_BYTES(b));
	for (double t = ceil(c->t0_s / step_s) * step_s; t <= c->t0_s + c->span_s + 1e-9;
	     t += step_s)
		fprintf(c->out, "<text class=\"axis tick-x\" x=\"%.1f\" y=\"%.0f\">%g s</text>\n",
			x_of(c, t), bottom + 16, t);
	fprintf(c->out, "<line class=\"grid\" x1=\"%d\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
		CHART_LEFT_PX, bottom, right, bottom);
}

/*
 * One line; "M" after a point where the series is unknown starts a new piece.  glibc's
 * state is read at some points only (a time budget, cli/session_heap.c): its line joins the
 * points read, each marked with a dot, since a point not read is a skipped sample, not a gap.
 */
static void write_series(const struct chart *c, const struct hs_timeline_point *points,
			 size_t count, enum chart_series s)
{
	bool pen_down = false, sampled = series[s].source == FROM_MALLOC;

	if (sampled) { /* dots: zero-length strokes with round caps (no <circle>: one path) */
		fprintf(c->out, "<path class=\"dots-%s\" stroke=\"%s\" "
			"style=\"stroke-width:6;stroke-linecap:round\" d=\"", series[s].id,
			series[s].colour);
		for (size_t i = 0; i < count; i++)
			if (known(&points[i], s))
				fprintf(c->out, "M%.1f %.1f h0 ", x_of(c, points[i].t_s),
					y_of(c, value_of(&points[i], s)));
		fputs("\"/>\n", c->out);
	}

	fprintf(c->out, "<path class=\"series-%s\" stroke=\"%s\" d=\"", series[s].id,
		series[s].colour);
	for (size_t i = 0; i < count; i++) {
		if (!known(&points[i], s)) {
			pen_down = pen_down && sampled;
			continue;
		}
		fprintf(c->out, "%s%.1f %.1f ", pen_down ? "L" : "M", x_of(c, points[i].t_s),
			y_of(c, value_of(&points[i], s)));
		pen_down = true;
	}
	fputs("\"/>\n", c->out);
}

/* A column per point, from halfway to the previous one to halfway to the next: its tooltip. */
static void write_hover(const struct chart *c, const struct hs_timeline_point *points,
			size_t count)
{
	double top = CHART_TOP_PX, height = CHART_HEIGHT_PX - CHART_TOP_PX - CHART_BOTTOM_PX;

	for (size_t i = 0; i < count; i++) {
		double x = x_of(c, points[i].t_s);
		double left = i ? (x_of(c, points[i - 1].t_s) + x) / 2 : x - 4;
		double right = i + 1 < count ? (x + x_of(c, points[i + 1].t_s)) / 2 : x + 4;

		fprintf(c->out, "<g class=\"point\"><title>%.1f s", points[i].t_s);
		for (int s = 0; s < SERIES_COUNT; s++)
			fprintf(c->out, "\n%s: %s", series[s].label,
				known(&points[i], s) ? HS_BYTES(value_of(&points[i], s)) : "?");
		fprintf(c->out, "</title><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
			"height=\"%.0f\"/></g>\n", left, top, right - left, height);
	}
}

static void write_legend(const struct chart *c)
{
	double x = CHART_LEFT_PX;

	for (int s = 0; s < SERIES_COUNT; s++) {
		fprintf(c->out, "<rect x=\"%.0f\" y=\"8\" width=\"14\" height=\"4\" fill=\"%s\"/>"
			"<text class=\"legend\" x=\"%.0f\" y=\"14\">%s</text>\n", x,
			series[s].colour, x + 18, series[s].label);
		x += 130;
	}
}

/* The chart of points, labelled (data-label: the process picker's words). */
int hs_html_chart(FILE *out, const char *label, const struct hs_timeline_point *points,
		  size_t count)
{
	struct chart c = { .out = out, .top_bytes = 1 };

	if (!count) {
		fputs("<p>No timeline points: the session was too short to sample.</p>\n", out);
		return ferror(out) ? -EIO : 0;
	}
	c.t0_s = points[0].t_s;
	c.span_s = points[count - 1].t_s - c.t0_s;
	for (size_t i = 0; i < count; i++)
		for (int s = 0; s < SERIES_COUNT; s++)
			if (known(&points[i], s) && value_of(&points[i], s) > c.top_bytes)
				c.top_bytes = value_of(&points[i], s);
	c.top_bytes = ceil(c.top_bytes / bytes_step(c.top_bytes)) * bytes_step(c.top_bytes);
	fputs("<div class=\"chart\" data-label=\"", out);
	hs_html_text(out, label);
	fprintf(out, "\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\"><title>", CHART_WIDTH_PX, CHART_HEIGHT_PX,
		CHART_WIDTH_PX, CHART_HEIGHT_PX);
	hs_html_text(out, label);
	fputs("</title>\n", out);
	write_axes(&c);
	write_legend(&c);
	for (int s = 0; s < SERIES_COUNT; s++)
		write_series(&c, points, count, s);
	write_hover(&c, points, count);
	fputs("</svg>\n</div>\n", out);
	return ferror(out) ? -EIO : 0;
}
