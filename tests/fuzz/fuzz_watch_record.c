// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_watch_record.c - what `heapscope watch` takes from outside as bytes: a recording's line
 * (user/watch/record.c, read back by `watch --report`: any file may be passed) and an HTTP
 * request (user/watch/http.c's judge: any client may send it).  Both on arbitrary input:
 * a parsed line has a pid, a finite time, NUL-terminated names and at most HS_WATCH_MAX_TYPES
 * types; the judge gives a known
 * verdict; a whole input as a recording goes through the report (grouping, thinning,
 * verdict) without fault.
 */
#include <string.h>

#include "fuzz.h"
#include "watch/http.h"
#include "watch/record.h"
#include "watch/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_image(data, size);
	struct hs_record_line rec;
	struct hs_report report = { 0 };
	enum hs_http_verdict verdict;
	size_t start = 0;

	if (!text)
		return 0;
	if (hs_record_parse(text, size, &rec) == 0) {
		FUZZ_ASSERT(rec.pid > 0);
		FUZZ_ASSERT(rec.t_s >= 0 && rec.t_s < 1e11);
		FUZZ_ASSERT(memchr(rec.comm, '\0', sizeof(rec.comm)) != NULL);
		FUZZ_ASSERT(memchr(rec.exe, '\0', sizeof(rec.exe)) != NULL);
		FUZZ_ASSERT(rec.type_count <= HS_WATCH_MAX_TYPES);
		FUZZ_ASSERT(rec.has_types || rec.type_count == 0);
		for (size_t i = 0; i < rec.type_count; i++)
			FUZZ_ASSERT(memchr(rec.types[i].name, '\0', sizeof(rec.types[i].name)));
	}
	verdict = hs_http_judge(text, size);
	FUZZ_ASSERT(verdict == HS_HTTP_INCOMPLETE || verdict == HS_HTTP_OK ||
		    verdict == HS_HTTP_BAD_REQUEST || verdict == HS_HTTP_NOT_FOUND ||
		    verdict == HS_HTTP_METHOD_NOT_ALLOWED || verdict == HS_HTTP_HEADERS_TOO_LARGE);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && text[i] != '\n')
			continue;
		FUZZ_ASSERT(hs_report_add_line(&report, text + start, i - start) == 0);
		start = i + 1;
	}
	FUZZ_ASSERT(hs_report_judge(&report) == 0);
	FUZZ_ASSERT(report.lines >= report.malformed_lines);
	hs_report_free(&report);
	free(text);
	return 0;
}
