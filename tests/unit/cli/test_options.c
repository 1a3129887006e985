// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_options.c - the command line (user/cli/options.c): every option's short
 * and long form, defaults, the range of each value, the format chosen from the
 * output's extension, one clear reason for each bad command line, and --help
 * naming every option.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events.h"
#include "cli/options.h"

#define MAX_ARGS 16

static char error[256];

/* Parse a NULL-terminated list of arguments after "heapscope". */
static int parse_args(struct hs_options *opts, const char *const *args)
{
	char *argv[MAX_ARGS + 2] = { "heapscope" };
	int argc = 1;

	for (; args[argc - 1] && argc <= MAX_ARGS; argc++)
		argv[argc] = (char *)args[argc - 1];
	error[0] = '\0';
	return hs_options_parse(argc, argv, opts, error, sizeof(error));
}

#define PARSE(opts, ...) parse_args(opts, (const char *const[]){ __VA_ARGS__, NULL })

static void test_defaults(void)
{
	struct hs_options o;

	CHECK_EQ(PARSE(&o, "-p", "42"), 0);
	CHECK_EQ(o.pid, 42);
	CHECK(o.duration_s == 0);
	CHECK(o.output_path == NULL);
	CHECK_EQ(o.format, HS_FORMAT_FOLDED);
	CHECK_EQ(o.weight, HS_WEIGHT_INUSE_BYTES);
	CHECK_EQ(o.ringbuf_bytes, 16 << 20);
	CHECK_EQ(o.max_frames, HS_MAX_FRAMES);
	CHECK_EQ(o.max_live, 16 << 20);
	CHECK_EQ(o.max_stacks, 1 << 20);
	CHECK(!o.verbose && !o.quiet && !o.probe_only && !o.help);
}

static void test_every_option(void)
{
	struct hs_options o;

	CHECK_EQ(PARSE(&o, "-p", "4242", "-d", "2.5", "-o", "out.folded", "-f", "folded", "-w",
		       "alloc-count", "-q", "-v"), 0);
	CHECK_EQ(o.pid, 4242);
	CHECK(o.duration_s == 2.5);
	CHECK(o.output_path && strcmp(o.output_path, "out.folded") == 0);
	CHECK_EQ(o.format, HS_FORMAT_FOLDED);
	CHECK_EQ(o.weight, HS_WEIGHT_ALLOC_COUNT);
	CHECK(o.quiet && o.verbose);

	CHECK_EQ(PARSE(&o, "--pid", "7", "--duration", "30", "--output", "-", "--format", "folded",
		       "--weight", "inuse-count", "--quiet", "--verbose"), 0);
	CHECK_EQ(o.pid, 7);
	CHECK(o.duration_s == 30);
	CHECK(strcmp(o.output_path, "-") == 0);
	CHECK_EQ(o.weight, HS_WEIGHT_INUSE_COUNT);
	CHECK(o.quiet && o.verbose);

	CHECK_EQ(PARSE(&o, "--pid=7", "--ringbuf-size", "64K", "--max-frames", "1", "--max-live",
		       "2M", "--max-stacks", "1000", "--probe-only"), 0);
	CHECK_EQ(o.ringbuf_bytes, 64 << 10);
	CHECK_EQ(o.max_frames, 1);
	CHECK_EQ(o.max_live, 2 << 20);
	CHECK_EQ(o.max_stacks, 1000);
	CHECK(o.probe_only && !o.probe_only_record);
	CHECK_EQ(PARSE(&o, "-p", "1", "--probe-only=record"), 0);
	CHECK(o.probe_only && o.probe_only_record);

	CHECK_EQ(PARSE(&o, "-p", "1", "-w", "inuse-bytes"), 0);
	CHECK_EQ(o.weight, HS_WEIGHT_INUSE_BYTES);
	CHECK_EQ(PARSE(&o, "-p", "1", "-w", "alloc-bytes"), 0);
	CHECK_EQ(o.weight, HS_WEIGHT_ALLOC_BYTES);
	CHECK_EQ(PARSE(&o, "-p", "1", "--ringbuf-size", "1G", "--max-frames", "127"), 0);
	CHECK_EQ(o.ringbuf_bytes, 1 << 30);
	CHECK_EQ(o.max_frames, HS_MAX_FRAMES);
	CHECK_EQ(PARSE(&o, "-p", "1", "--ringbuf-size", "4096", "--max-stacks", "4294967295"), 0);
	CHECK_EQ(o.ringbuf_bytes, 4096);
	CHECK_EQ(o.max_stacks, 4294967295u);
	CHECK(o.max_overhead_pct == 0); /* no guard unless asked */
	CHECK_EQ(PARSE(&o, "-p", "1", "--max-overhead", "12.5"), 0);
	CHECK(o.max_overhead_pct == 12.5);
	CHECK_EQ(PARSE(&o, "-p", "1", "--max-overhead", "100"), 0);
	CHECK(o.max_overhead_pct == 100);

	/* -h needs nothing else. */
	CHECK_EQ(PARSE(&o, "-h"), 0);
	CHECK(o.help);
	CHECK_EQ(PARSE(&o, "--help"), 0);
	CHECK(o.help);
}

/* A bad command line: -EINVAL and a reason that quotes what was wrong. */
static void check_rejected(const char *const *args, const char *quoted, int line)
{
	struct hs_options o;
	int err = parse_args(&o, args);

	if (err != -EINVAL || !strstr(error, quoted)) {
		check_failures++;
		fprintf(stderr, "  test_options.c:%d: got %d '%s', expected -EINVAL quoting '%s'\n",
			line, err, error, quoted);
	}
	checks_run++;
}

#define REJECTED(quoted, ...) \
	check_rejected((const char *const[]){ __VA_ARGS__, NULL }, quoted, __LINE__)

static void test_bad_values(void)
{
	REJECTED("0", "-p", "0");
	REJECTED("'ring'", "-p", "1", "--probe-only=ring");
	REJECTED("-1", "-p", "-1");
	REJECTED("abc", "-p", "abc");
	REJECTED("12x", "-p", "12x");
	REJECTED("1K", "-p", "1K");
	REJECTED("+5", "-p", "+5");
	REJECTED("99999999999", "-p", "99999999999");
	REJECTED("0", "-p", "1", "-d", "0");
	REJECTED("-3", "-p", "1", "-d", "-3");
	REJECTED("soon", "-p", "1", "-d", "soon");
	REJECTED("nan", "-p", "1", "-d", "nan");
	REJECTED("inf", "-p", "1", "-d", "inf");
	REJECTED("5s", "-p", "1", "-d", "5s");
	REJECTED("xml", "-p", "1", "-f", "xml");
	REJECTED("bytes", "-p", "1", "-w", "bytes");
	REJECTED("5000", "-p", "1", "--ringbuf-size", "5000");	/* not a power of two */
	REJECTED("2048", "-p", "1", "--ringbuf-size", "2048");	/* too small */
	REJECTED("2G", "-p", "1", "--ringbuf-size", "2G");	/* too big */
	REJECTED("0", "-p", "1", "--max-frames", "0");
	REJECTED("128", "-p", "1", "--max-frames", "128");
	REJECTED("0", "-p", "1", "--max-live", "0");
	REJECTED("-5", "-p", "1", "--max-live", "-5");
	REJECTED(" -5", "-p", "1", "--max-live", " -5");
	REJECTED("1T", "-p", "1", "--max-live", "1T");
	REJECTED("0", "-p", "1", "--max-stacks", "0");
	REJECTED("4G", "-p", "1", "--max-stacks", "4G");
	REJECTED("--max-overhead '0'", "-p", "1", "--max-overhead", "0");
	REJECTED("--max-overhead '-1'", "-p", "1", "--max-overhead", "-1");
	REJECTED("--max-overhead '101'", "-p", "1", "--max-overhead", "101");
	REJECTED("--max-overhead 'abc'", "-p", "1", "--max-overhead", "abc");
	REJECTED("--max-overhead 'nan'", "-p", "1", "--max-overhead", "nan");
	/* Values that overflow 64 bits once the suffix is applied are not taken
	 * modulo 2^64 (this one would wrap to 1024). */
	REJECTED("18014398509481985K", "-p", "1", "--max-live", "18014398509481985K");
	REJECTED("99999999999999999999", "-p", "1", "--max-live", "99999999999999999999");
}

static void test_bad_command_lines(void)
{
	REJECTED("-p", "-p");
	REJECTED("--max-live", "-p", "1", "--max-live");
	REJECTED("--frobnicate", "-p", "1", "--frobnicate");
	REJECTED("-x", "-p", "1", "-x");
	REJECTED("stray", "-p", "1", "stray");
	REJECTED("-p PID", "-d", "5");
	REJECTED("-p PID", "-v");
}

/* The format follows the output's extension unless -f says otherwise. */
static void test_format_from_extension(void)
{
	struct hs_options o;

	CHECK_EQ(hs_format_for_path("heap.folded"), HS_FORMAT_FOLDED);
	CHECK_EQ(hs_format_for_path("/tmp/dir.folded/heap"), HS_FORMAT_FOLDED);
	CHECK_EQ(hs_format_for_path("folded"), HS_FORMAT_FOLDED);
	CHECK_EQ(hs_format_for_path(""), HS_FORMAT_FOLDED);
	CHECK_EQ(PARSE(&o, "-p", "1", "-o", "x.folded"), 0);
	CHECK_EQ(o.format, HS_FORMAT_FOLDED);
	CHECK_EQ(PARSE(&o, "-p", "1", "-f", "folded", "-o", "x.unknown"), 0);
	CHECK_EQ(o.format, HS_FORMAT_FOLDED);
	for (int f = 0; f < HS_FORMAT_COUNT; f++) {
		char path[64];

		/* Each format's name is also its extension and its -f value. */
		snprintf(path, sizeof(path), "out.%s", hs_format_name(f));
		CHECK_EQ(PARSE(&o, "-p", "1", "-o", path), 0);
		CHECK_EQ(o.format, f);
		CHECK_EQ(PARSE(&o, "-p", "1", "-f", hs_format_name(f)), 0);
		CHECK_EQ(o.format, f);
	}
	CHECK(strcmp(hs_format_name(HS_FORMAT_COUNT), "?") == 0);
}

/* --help documents every option, so every limit is named there. */
static void test_usage_names_every_option(void)
{
	static const char *const documented[] = {
		"--pid",	  "--duration",	  "--output",	  "--format", "--weight",
		"--ringbuf-size", "--max-frames", "--max-live", "--max-stacks", "--quiet",
		"--verbose",	  "--help",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	hs_options_usage(out);
	fclose(out);
	for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		CHECK(strstr(text, documented[i]) != NULL);
	for (int w = 0; w < HS_WEIGHT_COUNT; w++)
		CHECK(strstr(text, hs_weight_name(w)) != NULL);
	for (int f = 0; f < HS_FORMAT_COUNT; f++)
		CHECK(strstr(text, hs_format_name(f)) != NULL);
	free(text);
}

/*
 * --help prints the defaults and ranges the parser applies (the same macros): each
 * figure here is the one test_defaults and test_bad_values pin.
 */
static void test_usage_states_the_defaults(void)
{
	static const char *const stated[] = {
		"event ring (default 16M; power of two;",
		"deepest stack kept, 1..127 (default 127;",
		"tracked at once (default 16M,",
		"distinct stacks kept (default 1M;",
		"(default 1, -d/20 when -d is under 20; min 0.1);",
		"Tables take 8 bytes a row",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct hs_options o;

	hs_options_usage(out);
	fclose(out);
	for (size_t i = 0; i < sizeof(stated) / sizeof(stated[0]); i++)
		CHECK(strstr(text, stated[i]) != NULL);
	free(text);

	CHECK_EQ(PARSE(&o, "-p", "1", "--ringbuf-size", "8K"), 0);
	CHECK_EQ(PARSE(&o, "-p", "1", "--ringbuf-size", "2K"), -EINVAL);
	CHECK(strcmp(error, "invalid --ringbuf-size '2K': a power of two from 4K to 1G") == 0);
}

int main(void)
{
	TEST(test_defaults);
	TEST(test_every_option);
	TEST(test_bad_values);
	TEST(test_bad_command_lines);
	TEST(test_format_from_extension);
	TEST(test_usage_names_every_option);
	TEST(test_usage_states_the_defaults);
	return check_summary();
}
