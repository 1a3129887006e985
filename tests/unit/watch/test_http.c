// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_http.c - what watch/http.c answers to a request, from the bytes alone: only a
 * complete `GET /metrics` (with or without a query) is served; other methods 405, other
 * paths (traversals included) 404, malformed 400, and a request that outgrows the buffer
 * without ending its headers 431.  Then random bytes: always a verdict, never past len.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "watch/http.h"

static enum hs_http_verdict judge(const char *text)
{
	return hs_http_judge(text, strlen(text));
}

static void test_served(void)
{
	CHECK_EQ(judge("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), HS_HTTP_OK);
	CHECK_EQ(judge("GET /metrics HTTP/1.0\r\n\r\n"), HS_HTTP_OK);
	CHECK_EQ(judge("GET /metrics?name[]=x HTTP/1.1\r\n\r\n"), HS_HTTP_OK);
	CHECK_EQ(judge("GET /metrics HTTP/1.1\n\n"), HS_HTTP_OK);
}

static void test_incomplete(void)
{
	CHECK_EQ(judge(""), HS_HTTP_INCOMPLETE);
	CHECK_EQ(judge("GET /metr"), HS_HTTP_INCOMPLETE);
	CHECK_EQ(judge("GET /metrics HTTP/1.1\r\nHost: x\r\n"), HS_HTTP_INCOMPLETE);
}

static void test_refused(void)
{
	CHECK_EQ(judge("POST /metrics HTTP/1.1\r\n"), HS_HTTP_METHOD_NOT_ALLOWED);
	CHECK_EQ(judge("HEAD /metrics HTTP/1.1\r\n\r\n"), HS_HTTP_METHOD_NOT_ALLOWED);
	CHECK_EQ(judge("GETX /metrics HTTP/1.1\r\n"), HS_HTTP_METHOD_NOT_ALLOWED);
	CHECK_EQ(judge("GET / HTTP/1.1\r\n"), HS_HTTP_NOT_FOUND);
	CHECK_EQ(judge("GET /metricsx HTTP/1.1\r\n"), HS_HTTP_NOT_FOUND);
	CHECK_EQ(judge("GET /metrics/../../etc/passwd HTTP/1.1\r\n"), HS_HTTP_NOT_FOUND);
	CHECK_EQ(judge("GET /../../etc/passwd HTTP/1.1\r\n"), HS_HTTP_NOT_FOUND);
	CHECK_EQ(judge("GET http://x/metrics HTTP/1.1\r\n"), HS_HTTP_NOT_FOUND);
	CHECK_EQ(judge("GET /metrics HTTP/2.0\r\n"), HS_HTTP_BAD_REQUEST);
	CHECK_EQ(judge("GET /metrics\r\n"), HS_HTTP_BAD_REQUEST);
	CHECK_EQ(judge("get /metrics HTTP/1.1\r\n"), HS_HTTP_BAD_REQUEST);
	CHECK_EQ(judge(" /metrics HTTP/1.1\r\n"), HS_HTTP_BAD_REQUEST);
	CHECK_EQ(judge("\r\n"), HS_HTTP_BAD_REQUEST);
}

static void test_too_large(void)
{
	size_t len = HS_HTTP_MAX_REQUEST_BYTES;
	char *big = malloc(len);
	const char *line = "GET /metrics HTTP/1.1\r\nX: ";

	memset(big, 'a', len);
	CHECK_EQ(hs_http_judge(big, len), HS_HTTP_HEADERS_TOO_LARGE); /* no line end at all */
	memcpy(big, line, strlen(line));
	CHECK_EQ(hs_http_judge(big, len), HS_HTTP_HEADERS_TOO_LARGE);
	CHECK_EQ(hs_http_judge(big, len - 1), HS_HTTP_INCOMPLETE);
	free(big);
}

static void test_random(void)
{
	uint64_t state = 19;
	char buf[64];

	for (int round = 0; round < 100000; round++) {
		size_t len = check_random(&state) % sizeof(buf);
		enum hs_http_verdict v;

		for (size_t i = 0; i < len; i++)
			buf[i] = "GET /mtrics HP1.\r\n?x"[check_random(&state) % 20];
		v = hs_http_judge(buf, len);
		CHECK(v == HS_HTTP_INCOMPLETE || v == HS_HTTP_OK || v == HS_HTTP_BAD_REQUEST ||
		      v == HS_HTTP_NOT_FOUND || v == HS_HTTP_METHOD_NOT_ALLOWED);
	}
}

int main(void)
{
	TEST(test_served);
	TEST(test_incomplete);
	TEST(test_refused);
	TEST(test_too_large);
	TEST(test_random);
	return check_summary();
}
