// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_inspect.c - `heapscope inspect`: the allocator's own state of running processes, read
 * from outside with no probes and no ptrace: glibc's free and trimmable bytes, how much of
 * the free memory is resident, the in-use heap by C++ type and size.  The first look at a
 * production process, before deciding whether a traced session is worth its cost.  With
 * --leak-check, each glibc process is also frozen briefly (ptrace) and its in-use chunks
 * marked: the blocks no pointer reaches, by size and type (no session: no stacks).
 *
 *   heapscope inspect -p PID[,PID...] [--exe PATH] [-f report|json] [-o FILE]
 *                     [--leak-check [--max-pause MS]]
 *
 * Owns: its command line, its stderr lines and exit code.  A leak check that cannot run
 * (another allocator, a traced target, a copy over --max-pause) is one stderr line and its
 * reason in the output; the rest is written and the exit code is 0, as in a session.
 * Does not own: the reading (inspect/), the check (reach/), the wording
 * (render/heap_state.c, render/leaks.c).
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
#include "reach/leak_check.h"
#include "render/heap_state.h"
#include "target/exe.h"

struct inspect_args {
	pid_t pids[HS_MAX_PIDS];
	size_t pid_count;
	const char *exe_path;
	const char *output_path;
	bool json;
	bool no_debug_file;
	bool leak_check;
	double max_pause_ms; /* --max-pause: the freeze's bound, as the session's */
	bool max_pause_given;
	bool help;
};

static void usage(FILE *out)
{
	fprintf(out,
	      "usage: heapscope inspect -p PID[,PID...] [--exe PATH] [-f report|json] [-o FILE]\n"
	      "                         [--leak-check [--max-pause MS]]\n"
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
	      "  --leak-check      also stop each glibc process for a moment (ptrace), copy its\n"
	      "                    writable memory and let it go; then find the in-use blocks\n"
	      "                    no pointer reaches: leaked for certain (LEAKS in the report,\n"
	      "                    leak_check in JSON), by size and C++ type; no stacks (a\n"
	      "                    traced session with --leak-check has them)\n"
	      "  --max-pause MS    the longest a process may stay stopped (default %.0f): a\n"
	      "                    copy that would take longer is not done, and says why\n"
	      "\n"
	      "examples: sudo heapscope inspect -p 4242\n"
	      "          sudo heapscope inspect -p 4242 --leak-check -f json\n",
	      HS_DEFAULT_MAX_PAUSE_MS);
}

static int parse_args(int argc, char **argv, struct inspect_args *args, char *error, size_t len)
{
	static const struct option longopts[] = {
		{ "exe", required_argument, NULL, 'e' },
		{ "no-debug-file", no_argument, NULL, 'n' },
		{ "leak-check", no_argument, NULL, 'l' },
		{ "max-pause", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = NULL;
	int c;

	memset(args, 0, sizeof(*args));
	args->max_pause_ms = HS_DEFAULT_MAX_PAUSE_MS;
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
		case 'l':
			args->leak_check = true;
			break;
		case 'm':
			if (hs_parse_max_pause(optarg, &args->max_pause_ms, error, len))
				return -EINVAL;
			args->max_pause_given = true;
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
	if (args->max_pause_given && !args->leak_check) {
		snprintf(error, len, "--max-pause bounds --leak-check's freeze: add --leak-check");
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

/*
 * --leak-check of one inspected process: frozen only when its heap was walked (the nodes are
 * the walk's chunks: without it there is nothing to mark).  A check that cannot run says why
 * in one line and in res; inspect's own results stand.
 */
static void leak_check(struct hs_objects *objects, const struct hs_inspection *insp,
		       const struct inspect_args *args, struct hs_leak_result *res)
{
	/* --no-debug-file holds for the check's own look for glibc's state too */
	struct hs_leak_config config = { .pid = insp->pid, .objects = objects,
					 .max_pause_ms = args->max_pause_ms,
					 .no_debug_file = args->no_debug_file };
	struct hs_leak_snapshot snap;

	if (!insp->heap_read) {
		memset(res, 0, sizeof(*res));
		res->pid = insp->pid;
		res->error = -ENOTSUP;
		snprintf(res->reason, sizeof(res->reason), "without a session it marks the chunks of "
			 "glibc's heap walk, and %s; a traced session checks it (heapscope -p %d "
			 "--leak-check)", insp->reason, insp->pid);
		hs_fail("no leak check of PID %d: %s", insp->pid, res->reason);
		return;
	}
	if (hs_leak_check_inspect(&config, res, &snap))
		hs_fail("no leak check of PID %d: %s; the target runs on", insp->pid, res->reason);
	hs_leak_snapshot_free(&snap); /* the copy: as big as the target's writable memory */
}

int cmd_inspect(int argc, char **argv)
{
	struct hs_inspect_options opts = { .census = true };
	struct hs_objects objects;
	struct hs_inspection *insps;
	struct hs_leak_result *leaks = NULL;
	struct inspect_args args;
	struct hs_output out;
	char error[256];
	size_t done = 0;
	bool failed = false;
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
	if (!err && args.leak_check && done) {
		leaks = calloc(done, sizeof(*leaks));
		if (!leaks) { /* inspect's own results are still written */
			hs_fail("no leak check: %s", strerror(ENOMEM));
			failed = true;
		}
	}
	for (size_t i = 0; leaks && i < done; i++) /* one process stopped at a time */
		leak_check(&objects, &insps[i], &args, &leaks[i]);
	if (!err)
		err = hs_output_open(&out, args.output_path);
	if (!err) {
		err = args.json ? hs_render_inspect_json(out.file, insps, leaks, done) :
				  hs_render_inspect_report(out.file, insps, leaks, done);
		err = err ? (hs_output_abort(&out), err) : hs_output_commit(&out);
		if (err)
			hs_fail_write(args.output_path, err);
	}
	for (size_t i = 0; i < done; i++) {
		hs_inspection_free(&insps[i]);
		if (leaks)
			hs_leak_result_free(&leaks[i]);
	}
	free(leaks);
	hs_objects_free(&objects);
	free(insps);
	return err || failed ? 1 : 0;
}
