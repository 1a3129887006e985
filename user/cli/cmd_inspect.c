// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_inspect.c - `heapscope inspect`: the allocator's own state of running processes, read
 * from outside with no probes and no ptrace: glibc's free and trimmable bytes, how much of
 * the free memory is resident, the in-use heap by C++ type and size.  The first look at a
 * production process, before deciding whether a traced session is worth its cost.
 *
 *   heapscope inspect -p PID[,PID...] [--exe PATH] [-f report|json] [-o FILE]
 *
 * Owns: its command line, its stderr lines and exit code.
 * Does not own: the reading (inspect/), the wording (render/heap_state.c).
 */
#include "cli/commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/errors.h"
#include "cli/options.h"
#include "inspect/inspect.h"
#include "lib/output.h"
#include "render/heap_state.h"
#include "target/exe.h"

struct inspect_args {
	pid_t pids[HS_MAX_PIDS];
	size_t pid_count;
	const char *exe_path;
	const char *output_path;
	bool json;
	bool no_debug_file;
	bool help;
};

static void usage(FILE *out)
{
	fputs("usage: heapscope inspect -p PID[,PID...] [--exe PATH] [-f report|json] [-o FILE]\n"
	      "\n"
	      "The allocator's own state, read from outside: no probes, no ptrace, no stop.\n"
	      "glibc: free bytes in its arenas (top, fastbins, bins, tcache), how much of it is\n"
	      "resident, what malloc_trim(0) would return, and the in-use heap by C++ type and\n"
	      "size. Other allocators are named, not read.\n"
	      "\n"
	      "  -p PID[,PID...]   processes to inspect (repeatable)\n"
	      "  --exe PATH        every running process of this executable\n"
	      "  -f FORMAT         report (default) or json; -o FILE.json chooses json\n"
	      "  -o PATH           write here (default stdout)\n"
	      "  --no-debug-file   find glibc's state from its code alone, as on a host without\n"
	      "                    libc's debug file\n"
	      "\n"
	      "example: sudo heapscope inspect -p 4242\n", out);
}

static int parse_args(int argc, char **argv, struct inspect_args *args, char *error, size_t len)
{
	static const struct option longopts[] = {
		{ "exe", required_argument, NULL, 'e' },
		{ "no-debug-file", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = NULL;
	int c;

	memset(args, 0, sizeof(*args));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (hs_parse_pid_list(optarg, args->pids, &args->pid_count, HS_MAX_PIDS)) {
				snprintf(error, len, "bad PID list '%s'", optarg);
				return -EINVAL;
			}
			break;
		case 'e':
			args->exe_path = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			args->output_path = optarg;
			break;
		case 'n':
			args->no_debug_file = true;
			break;
		case 'h':
			args->help = true;
			return 0;
		case ':':
			snprintf(error, len, "option %s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(error, len, "unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(error, len, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (format && strcmp(format, "json") != 0 && strcmp(format, "report") != 0) {
		snprintf(error, len, "inspect writes report or json, not '%s'", format);
		return -EINVAL;
	}
	args->json = format ? strcmp(format, "json") == 0 :
		     args->output_path && strlen(args->output_path) > 5 &&
			     strcmp(args->output_path + strlen(args->output_path) - 5, ".json") == 0;
	if (!args->pid_count && !args->exe_path) {
		snprintf(error, len, "say which processes: -p PID or --exe PATH");
		return -EINVAL;
	}
	return 0;
}

/* -p's PIDs, then --exe's processes not named already. */
static int collect_pids(struct inspect_args *args)
{
	struct hs_exe_identity exe;
	pid_t *found = NULL;
	size_t count = 0;
	int err;

	if (!args->exe_path)
		return 0;
	err = hs_exe_identity(args->exe_path, &exe);
	if (!err)
		err = hs_exe_processes(&exe, &found, &count);
	if (err) {
		hs_fail("cannot use --exe %s: %s", args->exe_path, hs_reason(err));
		return err;
	}
	for (size_t i = 0; i < count && args->pid_count < HS_MAX_PIDS; i++) {
		bool named = false;

		for (size_t j = 0; j < args->pid_count; j++)
			named |= args->pids[j] == found[i];
		if (!named)
			args->pids[args->pid_count++] = found[i];
	}
	free(found);
	if (!args->pid_count) {
		hs_fail("no process runs %s", args->exe_path);
		return -ESRCH;
	}
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	struct hs_inspect_options opts = { .census = true };
	struct hs_objects objects;
	struct hs_inspection *insps;
	struct inspect_args args;
	struct hs_output out;
	char error[256];
	size_t done = 0;
	int err;

	if (parse_args(argc, argv, &args, error, sizeof(error)))
		return hs_fail_usage("inspect", error);
	if (args.help) {
		usage(stdout);
		return 0;
	}
	opts.no_debug_file = args.no_debug_file;
	err = hs_output_check(args.output_path);
	if (err) {
		hs_fail_write(args.output_path, err);
		return 1;
	}
	if (collect_pids(&args))
		return 1;
	insps = calloc(args.pid_count, sizeof(*insps));
	if (!insps) {
		hs_fail("inspect: %s", strerror(ENOMEM));
		return 1;
	}
	hs_objects_init(&objects); /* each file read once, whichever process maps it */
	for (size_t i = 0; i < args.pid_count; i++) {
		err = hs_proc_check_target(args.pids[i]);
		if (!err)
			err = hs_inspect_process(&objects, args.pids[i], &opts, &insps[done]);
		if (err == 0) {
			done++;
		} else if (i < args.pid_count && !args.exe_path) {
			hs_fail("cannot inspect PID %d: %s", args.pids[i], hs_reason(err));
			break;
		}
	}
	if (err && !args.exe_path)
		done = 0; /* a named process could not be read: say so, write nothing */
	else
		err = 0;
	for (size_t i = 0; !err && i < done; i++)
		if (!insps[i].heap_read)
			fprintf(stderr, "heapscope: PID %d: %s\n", insps[i].pid, insps[i].reason);
	if (!err)
		err = hs_output_open(&out, args.output_path);
	if (!err) {
		err = args.json ? hs_render_inspect_json(out.file, insps, done) :
				  hs_render_inspect_report(out.file, insps, done);
		err = err ? (hs_output_abort(&out), err) : hs_output_commit(&out);
		if (err)
			hs_fail_write(args.output_path, err);
	}
	for (size_t i = 0; i < done; i++)
		hs_inspection_free(&insps[i]);
	hs_objects_free(&objects);
	free(insps);
	return err ? 1 : 0;
}
