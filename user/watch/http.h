/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_WATCH_HTTP_H
#define HEAPSCOPE_WATCH_HTTP_H

#include <stddef.h>

/* Limits of the /metrics server, documented in `heapscope watch --help` and the README. */
#define HS_HTTP_MAX_CONNECTIONS	  32	/* more: the oldest still sending its request goes */
#define HS_HTTP_MAX_REQUEST_BYTES 8192	/* request line + headers; more: 431, closed */
#define HS_HTTP_HEADER_TIMEOUT_MS 2000	/* from accept to the end of the headers */
#define HS_HTTP_WRITE_TIMEOUT_MS  5000	/* to take the whole response */
#define HS_HTTP_MAX_PAGE_BYTES	  (64u << 20) /* a bigger page is not published */

/* What a request gets: 0 while incomplete, else an HTTP status. */
enum hs_http_verdict {
	HS_HTTP_INCOMPLETE = 0,
	HS_HTTP_OK = 200,
	HS_HTTP_BAD_REQUEST = 400,
	HS_HTTP_NOT_FOUND = 404,
	HS_HTTP_METHOD_NOT_ALLOWED = 405,
	HS_HTTP_HEADERS_TOO_LARGE = 431,
};

struct hs_http_server;

enum hs_http_verdict hs_http_judge(const char *request, size_t len);
int hs_http_start(const char *listen_addr, const char *content_type, struct hs_http_server **out,
		  char *bound, size_t bound_len);
int hs_http_publish(struct hs_http_server *s, const char *body, size_t len);
void hs_http_stop(struct hs_http_server *s);

#endif
