// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_perf_map.c - user/symbol/perf_map.c on perf maps written here, against a
 * made-up address space: JIT code named, and everything a hostile map could try
 * refused (code that has a file, ranges crossing a mapping's end, long lines,
 * lines cut by a read, malformed lines, names too long).
 */
#include <string.h>

#include "check.h"
#include "symbol/perf_map.h"

static struct hs_mapping items[] = {
	{ .start = 0x10000, .end = 0x20000, .executable = true },		  /* JIT code */
	{ .start = 0x30000, .end = 0x40000, .executable = true, .inode = 7,
	  .path = "/usr/lib/libx.so" }, /* a file */
	{ .start = 0x50000, .end = 0x60000, .executable = false },		  /* data */
	{ .start = 0x70000, .end = 0x71000, .executable = true, .path = "[anon:v8]" },
	{ .start = 0x80000, .end = 0x81000, .executable = true, .path = "[uprobes]" },
};
static const struct hs_maps maps = { items, sizeof(items) / sizeof(items[0]) };

static int parse(struct hs_perf_map *map, const char *text)
{
	return hs_perf_map_parse(map, text, strlen(text), &maps);
}

static void test_names_jit_code_only(void)
{
	struct hs_perf_map map = { 0 };

	CHECK_EQ(parse(&map, "10040 20 LazyCompile:*fib /app/fib.js:3\n"
			     "0x10100 0x10 py::main:/app/x.py\r\n"
			     "30000 100 libx_function\n"	/* has a file */
			     "50000 100 data\n"		/* not executable */
			     "1fff0 20 crosses_the_end\n"	/* past the mapping */
			     "10200 0 empty\n"
			     "70000 10 named_region\n"
			     "80000 10 uprobes_page\n"
			     "10300 10\n"			/* no name */
			     "zz 10 bad\n"
			     "10400 10000000000000000 overflow\n"),
		 0);
	CHECK_EQ(map.count, 3);
	CHECK_EQ(map.skipped, 8);
	CHECK_EQ(map.lines, 11);
	CHECK(strcmp(hs_perf_map_lookup(&map, 0x10040), "LazyCompile:*fib /app/fib.js:3") == 0);
	CHECK(strcmp(hs_perf_map_lookup(&map, 0x1005f), "LazyCompile:*fib /app/fib.js:3") == 0);
	CHECK(hs_perf_map_lookup(&map, 0x10060) == NULL);
	CHECK(hs_perf_map_lookup(&map, 0x1003f) == NULL);
	CHECK(strcmp(hs_perf_map_lookup(&map, 0x10105), "py::main:/app/x.py") == 0);
	CHECK(strcmp(hs_perf_map_lookup(&map, 0x70000), "named_region") == 0);
	CHECK(hs_perf_map_lookup(&map, 0x30000) == NULL);
	CHECK(hs_perf_map_lookup(&map, 0x80000) == NULL);
	hs_perf_map_free(&map);
}

/* The file grows as the JIT compiles: each read continues at the last complete line. */
static void test_incremental(void)
{
	struct hs_perf_map map = { 0 };
	const char *first = "10000 10 old\n10100 10 par";

	CHECK_EQ(parse(&map, first), 0);
	CHECK_EQ(map.count, 1);
	CHECK_EQ(map.read_bytes, strlen("10000 10 old\n"));
	CHECK_EQ(parse(&map, "10100 10 partial\n10000 10 new\n"), 0);
	CHECK_EQ(map.count, 2);
	/* The memory at 0x10000 was reused: the later line names it. */
	CHECK(strcmp(hs_perf_map_lookup(&map, 0x10000), "new") == 0);
	CHECK(strcmp(hs_perf_map_lookup(&map, 0x10100), "partial") == 0);
	hs_perf_map_free(&map);
}

static void test_long_lines(void)
{
	static char text[3 * HS_PERF_MAP_MAX_LINE];
	struct hs_perf_map map = { 0 };
	size_t len;

	/* A whole line too long, then a good one. */
	len = snprintf(text, sizeof(text), "10000 10 ");
	memset(text + len, 'x', HS_PERF_MAP_MAX_LINE);
	strcpy(text + len + HS_PERF_MAP_MAX_LINE, "\n10100 10 fine\n");
	CHECK_EQ(parse(&map, text), 0);
	CHECK_EQ(map.count, 1);
	CHECK_EQ(map.skipped, 1);
	CHECK(hs_perf_map_lookup(&map, 0x10000) == NULL);
	/* One too long and not finished in this read: its rest, next time, is skipped too,
	 * even when it looks like a line of its own. */
	len = snprintf(text, sizeof(text), "10200 10 ");
	memset(text + len, 'y', HS_PERF_MAP_MAX_LINE);
	text[len + HS_PERF_MAP_MAX_LINE] = '\0';
	CHECK_EQ(parse(&map, text), 0);
	CHECK_EQ(parse(&map, "10300 10 rest\n10400 10 after\n"), 0);
	CHECK(hs_perf_map_lookup(&map, 0x10300) == NULL);
	CHECK(strcmp(hs_perf_map_lookup(&map, 0x10400), "after") == 0);
	CHECK_EQ(map.count, 2);
	/* A long name within a line of acceptable length is cut. */
	len = snprintf(text, sizeof(text), "10500 10 ");
	memset(text + len, 'n', 2 * HS_PERF_MAP_MAX_NAME);
	strcpy(text + len + 2 * HS_PERF_MAP_MAX_NAME, "\n");
	CHECK_EQ(parse(&map, text), 0);
	CHECK_EQ(strlen(hs_perf_map_lookup(&map, 0x10500)), HS_PERF_MAP_MAX_NAME);
	hs_perf_map_free(&map);
}

static void test_jit_mappings(void)
{
	CHECK(hs_mapping_is_jit(&items[0]));
	CHECK(!hs_mapping_is_jit(&items[1]));
	CHECK(!hs_mapping_is_jit(&items[2]));
	CHECK(hs_mapping_is_jit(&items[3]));
	CHECK(!hs_mapping_is_jit(&items[4]));
}

int main(void)
{
	TEST(test_names_jit_code_only);
	TEST(test_incremental);
	TEST(test_long_lines);
	TEST(test_jit_mappings);
	return check_summary();
}
