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

#include "rendered_session.h"

__attribute__((noinline)) int steady_holder(int x)
{
	return x * 7 + 3;
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

	rendered_build(&r, true, (uint64_t)steady_holder + 1, "other");
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
	rendered_free(&r);

	rendered_build(&r, false, (uint64_t)steady_holder + 1, "other");
	snprintf(self, sizeof(self), "PID %d (self)", getpid());
	hs_render_session_name(&r.sum, text, sizeof(text));
	CHECK(strcmp(text, self) == 0);
	hs_render_verdict_source(&r.input, text, sizeof(text));
	CHECK(text[0] == '\0'); /* one process: the verdict is the session's */
	hs_render_explanation(&r.input, text, sizeof(text));
	CHECK(starts_with(text, "The live heap did not grow"));
	rendered_free(&r);
}

static void test_report(void)
{
	static struct rendered r;
	char self_section[64], self_row[128], *text;

	rendered_build(&r, true, (uint64_t)steady_holder + 1, "other");
	text = rendered_text(&r, HS_FORMAT_REPORT);
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
	rendered_free(&r);

	rendered_build(&r, false, (uint64_t)steady_holder + 1, "other");
	text = rendered_text(&r, HS_FORMAT_REPORT);
	CHECK(text && !strstr(text, "PROCESS")); /* no table, no sections */
	CHECK(has(text, "VERDICT: stable\n  The live heap did not grow"));
	free(text);
	rendered_free(&r);
}

static void test_json(void)
{
	static struct rendered r;
	char self[512], *text;

	rendered_build(&r, true, (uint64_t)steady_holder + 1, "other");
	text = rendered_text(&r, HS_FORMAT_JSON);
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
	rendered_free(&r);

	rendered_build(&r, false, (uint64_t)steady_holder + 1, "other");
	text = rendered_text(&r, HS_FORMAT_JSON);
	snprintf(self, sizeof(self), "\"verdict\": \"stable\",\n  \"verdict_pid\": %d,", getpid());
	CHECK(has(text, self));
	free(text);
	rendered_free(&r);
}

static void test_svg_title(void)
{
	static struct rendered r;
	char *text;

	rendered_build(&r, true, (uint64_t)steady_holder + 1, "other");
	text = rendered_text(&r, HS_FORMAT_SVG);
	CHECK(has(text, ">heapscope: 2 processes, 10.0 s, inuse-bytes: 226,280 bytes</text>"));
	free(text);
	rendered_free(&r);
}

int main(void)
{
	TEST(test_words);
	TEST(test_report);
	TEST(test_json);
	TEST(test_svg_title);
	return check_summary();
}
