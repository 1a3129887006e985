// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * options.c - the command line: parse into struct hs_options, check ranges,
 * and the --help text.  Nothing here touches the target or the kernel.
 *
 * Owns: the options' defaults and ranges (DEFAULT_*, MIN_*, MAX_* below), which
 * the parser applies and --help prints, so the two cannot disagree.  Does not
 * own: the limits of the stages (frames, targets, timeline, ret sites, SVG):
 * their headers are included to print them, named in --help as the style asks.
 */
#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/timeline.h" /* --help: the timeline's points and stacks */
#include "events.h"		/* HS_MAX_FRAMES: --max-frames' range, the BPF stack's size */
#include "probe/ret_sites.h"	/* --help: how far a throwing operator new is followed */
#include "render/svg.h"		/* --help: the flame graph's narrowest and deepest frame */
#include "cli/targets.h"	/* --help: processes per session, the --follow scan */

#define DEFAULT_RINGBUF_BYTES (16u << 20)
#define MIN_RINGBUF_BYTES (4u << 10)
#define MAX_RINGBUF_BYTES (1u << 30)
#define DEFAULT_MAX_FRAMES HS_MAX_FRAMES /* all the BPF program can keep */
#define DEFAULT_MAX_LIVE (16u << 20)
#define DEFAULT_MAX_STACKS (1u << 20)
#define DEFAULT_INTERVAL_S 1.0
#define MIN_INTERVAL_S 0.1
#define DEFAULT_POINTS 20 /* a short -d is sampled finer, to have this many points */

/* A size as the parser reads it and --help writes it: "16M", "4K", "1G"; by value, so
 * several fit in one printf. */
struct size_text {
	char text[24];
};

static struct size_text size_text(size_t bytes)
{
	static const char suffixes[] = "KMG";
	struct size_text out;
	int unit = 3;

	while (unit > 0 && (!bytes || bytes % ((size_t)1 << (10 * unit))))
		unit--;
	if (unit)
		snprintf(out.text, sizeof(out.text), "%zu%c", bytes >> (10 * unit),
			 suffixes[unit - 1]);
	else
		snprintf(out.text, sizeof(out.text), "%zu", bytes);
	return out;
}

#define SIZE_TEXT(bytes) (size_text(bytes).text)

static const char *const format_names[HS_FORMAT_COUNT] = {
	[HS_FORMAT_FOLDED] = "folded",
	[HS_FORMAT_SVG] = "svg",
	[HS_FORMAT_PPROF] = "pprof",
	[HS_FORMAT_REPORT] = "report",
	[HS_FORMAT_JSON] = "json",
	[HS_FORMAT_HTML] = "html",
};

const char *hs_format_name(enum hs_format format)
{
	return format < HS_FORMAT_COUNT ? format_names[format] : "?";
}

static int parse_format(const char *text, enum hs_format *format)
{
	for (int i = 0; i < HS_FORMAT_COUNT; i++) {
		if (strcmp(text, format_names[i]) == 0) {
			*format = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* -o heap.svg means SVG unless -f says otherwise. */
enum hs_format hs_format_for_path(const char *path)
{
	static const struct {
		const char *suffix;
		enum hs_format format;
	} by_suffix[] = {
		{ ".folded", HS_FORMAT_FOLDED },
		{ ".svg", HS_FORMAT_SVG },
		{ ".pb.gz", HS_FORMAT_PPROF },
		{ ".pprof", HS_FORMAT_PPROF },
		{ ".txt", HS_FORMAT_REPORT },
		{ ".report", HS_FORMAT_REPORT },
		{ ".json", HS_FORMAT_JSON },
		{ ".html", HS_FORMAT_HTML },
	};
	size_t len = strlen(path);

	for (size_t i = 0; i < sizeof(by_suffix) / sizeof(by_suffix[0]); i++) {
		size_t suffix_len = strlen(by_suffix[i].suffix);

		if (len >= suffix_len && strcmp(path + len - suffix_len, by_suffix[i].suffix) == 0)
			return by_suffix[i].format;
	}
	return HS_FORMAT_FOLDED;
}

void hs_options_usage(FILE *out)
{
	fprintf(out,
		"Usage: heapscope -p PID[,PID...] [options]\n"
		"   or: heapscope --exe PATH [--follow] [options]\n"
		"   or: heapscope diff OLD.folded NEW.folded [-o PATH] [-f folded|svg]\n"
		"   or: heapscope --version\n"
		"Profile the live heap of a running process by call stack, from outside it.\n"
		"\n"
		"  -p, --pid PID[,PID...]   processes to attach to (-p may be repeated; at most\n"
		"                           %d PIDs); one session, one output; with several,\n"
		"                           each stack gets a root frame 'COMM [PID]'\n"
		"      --exe PATH           every running process whose executable is PATH\n"
		"                           (same file: device and inode, so through symlinks\n"
		"                           and in containers); with -p, both\n"
		"      --follow             with --exe: also attach to processes of PATH that\n"
		"                           start during the session (found by scanning /proc\n"
		"                           every %d ms; what they allocate before attach is\n"
		"                           missed); at most %d processes per session, more\n"
		"                           are counted\n"
		"      --merge              one profile across processes: no root frame, same\n"
		"                           stacks of different processes added together\n"
		"  -d, --duration SECONDS   stop after this long (default: Ctrl-C or target exit)\n"
		"  -o, --output PATH        write the result here, atomically (default: stdout);\n"
		"                           the format follows the extension unless -f is given\n"
		"  -f, --format FORMAT      folded (default), svg (flame graph; frames narrower\n"
		"                           than %.1f px are not drawn, and counted), pprof\n"
		"                           (gzip'd profile.proto), report (text: verdict,\n"
		"                           growth, ages), json (the report for scripts),\n"
		"                           html (one self-contained page: verdict, timeline\n"
		"                           chart, flame graphs, top stacks); -o .svg, .pb.gz,\n"
		"                           .pprof, .folded, .txt, .report, .json, .html\n"
		"                           choose it too\n"
		"  -w, --weight WEIGHT      inuse-bytes (default), inuse-count, alloc-bytes,\n"
		"                           alloc-count; with --leak-check, leaked-bytes,\n"
		"                           leaked-count (unreachable at the end)\n"
		"  -i, --interval SECONDS   sample heap, stacks and /proc memory this often\n"
		"                           (default %g, -d/%d when -d is under %g; min %.1f);\n"
		"                           keeps %d points, and as many per process (then every\n"
		"                           other one is dropped and the interval doubles), and\n"
		"                           the series of the %d stacks with the highest peaks\n"
		"      --min-age SECONDS    show only live blocks allocated at least this long\n"
		"                           before the end, in every format\n"
		"      --ringbuf-size BYTES\n"
		"                           kernel->user event ring (default %s; power of two;\n"
		"                           a full ring drops events, which are counted)\n"
		"      --max-frames N       deepest stack kept, 1..%d (default %d; deeper ones\n"
		"                           are truncated and counted)\n"
		"      --max-live N         live allocations tracked at once (default %s,\n"
		"                           32 to 48 bytes each; more are counted as untracked)\n"
		"      --max-stacks N       distinct stacks kept (default %s; more are counted)\n"
		"      --unwind MODE        auto (default): walk stacks with tables built from\n"
		"                           each object's CFI (.eh_frame/.debug_frame), frame\n"
		"                           pointers where there is none; dwarf: the same, but\n"
		"                           a table that cannot be built is an error; fp: frame\n"
		"                           pointers only.  Tables take %zu bytes a row in kernel\n"
		"                           memory (libc ~23K rows) plus %uK spare rows for\n"
		"                           objects loaded later; objects that do not fit, and\n"
		"                           mappings beyond %u a process, use frame pointers\n"
		"      --leak-check         at the end, stop the target for a moment (ptrace),\n"
		"                           copy its writable memory and let it go; then find\n"
		"                           the blocks no pointer reaches: leaked for certain\n"
		"                           (LEAKS in the report, leak_check in JSON, -w\n"
		"                           leaked-bytes/leaked-count); one process only\n"
		"      --max-pause MS       the longest the target may stay stopped (default\n"
		"                           %.0f): a copy that would take longer is not done\n"
		"      --max-overhead PCT   stop the session (detach, write what was collected)\n"
		"                           when the probes took more than PCT%% (0 < PCT <= 100)\n"
		"                           of the targets' CPU time over the last second; the\n"
		"                           meter's share for the session is overhead_pct in\n"
		"                           every summary (its calibration: -v)\n"
		"  -q, --quiet              no progress line on stderr\n"
		"  -v, --verbose            say what is probed where, and libbpf's messages.\n"
		"                           An allocator's own throwing operator new gets probes\n"
		"                           on the ret instructions it returns by (so a\n"
		"                           std::bad_alloc can unwind through it), found by\n"
		"                           following its tail jumps: at most %d rets, %d jumps\n"
		"                           deep, %d functions, %d KiB of code; past that, or on\n"
		"                           code it cannot follow, it keeps a return probe (a\n"
		"                           std::bad_alloc thrown through it ends the process)\n"
		"                           and -v says why\n"
		"  -h, --help               this text\n"
		"  -V, --version            heapscope's version, the libbpf it runs with and the\n"
		"                           kernel features it finds (BTF, uprobe_multi, task\n"
		"                           storage)\n"
		"\n"
		"Examples:\n"
		"  sudo heapscope -p 4242 -d 30 -o heap.folded   # 30 s of PID 4242's live heap\n"
		"  sudo heapscope -p 4242 > heap.folded          # until Ctrl-C or the target exits\n"
		"  sudo heapscope -p 4242 -w alloc-bytes -d 10   # who allocates most, freed or not\n"
		"  sudo heapscope -p 4242 -d 30 -o heap.svg      # as a flame graph (heap.pb.gz: pprof)\n"
		"  sudo heapscope -p 4242 -d 60 -f report        # leak, retention or cache?\n"
		"  sudo heapscope -p 4242 -d 60 --leak-check -f report  # and which blocks leaked\n"
		"  sudo heapscope --exe /usr/sbin/nginx --follow -d 60  # every worker, new ones too\n",
		HS_MAX_PIDS, HS_FOLLOW_SCAN_MS, HS_MAX_TARGETS, HS_SVG_MIN_FRAME_WIDTH_PX,
		DEFAULT_INTERVAL_S, DEFAULT_POINTS, DEFAULT_POINTS * DEFAULT_INTERVAL_S,
		MIN_INTERVAL_S, HS_TIMELINE_MAX_POINTS, HS_TIMELINE_MAX_STACKS,
		SIZE_TEXT(DEFAULT_RINGBUF_BYTES), HS_MAX_FRAMES, DEFAULT_MAX_FRAMES,
		SIZE_TEXT(DEFAULT_MAX_LIVE), SIZE_TEXT(DEFAULT_MAX_STACKS),
		sizeof(struct hs_unwind_row), HS_UNWIND_SPARE_ROWS >> 10, HS_UNWIND_MAX_MAPPINGS,
		HS_DEFAULT_MAX_PAUSE_MS,
		HS_RET_SITES_MAX, HS_RET_SITES_MAX_DEPTH, HS_RET_SITES_MAX_PIECES,
		HS_RET_SITES_MAX_BYTES >> 10);
}

/* A count or size with an optional K/M/G suffix (powers of 1024); digits first,
 * so strtoull's sign and white space are not taken, nor a value that overflows. */
static int parse_size(const char *text, size_t *value)
{
	char *end;
	unsigned long long number;
	int shift = 0;

	errno = 0;
	number = strtoull(text, &end, 10);
	if (errno || end == text || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || number > (SIZE_MAX >> shift))
		return -EINVAL;
	*value = number << shift;
	return 0;
}

static int parse_seconds(const char *text, double *seconds)
{
	char *end;

	errno = 0;
	*seconds = strtod(text, &end);
	return errno || end == text || *end || !(*seconds > 0) || *seconds > 1e7 ? -EINVAL : 0;
}

/* --max-pause MS, for the session and for inspect: the same bound, the same message. */
int hs_parse_max_pause(const char *text, double *max_pause_ms, char *error, size_t error_len)
{
	if (parse_seconds(text, max_pause_ms) || *max_pause_ms < 1) {
		snprintf(error, error_len, "invalid --max-pause '%s': expected milliseconds >= 1",
			 text);
		return -EINVAL;
	}
	return 0;
}

static int parse_pid(const char *text, pid_t *pid)
{
	size_t value;

	if (parse_size(text, &value) || value == 0 || value > 0x3fffffff ||
	    strspn(text, "0123456789") != strlen(text))
		return -EINVAL;
	*pid = (pid_t)value;
	return 0;
}

/* "PID[,PID...]": appended to pids[*count], at most max in all. */
int hs_parse_pid_list(const char *text, pid_t *pids, size_t *count, size_t max)
{
	char item[32];

	for (const char *p = text;; p++) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(item) || *count == max)
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_pid(item, &pids[*count]))
			return -EINVAL;
		(*count)++;
		p += len;
		if (!*p)
			return 0;
	}
}

/* 1 s, or finer when -d is short, so that even a short session has a series. */
static double default_interval(double duration_s)
{
	double interval = duration_s && duration_s < DEFAULT_POINTS * DEFAULT_INTERVAL_S ?
				  duration_s / DEFAULT_POINTS : DEFAULT_INTERVAL_S;

	return interval < MIN_INTERVAL_S ? MIN_INTERVAL_S : interval;
}

static bool is_power_of_two(size_t n)
{
	return n && !(n & (n - 1));
}

enum { OPT_RINGBUF = 256, OPT_MAX_FRAMES, OPT_MAX_LIVE, OPT_MAX_STACKS, OPT_PROBE_ONLY,
       OPT_MIN_AGE, OPT_UNWIND, OPT_EXE, OPT_FOLLOW, OPT_MERGE, OPT_LEAK_CHECK, OPT_MAX_PAUSE,
       OPT_MAX_OVERHEAD };

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "weight", required_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 'i' },
	{ "min-age", required_argument, NULL, OPT_MIN_AGE },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
	{ "max-live", required_argument, NULL, OPT_MAX_LIVE },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "merge", no_argument, NULL, OPT_MERGE },
	/* benchmark floor, undocumented; =record: and one ring record per program run */
	{ "probe-only", optional_argument, NULL, OPT_PROBE_ONLY },
	{ "leak-check", no_argument, NULL, OPT_LEAK_CHECK },
	{ "max-pause", required_argument, NULL, OPT_MAX_PAUSE },
	{ "max-overhead", required_argument, NULL, OPT_MAX_OVERHEAD },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

#define FAIL(...)                                      \
	do {                                           \
		snprintf(error, error_len, __VA_ARGS__); \
		return -EINVAL;                        \
	} while (0)

/* Why getopt_long stopped at argv[optind - 1]: c is ':' (no value) or '?'. */
static int bad_option(int c, char **argv, char *error, size_t error_len)
{
	if (c == ':')
		FAIL("option '%s' needs a value", argv[optind - 1]);
	FAIL("unknown option '%s'", argv[optind - 1]);
}

/* Returns 0, or -EINVAL with a one-line reason in error. */
int hs_options_parse(int argc, char **argv, struct hs_options *opts, char *error, size_t error_len)
{
	bool format_given = false;
	size_t number;
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->ringbuf_bytes = DEFAULT_RINGBUF_BYTES;
	opts->max_frames = DEFAULT_MAX_FRAMES;
	opts->max_live = DEFAULT_MAX_LIVE;
	opts->max_stacks = DEFAULT_MAX_STACKS;
	opts->weight = HS_WEIGHT_INUSE_BYTES;
	opts->max_pause_ms = HS_DEFAULT_MAX_PAUSE_MS;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:d:o:f:w:i:qvhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (hs_parse_pid_list(optarg, opts->pids, &opts->pid_count, HS_MAX_PIDS))
				FAIL("invalid PID '%s': expected PID[,PID...], at most %d PIDs",
				     optarg, HS_MAX_PIDS);
			opts->pid = opts->pids[0];
			break;
		case OPT_EXE:
			opts->exe_path = optarg;
			break;
		case OPT_FOLLOW:
			opts->follow = true;
			break;
		case OPT_MERGE:
			opts->merge = true;
			break;
		case 'd':
			if (parse_seconds(optarg, &opts->duration_s))
				FAIL("invalid duration '%s': expected seconds > 0", optarg);
			break;
		case 'o':
			opts->output_path = optarg;
			break;
		case 'f':
			if (parse_format(optarg, &opts->format))
				FAIL("unknown format '%s'", optarg);
			format_given = true;
			break;
		case 'w':
			if (hs_weight_parse(optarg, &opts->weight))
				FAIL("unknown weight '%s': expected inuse-bytes, inuse-count, "
				     "alloc-bytes, alloc-count, leaked-bytes or leaked-count", optarg);
			break;
		case 'i':
			if (parse_seconds(optarg, &opts->interval_s) ||
			    opts->interval_s < MIN_INTERVAL_S)
				FAIL("invalid interval '%s': expected seconds >= %.1f", optarg,
				     MIN_INTERVAL_S);
			break;
		case OPT_LEAK_CHECK:
			opts->leak_check = true;
			break;
		case OPT_MAX_PAUSE:
			if (hs_parse_max_pause(optarg, &opts->max_pause_ms, error, error_len))
				return -EINVAL;
			break;
		case OPT_MAX_OVERHEAD:
			if (parse_seconds(optarg, &opts->max_overhead_pct) ||
			    opts->max_overhead_pct > 100)
				FAIL("invalid --max-overhead '%s': expected a percentage above 0, "
				     "at most 100", optarg);
			break;
		case OPT_MIN_AGE:
			if (parse_seconds(optarg, &opts->min_age_s))
				FAIL("invalid --min-age '%s': expected seconds > 0", optarg);
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &number) || !is_power_of_two(number) ||
			    number < MIN_RINGBUF_BYTES || number > MAX_RINGBUF_BYTES)
				FAIL("invalid --ringbuf-size '%s': a power of two from %s to %s",
				     optarg, SIZE_TEXT(MIN_RINGBUF_BYTES),
				     SIZE_TEXT(MAX_RINGBUF_BYTES));
			opts->ringbuf_bytes = number;
			break;
		case OPT_MAX_FRAMES:
			if (parse_size(optarg, &number) || number < 1 || number > HS_MAX_FRAMES)
				FAIL("invalid --max-frames '%s': 1 to %d", optarg, HS_MAX_FRAMES);
			opts->max_frames = number;
			break;
		case OPT_MAX_LIVE:
			if (parse_size(optarg, &number) || number < 1)
				FAIL("invalid --max-live '%s'", optarg);
			opts->max_live = number;
			break;
		case OPT_MAX_STACKS:
			if (parse_size(optarg, &number) || number < 1 || number > UINT32_MAX)
				FAIL("invalid --max-stacks '%s'", optarg);
			opts->max_stacks = number;
			break;
		case OPT_UNWIND:
			if (hs_unwind_mode_parse(optarg, &opts->unwind))
				FAIL("unknown --unwind '%s': expected auto, dwarf or fp", optarg);
			break;
		case OPT_PROBE_ONLY:
			opts->probe_only = true;
			if (optarg && strcmp(optarg, "record") == 0)
				opts->probe_only_record = true;
			else if (optarg)
				FAIL("unknown --probe-only '%s': expected no value or record", optarg);
			break;
		case 'q':
			opts->quiet = true;
			break;
		case 'v':
			opts->verbose = true;
			break;
		case 'h':
			opts->help = true;
			return 0;
		case 'V':
			opts->version = true;
			return 0;
		default:
			return bad_option(c, argv, error, error_len);
		}
	}
	if (optind < argc)
		FAIL("unexpected argument '%s'", argv[optind]);
	if (!format_given && opts->output_path)
		opts->format = hs_format_for_path(opts->output_path);
	if (!opts->pid_count && !opts->exe_path)
		FAIL("no target: use -p PID or --exe PATH");
	if (opts->follow && !opts->exe_path)
		FAIL("--follow needs --exe PATH (the executable whose new processes to attach to)");
	if (!opts->leak_check && opts->weight >= HS_WEIGHT_BASIC_COUNT)
		FAIL("-w %s needs --leak-check", hs_weight_name(opts->weight));
	if (!opts->interval_s)
		opts->interval_s = default_interval(opts->duration_s);
	return 0;
}

void hs_diff_usage(FILE *out)
{
	fprintf(out,
		"Usage: heapscope diff OLD.folded NEW.folded [-o PATH] [-f folded|svg|html]\n"
		"What changed between two folded profiles (NEW minus OLD, stack by stack).\n"
		"\n"
		"  -o, --output PATH        write here, atomically (default: stdout); the format\n"
		"                           follows the extension unless -f is given\n"
		"  -f, --format FORMAT      folded (default): \"stack OLD NEW\" per line, most grown\n"
		"                           first (flamegraph.pl draws it); svg: differential flame\n"
		"                           graph, red grew, blue shrank, width max(old, new);\n"
		"                           frames narrower than %.1f px or deeper than %d are not\n"
		"                           drawn (counted in the graph); html: that graph in a\n"
		"                           page with both totals\n"
		"  -h, --help               this text\n"
		"\n"
		"Example:\n"
		"  heapscope diff before.folded after.folded -o growth.svg\n",
		HS_SVG_MIN_FRAME_WIDTH_PX, HS_SVG_MAX_DEPTH);
}

int hs_diff_options_parse(int argc, char **argv, struct hs_diff_options *opts, char *error,
			  size_t error_len)
{
	static const struct option diff_options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool format_given = false;
	int c;

	memset(opts, 0, sizeof(*opts));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:f:h", diff_options, NULL)) != -1) {
		switch (c) {
		case 'o':
			opts->output_path = optarg;
			break;
		case 'f':
			if (parse_format(optarg, &opts->format) ||
			    (opts->format != HS_FORMAT_FOLDED && opts->format != HS_FORMAT_SVG &&
			     opts->format != HS_FORMAT_HTML))
				FAIL("format '%s' is not folded, svg or html", optarg);
			format_given = true;
			break;
		case 'h':
			opts->help = true;
			return 0;
		default:
			return bad_option(c, argv, error, error_len);
		}
	}
	if (argc - optind != 2)
		FAIL("expected two folded files, OLD and NEW");
	opts->old_path = argv[optind];
	opts->new_path = argv[optind + 1];
	if (!format_given && opts->output_path)
		opts->format = hs_format_for_path(opts->output_path);
	if (opts->format != HS_FORMAT_FOLDED && opts->format != HS_FORMAT_SVG &&
	    opts->format != HS_FORMAT_HTML)
		FAIL("format '%s' (from %s) is not folded, svg or html", hs_format_name(opts->format),
		     opts->output_path);
	return 0;
}
