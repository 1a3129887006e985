// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_report.c - watch/report.c over synthetic recordings of hours: in-use bytes rising
 * steadily (leak), flat in-use with free-resident bytes rising (retention), everything flat
 * (stable); long series thinned to HS_REPORT_MAX_POINTS; two processes with one PID (a
 * reused PID: another starttime) kept apart; malformed lines counted, not fatal; the largest
 * C++ types of the last reading shown beside the first reading's, a hostile name escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "watch/report.h"

/* One recording line: pid, its start ticks, time, in use, free resident. */
static void line(struct hs_report *report, int pid, int start, double t, double in_use,
		 double free_resident)
{
	char text[512];
	int len = snprintf(text, sizeof(text),
			   "{\"t\":%.1f,\"pid\":%d,\"start_ticks\":%d,\"comm\":\"w\",\"exe\":\"/w\","
			   "\"rss_bytes\":%.0f,\"anonymous_bytes\":%.0f,\"heap_in_use_bytes\":%.0f,"
			   "\"heap_free_resident_bytes\":%.0f}",
			   t, pid, start, in_use + free_resident + 4e6, in_use + free_resident, in_use,
			   free_resident);

	CHECK_EQ(hs_report_add_line(report, text, (size_t)len), 0);
}

static const struct hs_report_process *find(const struct hs_report *r, int pid, int start)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->processes[i].pid == pid && r->processes[i].start_ticks == (uint64_t)start)
			return &r->processes[i];
	return NULL;
}

static void test_verdicts(void)
{
	struct hs_report report = { 0 };
	const struct hs_report_process *leak, *retention, *stable, *reused;
	uint64_t state = 3;
	double t0 = 1796000000;

	/* Six hours at 10 s: 2160 readings each, with noise. */
	for (int i = 0; i < 2160; i++) {
		double t = t0 + i * 10.0, noise = (double)(check_random(&state) % 65536);

		line(&report, 100, 1, t, 50e6 + i * 20e3 + noise, 1e6 + noise);
		line(&report, 200, 1, t, 50e6 + noise, 1e6 + i * 20e3 + noise);
		line(&report, 300, 1, t, 50e6 + noise, 1e6 + noise);
		if (i < 100)
			line(&report, 100, 2, t, 1e6, 1e6); /* PID 100 reused later: not mixed */
	}
	CHECK_EQ(hs_report_add_line(&report, "garbage", 7), 0);
	CHECK_EQ(report.malformed_lines, 1);
	CHECK_EQ(report.count, 4);
	CHECK_EQ(hs_report_judge(&report), 0);
	leak = find(&report, 100, 1);
	retention = find(&report, 200, 1);
	stable = find(&report, 300, 1);
	reused = find(&report, 100, 2);
	CHECK(leak && retention && stable && reused);
	if (!leak || !retention || !stable || !reused)
		return;
	CHECK_EQ(leak->verdict.kind, HS_VERDICT_LEAK);
	CHECK_EQ(leak->count, 2160);
	CHECK_EQ(leak->verdict.points, HS_REPORT_MAX_POINTS);
	CHECK(leak->verdict.duration_s > 5.9 * 3600);
	CHECK_EQ(retention->verdict.kind, HS_VERDICT_RETENTION);
	CHECK(retention->free_resident.slope * 3600 > 6e6);
	CHECK_EQ(stable->verdict.kind, HS_VERDICT_STABLE);
	CHECK_EQ(reused->count, 100);
	hs_report_free(&report);
}

static void add(struct hs_report *report, const char *text)
{
	CHECK_EQ(hs_report_add_line(report, text, strlen(text)), 0);
}

static void test_types(void)
{
	struct hs_report report = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	/* Out of order on purpose: first and last are by time, not by line. */
	add(&report, "{\"t\":200,\"pid\":9,\"heap_in_use_bytes\":1,\"types\":["
		     "{\"type\":\"Session\",\"bytes\":4096,\"instances\":64},"
		     "{\"type\":\"Bad\\u001b[2J\",\"bytes\":100,\"instances\":1}]}");
	add(&report, "{\"t\":100,\"pid\":9,\"heap_in_use_bytes\":1,\"types\":["
		     "{\"type\":\"Session\",\"bytes\":1024,\"instances\":16}]}");
	add(&report, "{\"t\":150,\"pid\":9,\"heap_in_use_bytes\":1}"); /* no census */
	CHECK_EQ(hs_report_judge(&report), 0);
	CHECK_EQ(hs_report_write_text(out, &report, "r.jsonl"), 0);
	fflush(out);
	CHECK(strstr(text, "largest C++ types at the last reading (and at the first):\n"));
	CHECK(strstr(text, "Session ") && strstr(text, "4.0 KiB, 64 instances (1.0 KiB, 16)\n"));
	CHECK(strstr(text, "Bad\\x1b[2J"));
	CHECK(!strchr(text, '\x1b'));
	CHECK(strstr(text, "100 B, 1 instances (not among the largest)\n"));
	fclose(out);
	free(text);
	text = NULL;
	out = open_memstream(&text, &len);
	CHECK_EQ(hs_report_write_json(out, &report, "r.jsonl"), 0);
	fclose(out);
	CHECK(strstr(text, "\"types\":[{\"type\":\"Session\",\"bytes\":4096,\"instances\":64,"
			   "\"first_bytes\":1024,\"first_instances\":16},{"));
	free(text);
	hs_report_free(&report);
}

int main(void)
{
	TEST(test_verdicts);
	TEST(test_types);
	return check_summary();
}
