// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_prometheus.c - the /metrics page of watch/prometheus.c: label values escaped and
 * bounded whatever a target names itself, every family with HELP and TYPE before its
 * samples, glibc figures only for processes whose heap was read, the info metric for the
 * others, counters ending in _total; the largest C++ types as one series per type (a hostile
 * name escaped), none for a process without them.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "watch/prometheus.h"

static char *label(const char *value, size_t max)
{
	static char buf[1024];
	FILE *out = fmemopen(buf, sizeof(buf), "w");

	hs_prom_label_value(out, value, max);
	fclose(out);
	return buf;
}

static void test_label_escaping(void)
{
	CHECK(strcmp(label("plain", 64), "\"plain\"") == 0);
	CHECK(strcmp(label("a\"b\\c\nd", 64), "\"a\\\"b\\\\c\\nd\"") == 0);
	CHECK(strcmp(label("tab\there", 64), "\"tab\xef\xbf\xbdhere\"") == 0);
	CHECK(strcmp(label("caf\xc3\xa9", 64), "\"caf\xc3\xa9\"") == 0);  /* valid UTF-8 kept */
	CHECK(strcmp(label("bad\xff\xc3", 64), "\"bad\xef\xbf\xbd\xef\xbf\xbd\"") == 0);
	CHECK(strcmp(label("abcdef", 3), "\"abc\"") == 0);
	/* A sequence cut by the bound is not half-written. */
	CHECK(strcmp(label("ab\xc3\xa9", 3), "\"ab\xef\xbf\xbd\"") == 0);
}

static struct hs_watch_process *process(pid_t pid, const char *comm, bool glibc)
{
	struct hs_watch_process *p = calloc(1, sizeof(*p));

	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	snprintf(p->exe, sizeof(p->exe), "/usr/bin/%s", comm);
	p->allocator = glibc ? HS_WATCH_ALLOC_GLIBC : HS_WATCH_ALLOC_OTHER;
	snprintf(p->loc.version, sizeof(p->loc.version), "2.36");
	p->has_reading = true;
	p->last.mem.valid = true;
	p->last.mem.rss_bytes = 4096 * pid;
	p->last.allocator_read = glibc;
	p->last.total.in_use_bytes = 1000 + pid;
	p->last.total.top_bytes = 7;
	p->last.total.tcache_bytes = 9;
	p->last.arenas = 1;
	p->read_errors = 3;
	p->last_heap = p->last;
	p->has_heap = glibc;
	return p;
}

static void test_page(void)
{
	struct hs_watch w = { 0 };
	char *page = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&page, &len);
	char last_family[128] = "";
	int families = 0;

	w.items = calloc(2, sizeof(*w.items));
	w.items[0] = process(10, "ser\"ver", true);
	w.items[1] = process(11, "static", false);
	w.count = 2;
	w.items[0]->last_heap.type_count = 2;
	snprintf(w.items[0]->last_heap.types[0].name, HS_WATCH_TYPE_NAME_BYTES, "app::Session");
	w.items[0]->last_heap.types[0].bytes = 4096;
	w.items[0]->last_heap.types[0].instances = 64;
	snprintf(w.items[0]->last_heap.types[1].name, HS_WATCH_TYPE_NAME_BYTES, "x\"}\n\xff");
	w.items[0]->last_heap.types[1].bytes = 24;
	w.items[0]->last_heap.types[1].instances = 1;
	CHECK_EQ(hs_prom_write(out, &w), 0);
	fclose(out);
	CHECK(strstr(page, "heapscope_rss_bytes{pid=\"10\",comm=\"ser\\\"ver\","
			   "exe=\"/usr/bin/ser\\\"ver\"} 40960\n"));
	CHECK(strstr(page, "heapscope_heap_in_use_bytes{pid=\"10\""));
	CHECK(!strstr(page, "heapscope_heap_in_use_bytes{pid=\"11\""));
	CHECK(strstr(page, "heapscope_rss_bytes{pid=\"11\""));
	CHECK(strstr(page, "pid=\"11\",comm=\"static\",exe=\"/usr/bin/static\",allocator=\"other\","
			   "version=\"\",read=\"no\"} 1\n"));
	CHECK(strstr(page, "kind=\"top\"} 7\n"));
	CHECK(strstr(page, "kind=\"tcache\"} 9\n"));
	CHECK(strstr(page, "# TYPE heapscope_read_errors_total counter\n"));
	CHECK(strstr(page, "heapscope_read_errors_total{pid=\"11\",comm=\"static\","
			   "exe=\"/usr/bin/static\"} 3\n"));
	CHECK(strstr(page, "heapscope_watched_processes 2\n"));
	CHECK(strstr(page, "heapscope_type_bytes{pid=\"10\",comm=\"ser\\\"ver\",exe=\"/usr/bin/ser"
			   "\\\"ver\",type=\"app::Session\"} 4096\n"));
	CHECK(strstr(page, "heapscope_type_instances{pid=\"10\",comm=\"ser\\\"ver\",exe=\"/usr/bin/"
			   "ser\\\"ver\",type=\"app::Session\"} 64\n"));
	CHECK(strstr(page, ",type=\"x\\\"}\\n\xef\xbf\xbd\"} 24\n"));
	CHECK(!strstr(page, "heapscope_type_bytes{pid=\"11\""));
	/* Each sample's family was announced by HELP then TYPE just before, once. */
	for (line = strtok_r(page, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			CHECK(strcmp(name, last_family) != 0);
			snprintf(last_family, sizeof(last_family), "%s", name);
			families++;
			continue;
		}
		if (line[0] == '#')
			continue;
		CHECK(strncmp(line, last_family, strlen(last_family)) == 0);
		CHECK(line[strlen(last_family)] == '{' || line[strlen(last_family)] == ' ');
	}
	CHECK(families >= 15);
	free(page);
	hs_watch_free(&w);
}

int main(void)
{
	TEST(test_label_escaping);
	TEST(test_page);
	return check_summary();
}
