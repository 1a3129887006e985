// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_html.c - user/render/html.c (with html_page.c and html_chart.c) on a
 * session built by hand: the page's sections in order, one flame graph in the
 * document and the other in a template, a chart per process with a picker,
 * banners only when due, totals equal to the JSON's of the same session,
 * hostile names escaped everywhere, no network reference; the allocator state
 * a session read (its section, and the report's and JSON's); the diff page; and
 * the size of a 10,000-stack page (printed: the README quotes it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/html.h"
#include "rendered_session.h"

#define HOSTILE "<script>alert('x')</script>&\"\x01\xff"
#define HOSTILE_ESCAPED "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;&amp;&quot;??"
#define HOSTILE_COMM "<i>&'\"\x01\xff" /* fits a comm's 16 bytes */
#define HOSTILE_COMM_ESCAPED "&lt;i&gt;&amp;&apos;&quot;??"

__attribute__((noinline)) int html_holder(int x)
{
	return x * 5 + 1;
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *at = text; at && (at = strstr(at, what)); at += strlen(what))
		n++;
	return n;
}

/* Every "http" in the page is an XML namespace name: nothing is fetched. */
static bool offline(const char *text)
{
	const char *ns = "http://www.w3.org/2000/svg\"";

	for (const char *at = text; (at = strstr(at, "http")); at += 4)
		if (strncmp(at, ns, strlen(ns)) != 0)
			return false;
	return true;
}

/* The number after the first "PATTERN" (with the key put in), or all ones if it is not there. */
static unsigned long long number_after(const char *text, const char *pattern, const char *key)
{
	char want[80];
	const char *at;

	snprintf(want, sizeof(want), pattern, key);
	at = strstr(text, want);
	return at ? strtoull(at + strlen(want), NULL, 10) : ~0ull;
}

#define json_number(json, key) number_after(json, "\"%s\": ", key)
#define html_value(html, id) number_after(html, "id=\"%s\" data-value=\"", id)

static void test_structure(void)
{
	static struct rendered p;
	const char *sections[] = {"section-verdict", "section-timeline", "section-flame-graph",
				  "section-growing", "section-live", "section-losses"};
	char *html, *json;
	const char *at;

	rendered_build(&p, true, (uint64_t)html_holder + 1, HOSTILE_COMM);
	html = rendered_text(&p, HS_FORMAT_HTML);
	json = rendered_text(&p, HS_FORMAT_JSON);
	CHECK(html && strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
	CHECK(has(html, "</body>\n</html>\n"));
	at = html;
	for (size_t i = 0; at && i < sizeof(sections) / sizeof(sections[0]); i++)
		CHECK((at = strstr(at, sections[i])) != NULL);
	/* The verdict in the report's words, from the most severe process. */
	CHECK(has(html, "<span id=\"verdict-name\" class=\"verdict-name verdict-leak\">leak"));
	CHECK(has(html, "the most severe of 2 processes (1 leak, 1 stable): The live heap grows"));
	/* One flame graph in the document, the other in a template; no XML declaration. */
	CHECK_EQ(occurrences(html, "<g id=\"frames\">"), 2);
	CHECK(has(html, "<div id=\"flame-box\" class=\"flame-box\"><svg version=\"1.1\""));
	CHECK(has(html, "<template id=\"view-alloc\">\n<svg version=\"1.1\""));
	CHECK(!strstr(html, "<?xml"));
	CHECK(has(html, "inuse-bytes: 226,280 bytes"));
	CHECK(has(html, "alloc-bytes: 226,280 bytes"));
	/* The session's chart and one per process, which a picker chooses from. */
	CHECK_EQ(occurrences(html, "<div class=\"chart\""), 3);
	CHECK(has(html, "<select id=\"chart-picker\">"));
	CHECK(has(html, "<div class=\"chart\" data-label=\"every process, summed\">"));
	CHECK(has(html, "<path class=\"series-live\""));
	CHECK(has(html, "<path class=\"series-rss\" stroke=\"#c01c28\" d=\"\"/>")); /* not read */
	CHECK(has(html, "<g class=\"point\"><title>10.0 s\nlive heap: 221.0 KiB\nRSS: ?"));
	CHECK(has(html, ">20.0 KiB/s</td><td>1.00</td>")); /* the leaking stack's growth */
	/* Totals: the JSON's of the same session. */
	CHECK_EQ(html_value(html, "total-live-bytes"), json_number(json, "live_bytes"));
	CHECK_EQ(html_value(html, "total-live-count"), json_number(json, "live_count"));
	CHECK_EQ(html_value(html, "total-events"), json_number(json, "events"));
	CHECK_EQ(html_value(html, "total-lost-events"), json_number(json, "lost_events"));
	CHECK_EQ(html_value(html, "total-live-bytes"), 226280);
	/* Nothing to warn about. */
	CHECK(!strstr(html, "class=\"banner\""));
	CHECK(offline(html));
	free(html);
	free(json);
	rendered_free(&p);

	rendered_build(&p, false, (uint64_t)html_holder + 1, HOSTILE_COMM);
	p.sum.lost_events = 3;
	p.sum.target_exited = true;
	html = rendered_text(&p, HS_FORMAT_HTML);
	CHECK_EQ(occurrences(html, "<div class=\"chart\""), 1);
	CHECK(!strstr(html, "<select id=\"chart-picker\""));
	CHECK(has(html, "<p class=\"banner\" id=\"banner-losses\">Results may be incomplete: "
			"3 events lost"));
	CHECK(has(html, "The session was cut short: the target exited after 10.0 s."));
	CHECK(has(html, "verdict-stable"));
	CHECK(has(html, "<details><summary><code>html_holder</code></summary>"));
	free(html);
	rendered_free(&p);
}

/* A command and a frame named like markup come out as text, in every place they show. */
static void test_escaping(void)
{
	static struct rendered p;
	uint32_t hostile;
	char *html;

	rendered_build(&p, true, (uint64_t)html_holder + 1, HOSTILE_COMM);
	CHECK_EQ(hs_profile_intern_name(&p.a.profile, HOSTILE, &hostile), 0);
	for (size_t i = 0; i < p.a.profile.sample_count; i++) {
		struct hs_profile_sample *sample = &p.a.profile.samples[i];

		sample->names[sample->frame_count - 1] = hostile;
	}
	html = rendered_text(&p, HS_FORMAT_HTML);
	CHECK(!strstr(html, "<script>alert"));
	CHECK(!strstr(html, "\x01"));
	CHECK(!strstr(html, "\xff"));
	CHECK(has(html, "data-label=\"PID 1 (" HOSTILE_COMM_ESCAPED ")\"")); /* the picker's */
	CHECK(has(html, "<summary><code>" HOSTILE_ESCAPED "</code></summary>")); /* top stacks */
	CHECK(has(html, "<g><title>" HOSTILE_ESCAPED " (")); /* the flame graph's */
	CHECK_EQ(occurrences(html, "<script>"), 1);	     /* the page's own */
	free(html);
	rendered_free(&p);
}

static void test_diff_page(void)
{
	static const char old_folded[] = "main;serve;listener_create 100\nmain;" HOSTILE " 50\n";
	static const char new_folded[] = "main;serve;listener_create 400\nmain;" HOSTILE " 10\n";
	struct hs_diff diff = {0};
	char *html = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&html, &len);

	CHECK_EQ(hs_diff_build(&diff, old_folded, strlen(old_folded), new_folded,
			       strlen(new_folded)), 0);
	CHECK_EQ(hs_diff_write_html(out, &diff, "before<.folded", "after.folded"), 0);
	fclose(out);
	CHECK(has(html, "<h1>heapscope diff: before&lt;.folded &#8594; after.folded</h1>"));
	CHECK(has(html, "old total <span id=\"total-old\" data-value=\"150\">150</span>"));
	CHECK(has(html, "new total <span id=\"total-new\" data-value=\"410\">410</span>"));
	CHECK(has(html, "change +260"));
	CHECK(has(html, "<g><title>listener_create (old 100, new 400, +300)</title>"));
	CHECK(has(html, "<g><title>" HOSTILE_ESCAPED " (old 50, new 10, -40)</title>"));
	CHECK(!strstr(html, "<p class=\"view-buttons\"")); /* one view: nothing to switch */
	CHECK(!strstr(html, "<script>alert"));
	CHECK(offline(html));
	free(html);
	hs_diff_free(&diff);
}

#define BIG_STACKS 10000
#define BIG_DEPTH 8

/*
 * The page of a 10,000-stack profile: a call tree 8 frames deep (4 shared,
 * then 10 x 10 x 100 branches, a leaf of its own each), every stack holding
 * the same bytes (each leaf 0.12 px wide: every frame is drawn, the worst
 * case) or bytes falling off with rank, as real profiles do.  Returns its size.
 */
static size_t big_page_bytes(bool uniform)
{
	static struct rendered p;
	static struct hs_profile_sample samples[BIG_STACKS];
	static struct hs_sample_stats stats[BIG_STACKS];
	static uint32_t names[BIG_STACKS][BIG_DEPTH];
	struct hs_profile_sample *saved_samples;
	struct hs_sample_stats *saved_stats;
	size_t saved_count, len = 0;
	char *html = NULL, name[64];
	FILE *out;

	rendered_build(&p, false, (uint64_t)html_holder + 1, HOSTILE_COMM);
	saved_samples = p.a.profile.samples;
	saved_count = p.a.profile.sample_count;
	saved_stats = p.a.stats;
	memset(p.a.profile.totals, 0, sizeof(p.a.profile.totals));
	for (uint32_t i = 0; i < BIG_STACKS; i++) {
		const char *shared[] = {"_start", "__libc_start_main", "main", "serve"};
		uint64_t bytes = uniform ? 4096 : 1000000000ull / (i + 1);

		for (int f = 0; f < 4; f++)
			CHECK_EQ(hs_profile_intern_name(&p.a.profile, shared[f], &names[i][f]), 0);
		snprintf(name, sizeof(name), "module_%u", i / 1000);
		CHECK_EQ(hs_profile_intern_name(&p.a.profile, name, &names[i][4]), 0);
		snprintf(name, sizeof(name), "handler_%u", i / 100);
		CHECK_EQ(hs_profile_intern_name(&p.a.profile, name, &names[i][5]), 0);
		snprintf(name, sizeof(name), "request_step_%u", i % 100);
		CHECK_EQ(hs_profile_intern_name(&p.a.profile, name, &names[i][6]), 0);
		snprintf(name, sizeof(name), "buffer_alloc_%u", i);
		CHECK_EQ(hs_profile_intern_name(&p.a.profile, name, &names[i][7]), 0);
		samples[i] = (struct hs_profile_sample){
			.pid = getpid(), .frame_count = BIG_DEPTH, .names = names[i],
			.values = {bytes, 1, 2 * bytes, 2},
		};
		for (int w = 0; w < HS_WEIGHT_COUNT; w++)
			p.a.profile.totals[w] += samples[i].values[w];
	}
	p.a.profile.samples = samples;
	p.a.profile.sample_count = BIG_STACKS;
	p.a.stats = stats;
	out = open_memstream(&html, &len);
	CHECK_EQ(hs_render_html(out, &p.input), 0);
	fclose(out);
	CHECK(has(html, "buffer_alloc_0"));
	free(html);
	p.a.profile.samples = saved_samples;
	p.a.profile.sample_count = saved_count;
	p.a.stats = saved_stats;
	rendered_free(&p);
	return len;
}

/* "Under a few MiB": the worst case (every frame drawn, twice: two views) stays under 8 MiB. */
static void test_size(void)
{
	size_t uniform = big_page_bytes(true), falling = big_page_bytes(false);

	printf("  a %d-stack page: %.1f MiB with equal stacks, %.2f MiB with bytes falling "
	       "with rank\n", BIG_STACKS, uniform / 1048576.0, falling / 1048576.0);
	CHECK(uniform < 8u << 20);
	CHECK(falling < 1u << 20);
}

/* A glibc state as inspect would read it: one arena holding free_bytes free, all resident. */
static void fake_state(struct hs_inspection *insp, struct hs_glibc_arena_stats *arena,
		       uint64_t free_bytes)
{
	memset(insp, 0, sizeof(*insp));
	*arena = (struct hs_glibc_arena_stats){ .system_bytes = free_bytes + 1000000,
						.in_use_bytes = 1000000, .top_bytes = 135168,
						.bin_chunks = 1, .bin_bytes = free_bytes - 135168,
						.trimmable_bytes = free_bytes - 200000,
						.free_resident_bytes = free_bytes };
	insp->pid = getpid();
	insp->allocator = HS_ALLOCATOR_GLIBC;
	insp->heap_read = true;
	snprintf(insp->loc.version, sizeof(insp->loc.version), "2.36");
	insp->heap.arenas = arena;
	insp->heap.arena_count = 1;
	insp->heap.total = *arena;
	insp->heap.consistent = true;
	insp->mem.rss_bytes = free_bytes + 4000000;
}

/* The allocator state a session read: a section in the page, the report and the JSON; none
 * without it. */
static void test_allocator_state(void)
{
	static struct rendered p;
	static struct hs_heap_reading reading;
	static struct hs_glibc_arena_stats start_arena, end_arena;
	char *html, *report, *json;

	rendered_build(&p, false, (uint64_t)html_holder + 1, HOSTILE_COMM);
	html = rendered_text(&p, HS_FORMAT_HTML);
	report = rendered_text(&p, HS_FORMAT_REPORT);
	CHECK(!strstr(html, "section-allocator-state") && !strstr(html, " h0 "));
	CHECK(!strstr(report, "ALLOCATOR STATE"));
	free(html);
	free(report);
	reading = (struct hs_heap_reading){ .pid = getpid(), .start_read = true, .end_read = true,
					    .reads = 4, .point_reads = 2, .skipped_points = 7,
					    .read_ms_total = 40, .read_ms_max = 15 };
	fake_state(&reading.start, &start_arena, 300000);
	fake_state(&reading.end, &end_arena, 40 << 20);
	p.input.heap_readings = &reading;
	p.input.heap_reading_count = 1;
	html = rendered_text(&p, HS_FORMAT_HTML);
	report = rendered_text(&p, HS_FORMAT_REPORT);
	json = rendered_text(&p, HS_FORMAT_JSON);
	CHECK(has(html, "<section id=\"section-allocator-state\">\n<h2>Allocator state</h2>"));
	CHECK(strstr(html, "section-timeline") < strstr(html, "section-allocator-state"));
	CHECK(has(html, "class=\"allocator-end\">end: glibc holds 40.0 MiB free (40.0 MiB of it "
			"resident) in 1 arena; malloc_trim(0) would return about 39.8 MiB."));
	CHECK(has(html, "Read 4 times from outside (2 timeline points, 7 skipped"));
	CHECK(has(report, "ALLOCATOR STATE of PID"));
	CHECK(has(report, "  start: glibc holds 293.0 KiB free"));
	CHECK(has(report, "  end:   glibc holds 40.0 MiB free (40.0 MiB of it resident) in 1 arena;"));
	CHECK(has(report, "\n  - malloc_trim(0) in the process"));
	CHECK(has(json, "\"allocator_state\": {\"start\":{\"pid\":"));
	CHECK(has(json, "\"free_resident_bytes\":41943040"));
	CHECK(has(json, "\"reads\":4,\"point_reads\":2,\"skipped_points\":7"));
	CHECK(has(json, "\"malloc_free_bytes\": null")); /* no point was read */
	free(html);
	free(report);
	free(json);
	/* Points read at the start and the end: the chart joins them, a dot at each. */
	p.s.tl.points[0].malloc_state = (struct hs_malloc_figures){ true, 300000, 300000, 0, 0 };
	p.s.tl.points[p.s.tl.count - 1].malloc_state =
		(struct hs_malloc_figures){ true, 40 << 20, 40 << 20, 0, 0 };
	html = rendered_text(&p, HS_FORMAT_HTML);
	json = rendered_text(&p, HS_FORMAT_JSON);
	CHECK_EQ(occurrences(html, "<path class=\"dots-malloc-free\""), 1);
	CHECK_EQ(occurrences(html, " h0 "), 2);
	CHECK(has(html, "free in malloc: 40.0 MiB"));
	CHECK_EQ(occurrences(html, "free in malloc: ?"), p.s.tl.count - 2);
	CHECK(has(json, "\"malloc_free_bytes\": 41943040"));
	free(html);
	free(json);
	rendered_free(&p);
}

int main(void)
{
	TEST(test_structure);
	TEST(test_allocator_state);
	TEST(test_escaping);
	TEST(test_diff_page);
	TEST(test_size);
	return check_summary();
}
