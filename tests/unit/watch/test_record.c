// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_record.c - watch/record.c: what hs_record_write writes, hs_record_parse reads back
 * (hostile comm and exe included), the largest C++ types too (hostile names; entries past
 * HS_WATCH_MAX_TYPES checked and not kept); lines that are not readings are refused, never
 * half-read; random bytes and random cuts of a good line never crash the parser.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "watch/record.h"

static void fill(struct hs_watch_process *p, struct hs_watch_reading *r)
{
	memset(p, 0, sizeof(*p));
	memset(r, 0, sizeof(*r));
	p->pid = 4242;
	p->start_ticks = 123456789;
	snprintf(p->comm, sizeof(p->comm), "a\"b\\c\nd\x01");
	memset(p->exe, 'x', 1000); /* longer than the label bound: cut */
	p->allocator = HS_WATCH_ALLOC_GLIBC;
	p->read_errors = 2;
	r->t_s = 1796170000.25;
	r->mem = (struct hs_proc_memory){ .rss_bytes = 1ull << 40, .anon_bytes = 5,
					  .heap_bytes = 6, .valid = true };
	r->allocator_read = true;
	r->total.in_use_bytes = 1ull << 60; /* large, and a double holds it exactly */
	r->total.top_bytes = 7;
	r->total.bin_bytes = 8;
	r->total.free_resident_bytes = 9;
	r->total.trimmable_bytes = 10;
	r->mmapped_bytes = 11;
	snprintf(r->error, sizeof(r->error), "why \"not\"");
}

static void test_round_trip(void)
{
	struct hs_watch_process p;
	struct hs_watch_reading r;
	struct hs_record_line rec;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	fill(&p, &r);
	hs_record_write(out, &p, &r);
	fclose(out);
	CHECK(len > 0 && text[len - 1] == '\n' && !memchr(text, '\n', len - 1));
	CHECK_EQ(hs_record_parse(text, len - 1, &rec), 0);
	CHECK_EQ(rec.pid, 4242);
	CHECK_EQ(rec.start_ticks, 123456789);
	CHECK(rec.t_s > 1796170000.2 && rec.t_s < 1796170000.3);
	CHECK(strcmp(rec.comm, "a\"b\\c\nd\x01") == 0);
	CHECK_EQ(strlen(rec.exe), HS_WATCH_EXE_LABEL_BYTES - 1);
	CHECK(rec.has_mem && rec.has_heap);
	CHECK_EQ(rec.rss_bytes, 1ull << 40);
	CHECK_EQ(rec.in_use_bytes, 1ull << 60);
	CHECK_EQ(rec.top_bytes, 7);
	CHECK_EQ(rec.bin_bytes, 8);
	CHECK_EQ(rec.free_resident_bytes, 9);
	CHECK_EQ(rec.trimmable_bytes, 10);
	CHECK_EQ(rec.mmapped_bytes, 11);
	CHECK_EQ(rec.read_errors, 2);
	free(text);
}

static void test_types(void)
{
	struct hs_watch_process p;
	struct hs_watch_reading r;
	struct hs_record_line rec;
	char *text = NULL, line[4096];
	size_t len = 0, at;
	FILE *out = open_memstream(&text, &len);

	fill(&p, &r);
	r.types_read = true;
	r.type_count = 2;
	snprintf(r.types[0].name, sizeof(r.types[0].name), "media::Beta");
	r.types[0].bytes = 64800;
	r.types[0].instances = 300;
	snprintf(r.types[1].name, sizeof(r.types[1].name), "q\"u\\o\nte\x01\xff<%s>", "x");
	r.types[1].bytes = 1ull << 50;
	r.types[1].instances = 1;
	hs_record_write(out, &p, &r);
	fclose(out);
	CHECK(strstr(text, ",\"types\":[{\"type\":\"media::Beta\",\"bytes\":64800,"
			   "\"instances\":300},{"));
	CHECK_EQ(hs_record_parse(text, len - 1, &rec), 0);
	CHECK(rec.has_types);
	CHECK_EQ(rec.type_count, 2);
	CHECK(strcmp(rec.types[0].name, "media::Beta") == 0);
	CHECK_EQ(rec.types[0].bytes, 64800);
	CHECK_EQ(rec.types[0].instances, 300);
	CHECK_EQ(rec.types[1].bytes, 1ull << 50);
	CHECK(strncmp(rec.types[1].name, "q\"u\\o\nte\x01", 9) == 0);
	free(text);

	/* A census that found none is an empty list; a reading without a census has none. */
	snprintf(line, sizeof(line), "{\"t\":5,\"pid\":7,\"types\":[]}");
	CHECK_EQ(hs_record_parse(line, strlen(line), &rec), 0);
	CHECK(rec.has_types && rec.type_count == 0);
	snprintf(line, sizeof(line), "{\"t\":5,\"pid\":7}");
	CHECK_EQ(hs_record_parse(line, strlen(line), &rec), 0);
	CHECK(!rec.has_types);
	/* More entries than kept: all checked, the first HS_WATCH_MAX_TYPES kept. */
	at = (size_t)snprintf(line, sizeof(line), "{\"t\":5,\"pid\":7,\"types\":[");
	for (int i = 0; i < 3 * HS_WATCH_MAX_TYPES; i++)
		at += (size_t)snprintf(line + at, sizeof(line) - at,
				       "%s{\"type\":\"T%d\",\"bytes\":%d,\"instances\":1,\"new\":\"x\"}",
				       i ? "," : "", i, 1000 - i);
	at += (size_t)snprintf(line + at, sizeof(line) - at, "]}");
	CHECK_EQ(hs_record_parse(line, at, &rec), 0);
	CHECK_EQ(rec.type_count, HS_WATCH_MAX_TYPES);
	CHECK(strcmp(rec.types[HS_WATCH_MAX_TYPES - 1].name, "T9") == 0);
	/* A long name is cut to the buffer, NUL-terminated. */
	at = (size_t)snprintf(line, sizeof(line), "{\"t\":5,\"pid\":7,\"types\":[{\"type\":\"");
	memset(line + at, 'n', 1000);
	at += 1000;
	at += (size_t)snprintf(line + at, sizeof(line) - at, "\",\"bytes\":1}]}");
	CHECK_EQ(hs_record_parse(line, at, &rec), 0);
	CHECK_EQ(strlen(rec.types[0].name), sizeof(rec.types[0].name) - 1);
}

static void test_not_measured(void)
{
	struct hs_record_line rec;
	const char *line = "{\"t\":5,\"pid\":7,\"allocator\":\"other\",\"rss_bytes\":9}";

	CHECK_EQ(hs_record_parse(line, strlen(line), &rec), 0);
	CHECK(rec.has_mem && !rec.has_heap);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"",
		"{}",
		"[1]",
		"{\"pid\":7}",			     /* no time */
		"{\"t\":5}",			     /* no pid */
		"{\"t\":5,\"pid\":-7}",
		"{\"t\":5,\"pid\":7.5}",
		"{\"t\":5,\"pid\":7,\"rss_bytes\":-1}",
		"{\"t\":5,\"pid\":7,\"rss_bytes\":1e300}",
		"{\"t\":5,\"pid\":7,\"x\":{\"nested\":1}}",
		"{\"t\":5,\"pid\":7,\"comm\":\"\\q\"}",
		"{\"t\":5,\"pid\":7,\"comm\":\"\\u12\"}",
		"{\"t\":5,\"pid\":7,\"comm\":\"unterminated}",
		"{\"t\":5,\"pid\":7} trailing",
		"{\"t\":5,\"pid\":7,}",
		"{\"t\":nan,\"pid\":7}",
		"{\"t\":5,\"pid\":7,\"types\":[1]}",
		"{\"t\":5,\"pid\":7,\"types\":[{\"bytes\":1}]}", /* no name */
		"{\"t\":5,\"pid\":7,\"types\":[{\"type\":\"A\",\"bytes\":-1}]}",
		"{\"t\":5,\"pid\":7,\"types\":[{\"type\":\"A\",\"x\":[]}]}",
		"{\"t\":5,\"pid\":7,\"types\":[{\"type\":\"A\"},]}",
		"{\"t\":5,\"pid\":7,\"types\":[{\"type\":\"A\"}",
		"{\"t\":5,\"pid\":7,\"types\":[[{\"type\":\"A\"}]]}",
		"{\"t\":5,\"pid\":7,\"other\":[{\"type\":\"A\"}]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hs_record_line rec;
		int err = hs_record_parse(bad[i], strlen(bad[i]), &rec);

		if (err != -EINVAL)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK_EQ(err, -EINVAL);
	}
}

static void test_random(void)
{
	const char *good = "{\"t\":5.5,\"pid\":7,\"comm\":\"x\\u0041\",\"heap_in_use_bytes\":12,"
			   "\"consistent\":true,\"types\":[{\"type\":\"W\",\"bytes\":8}],"
			   "\"error\":null}";
	struct hs_record_line rec;
	uint64_t state = 21;
	char buf[256];

	CHECK_EQ(hs_record_parse(good, strlen(good), &rec), 0);
	CHECK(strcmp(rec.comm, "xA") == 0);
	for (size_t cut = 0; cut < strlen(good); cut++)
		CHECK_EQ(hs_record_parse(good, cut, &rec), -EINVAL);
	for (int round = 0; round < 50000; round++) {
		size_t len = check_random(&state) % sizeof(buf);

		memcpy(buf, good, strlen(good));
		for (int k = 0; k < 3; k++)
			buf[check_random(&state) % sizeof(buf)] = (char)check_random(&state);
		hs_record_parse(buf, len, &rec); /* any answer; no crash, no read past len */
	}
}

int main(void)
{
	TEST(test_round_trip);
	TEST(test_types);
	TEST(test_not_measured);
	TEST(test_refused);
	TEST(test_random);
	return check_summary();
}
