// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_render.c - user/render/wording.c (the shared words) and what the report, JSON and
 * SVG make of a session over two processes: a verdict per process, the
 * session's from the most severe one (named, with how the others fared), the
 * PROCESSES table's VERDICT column, a PROCESS section each, most severe
 * first; with one process, none of that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "session_fixture.h"

__attribute__((noinline)) int steady_holder(int x)
{
	return x * 7 + 3;
}

struct rendered {
	struct session s;
	struct hs_analysis a;
	struct hs_summary sum;
	struct hs_process_summary processes[2];
	struct hs_profile_process labels[2];
	struct hs_render_input input;
};

/* Two processes (this one steady, SESSION_OTHER_PID leaking), or only this one. */
static void build(struct rendered *r, bool two)
{
	struct hs_profile_scope scope = {r->labels, two ? 2 : 1, false};
	struct hs_analysis_config config = {.end_s = 11.0, .events = 12, .scope = &scope};
	uint64_t steady = (uint64_t)steady_holder + 1;

	memset(r, 0, sizeof(*r));
	if (two) {
		session_two_processes(&r->s, steady);
	} else {
		session_start(&r->s);
		session_alloc(&r->s, getpid(), steady, 1000, NS);
		for (int t = 0; t <= 10; t++)
			session_point(&r->s, t);
	}
	r->processes[0] = (struct hs_process_summary){.pid = getpid(), .ns_pid = getpid(),
						      .comm = "self"};
	r->processes[1] = (struct hs_process_summary){.pid = SESSION_OTHER_PID,
						      .ns_pid = SESSION_OTHER_PID, .comm = "other"};
	for (int i = 0; i < 2; i++) {
		r->labels[i].pid = r->processes[i].pid;
		snprintf(r->labels[i].label, sizeof(r->labels[i].label), "%s [%d]",
			 r->processes[i].comm, r->processes[i].pid);
	}
	r->sum = (struct hs_summary){.pid = getpid(), .comm = "self", .duration_s = 10,
				     .processes = r->processes, .process_count = two ? 2 : 1};
	CHECK_EQ(hs_analysis_build(&r->a, &r->s.c, &r->s.tl, &r->s.sym, &config), 0);
	r->input = (struct hs_render_input){&r->a.profile, &r->sum, HS_WEIGHT_INUSE_BYTES, &r->a};
}

static void tear_down(struct rendered *r)
{
	hs_analysis_free(&r->a);
	session_end(&r->s);
}

/* The whole output of one format, NUL-terminated; the caller frees it. */
static char *render(struct rendered *r, enum hs_format format)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CHECK(out != NULL);
	if (!out)
		return NULL;
	CHECK_EQ(hs_render(out, format, &r->input), 0);
	fclose(out);
	return text;
}

static bool has(const char *text, const char *want)
{
	if (text && strstr(text, want))
		return true;
	fprintf(stderr, "  missing: %s\n", want);
	return false;
}

static bool starts_with(const char *text, const char *want)
{
	return strncmp(text, want, strlen(want)) == 0;
}

/* text has first, and second after it. */
static bool in_order(const char *text, const char *first, const char *second)
{
	const char *at = text ? strstr(text, first) : NULL;

	return at && strstr(at, second);
}

static void test_words(void)
{
	static struct rendered r;
	char text[512], self[64];

	build(&r, true);
	hs_render_session_name(&r.sum, text, sizeof(text));
	CHECK(strcmp(text, "2 processes") == 0);
	hs_render_process_name(&r.sum, SESSION_OTHER_PID, text, sizeof(text));
	CHECK(strcmp(text, "PID 1 (other)") == 0);
	hs_render_process_name(&r.sum, 77777777, text, sizeof(text));
	CHECK(strcmp(text, "PID 77777777 (?)") == 0);
	hs_render_verdict_source(&r.input, text, sizeof(text));
	CHECK(strcmp(text, "PID 1 (other), the most severe of 2 processes (1 leak, 1 stable)") ==
	      0);
	hs_render_explanation(&r.input, text, sizeof(text));
	CHECK(starts_with(text, "PID 1 (other), the most severe of 2 processes (1 leak, 1 stable): "
				"The live heap grows steadily"));
	tear_down(&r);

	build(&r, false);
	snprintf(self, sizeof(self), "PID %d (self)", getpid());
	hs_render_session_name(&r.sum, text, sizeof(text));
	CHECK(strcmp(text, self) == 0);
	hs_render_verdict_source(&r.input, text, sizeof(text));
	CHECK(text[0] == '\0'); /* one process: the verdict is the session's */
	hs_render_explanation(&r.input, text, sizeof(text));
	CHECK(starts_with(text, "The live heap did not grow"));
	tear_down(&r);
}

static void test_report(void)
{
	static struct rendered r;
	char self_section[64], self_row[128], *text;

	build(&r, true);
	text = render(&r, HS_FORMAT_REPORT);
	snprintf(self_section, sizeof(self_section), "PROCESS PID %d (self): stable", getpid());
	snprintf(self_row, sizeof(self_row), "%16d %8d %-16s %-9s %-12s", getpid(), getpid(),
		 "self", "running", "stable");
	CHECK(has(text, "heapscope report: 2 processes, 10.0 s, 11 points every 1 s\n"));
	CHECK(has(text, "VERDICT      "));
	CHECK(has(text, self_row));
	CHECK(has(text, "VERDICT: leak\n  PID 1 (other), the most severe of 2 processes"));
	CHECK(in_order(text, "PROCESS PID 1 (other): leak, 10.0 s, 11 points\n"
			     "  (the session's verdict: explained under VERDICT above)",
		       self_section));
	CHECK(in_order(text, self_section, "most live bytes: steady_holder, 1000 B in 1 blocks"));
	CHECK(has(text, "MEMORY (processes alive, summed)"));
	free(text);
	tear_down(&r);

	build(&r, false);
	text = render(&r, HS_FORMAT_REPORT);
	CHECK(text && !strstr(text, "PROCESS")); /* no table, no sections */
	CHECK(has(text, "VERDICT: stable\n  The live heap did not grow"));
	free(text);
	tear_down(&r);
}

static void test_json(void)
{
	static struct rendered r;
	char self[512], *text;

	build(&r, true);
	text = render(&r, HS_FORMAT_JSON);
	snprintf(self, sizeof(self),
		 "{\"pid\": %d, \"ns_pid\": %d, \"comm\": \"self\", \"exited\": false, "
		 "\"execed\": false, \"live_bytes\": 0, \"live_count\": 0, \"alloc_bytes\": 0, "
		 "\"alloc_count\": 0, \"unknown_frees\": 0, \"unknown_free_bytes\": 0, "
		 "\"unknown_frees_unmeasured\": 0, \"verdict\": \"stable\", "
		 "\"explanation\": \"The live heap",
		 getpid(), getpid());
	CHECK(has(text, "\"version\": 2,"));
	CHECK(has(text, "\"verdict\": \"leak\",\n  \"verdict_pid\": 1,\n  \"explanation\": "
			"\"PID 1 (other), the most severe of 2 processes (1 leak, 1 stable): "));
	CHECK(has(text, self));
	CHECK(has(text, "\"verdict\": \"leak\", \"explanation\": \"The live heap grows steadily"));
	CHECK(has(text, "\"duration_s\": 10, \"points\": 11, \"live_peak_bytes\": 225280, "
			"\"live_growth_bytes_per_s\": 20480, \"live_growth_steadiness\": 1, "
			"\"rss_bytes_start\": null"));
	/* The session's own figures are its totals, both processes together. */
	CHECK(has(text, "\"live_peak_bytes\": 226280,\n"));
	free(text);
	tear_down(&r);

	build(&r, false);
	text = render(&r, HS_FORMAT_JSON);
	snprintf(self, sizeof(self), "\"verdict\": \"stable\",\n  \"verdict_pid\": %d,", getpid());
	CHECK(has(text, self));
	free(text);
	tear_down(&r);
}

static void test_svg_title(void)
{
	static struct rendered r;
	char *text;

	build(&r, true);
	text = render(&r, HS_FORMAT_SVG);
	CHECK(has(text, ">heapscope: 2 processes, 10.0 s, inuse-bytes: 226,280 bytes</text>"));
	free(text);
	tear_down(&r);
}

int main(void)
{
	TEST(test_words);
	TEST(test_report);
	TEST(test_json);
	TEST(test_svg_title);
	return check_summary();
}
