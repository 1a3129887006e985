// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * session.c - the default command, a profiling session: check what it needs,
 * start (targets planned, BPF loaded, probes attached), collect until the
 * duration ends, a signal arrives or no target is left, stop (detach, drain),
 * write the output.
 *
 * A session covers one process or several (-p A,B, --exe, --follow): one BPF
 * object, one ring buffer, probes attached per PID.  It goes on while one
 * target lives (or, with --follow, until the duration or a signal).
 *
 * Owns: the session's lifecycle and the SIGINT/SIGTERM flag.  Does not own: the
 * targets' planning and attaching (session_targets.c), reading the allocator's
 * state (session_heap.c), the summary and the -v listings (summary.c), error
 * wording (errors.c).
 *
 * Invariant: once a session has started, whatever ends it (duration,
 * SIGINT/SIGTERM, the target exiting) the output is written and we exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "cli/commands.h"
#include "cli/errors.h"
#include "cli/session_state.h"
#include "cli/version.h"
#include "lib/output.h"
#include "lib/units.h"
#include "render/render.h"
#include "target/proc.h"

#define POLL_TIMEOUT_MS 100

/* Set by SIGINT/SIGTERM: the handler has no context to write into. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static int check_session(struct session *s)
{
	int err = hs_output_check(s->opts->output_path);

	if (err) {
		hs_fail("cannot write %s: %s", s->opts->output_path, strerror(-err));
		return err;
	}
	if (s->opts->exe_path && (err = hs_exe_identity(s->opts->exe_path, &s->exe))) {
		hs_fail("cannot use --exe %s: %s", s->opts->exe_path,
			err == -EINVAL ? "not a regular file" : strerror(-err));
		return err;
	}
	err = hs_attach_check_kernel();
	if (err == -ENOTSUP)
		hs_fail("this kernel has no BTF (/sys/kernel/btf/vmlinux): heapscope's BPF "
			"programs need CONFIG_DEBUG_INFO_BTF");
	else if (err)
		hs_fail("this kernel has no uprobe support (CONFIG_UPROBE_EVENTS)");
	return err;
}

static int start(struct session *s)
{
	struct hs_options *opts = s->opts;
	struct hs_attach_config config = {
		.ringbuf_bytes = opts->ringbuf_bytes,
		.max_frames = opts->max_frames,
		.probe_only = opts->probe_only,
		.probe_only_record = opts->probe_only_record,
		.unwind_with_tables = opts->unwind != HS_UNWIND_FP,
	};
	struct hs_collect_limits limits = {
		.max_live = opts->max_live,
		.max_stacks = opts->max_stacks,
	};
	double attach_started = now_s();
	struct timespec wall;
	pid_t first;
	int err;

	err = hs_collector_init(&s->collector, &limits);
	if (err) {
		hs_fail("cannot start a session: %s", hs_reason(err));
		return err;
	}
	err = prepare_targets(s);
	if (err)
		return err;
	config.unwind_rows = hs_unwind_rows_wanted(&s->unwind);
	err = hs_attach_load(&s->attachment, &config);
	if (err) {
		hs_fail("cannot load BPF programs: %s", hs_reason(err));
		return err;
	}
	err = install_unwind_tables(s);
	if (err)
		return err;
	overhead_start(s); /* statistics on and a hit timed before any target's probe */
	err = hs_collector_open_ring(&s->collector, hs_attach_ringbuf_fd(&s->attachment));
	if (err) {
		hs_fail("cannot open the BPF ring buffer: %s", hs_reason(err));
		return err;
	}
	for (size_t i = 0; !err && i < s->targets.count; i++)
		err = attach_planned_target(s, s->targets.items[i]);
	if (err)
		return err;
	first = s->targets.count ? s->targets.items[0]->pid : 0;
	s->summary.pid = first;
	if (!first || hs_proc_comm(first, s->summary.comm, sizeof(s->summary.comm)))
		snprintf(s->summary.comm, sizeof(s->summary.comm), "?");
	s->started_s = now_s();
	s->last_scan_s = s->started_s;
	clock_gettime(CLOCK_REALTIME, &wall);
	s->summary.started_unix_ns = wall.tv_sec * 1000000000ull + wall.tv_nsec;
	s->summary.attach_ms = (s->started_s - attach_started) * 1e3;
	overhead_attached(s, s->started_s);
	err = hs_timeline_init(&s->timeline, opts->interval_s, s->started_s);
	for (size_t i = 0; !err && i < s->targets.count; i++)
		err = hs_timeline_add_process(&s->timeline, s->targets.items[i]->pid);
	if (!err)
		heap_read_start(s); /* its figures go to the first point */
	if (!err)
		err = hs_timeline_tick(&s->timeline, &s->collector, s->started_s);
	if (err) {
		hs_fail("cannot start a session: %s", hs_reason(err));
		return err;
	}
	if (opts->follow)
		fprintf(stderr, "heapscope: following new processes of %s\n", opts->exe_path);
	return 0;
}

/* Read what new stacks need for naming while the target is still there. */
static void prepare_new_stacks(struct session *s)
{
	const struct hs_stack_table *stacks = &s->collector.stacks;

	for (; s->prepared_stacks < stacks->count; s->prepared_stacks++) {
		const struct hs_stack *stack = &stacks->stacks[s->prepared_stacks];

		hs_symbolizer_prepare(&s->sym, stack->pid, hs_stack_frames(stacks, stack),
				      stack->frame_count);
	}
}

static void show_progress(struct session *s, double elapsed, uint64_t events_before,
			  double interval)
{
	char live[32], overhead[16];

	hs_human_bytes(s->collector.live_bytes, live, sizeof(live));
	overhead_progress(s, overhead, sizeof(overhead));
	fprintf(stderr, "\rheapscope: %5.0fs  %8.0f events/s  live %s  overhead %s       ",
		elapsed, (s->collector.events - events_before) / interval, live, overhead);
}

/* Collect until the duration ends, a signal arrives or the target exits. */
static void collect(struct session *s)
{
	bool progress = !s->opts->quiet && isatty(STDERR_FILENO);
	double last_progress = s->started_s, last_unwind_check = s->started_s;
	uint64_t events_at_progress = 0;

	while (!stop_signal) {
		double elapsed = now_s() - s->started_s;
		int got = hs_collector_poll(&s->collector, POLL_TIMEOUT_MS);

		if (got < 0) {
			hs_fail("reading events failed: %s", hs_reason(got));
			break;
		}
		prepare_new_stacks(s);
		heap_read_point(s, now_s());
		got = hs_timeline_tick(&s->timeline, &s->collector, now_s());
		if (got < 0) {
			hs_fail("sampling the timeline failed: %s", hs_reason(got));
			break;
		}
		if (s->opts->duration_s && elapsed >= s->opts->duration_s)
			break;
		if (check_exits(s))
			break;
		if (overhead_check(s, now_s()))
			break;
		follow_new_processes(s);
		if (now_s() - last_unwind_check >= 1.0) {
			follow_new_objects(s);
			last_unwind_check = now_s();
		}
		if (progress && now_s() - last_progress >= 1.0) {
			show_progress(s, elapsed, events_at_progress, now_s() - last_progress);
			last_progress = now_s();
			events_at_progress = s->collector.events;
		}
	}
	if (progress)
		fputs("\r\033[K", stderr);
}

/* Detach, then drain what is still in the ring, so nothing collected is lost. */
static void stop(struct session *s)
{
	struct hs_summary *sum = &s->summary;
	struct hs_collector *c = &s->collector;
	int err;

	overhead_calibration_end(s); /* its thread's CPU is not the freeze's to share */
	leak_check_freeze(s); /* the probes stop while the target is stopped: one instant */
	hs_attach_end_session(&s->attachment);
	s->ended_s = now_s();
	overhead_end(s, s->ended_s);
	hs_timeline_mark_end(&s->timeline, s->ended_s);
	sum->duration_s = s->ended_s - s->started_s;
	/* The probes' removal waits for the kernel (~150-200 ms): glibc's state is read meanwhile. */
	hs_attach_detach_start(&s->attachment);
	heap_read_end(s);
	hs_attach_detach(&s->attachment);
	while (hs_collector_poll(c, 0) > 0)
		;
	prepare_new_stacks(s);
	leak_check_analyse(s);
	err = hs_timeline_finish(&s->timeline, c);
	if (err)
		hs_fail("sampling the timeline failed: %s", hs_reason(err));
	summarize_session(s);
}

static int write_output(struct session *s)
{
	struct hs_output out;
	struct hs_analysis analysis;
	struct hs_profile_scope scope = {
		.processes = s->labels,
		.count = s->labels ? s->summary.process_count : 0,
		.merge = s->opts->merge,
		.keep_stack_samples = s->opts->format == HS_FORMAT_PPROF,
	};
	struct hs_analysis_config config = {
		.min_age_s = s->opts->min_age_s,
		.end_s = s->ended_s,
		.events = s->summary.events,
		.lost_events = s->summary.lost_events,
		.scope = &scope,
	};
	int err = hs_analysis_build(&analysis, &s->collector, &s->timeline, &s->sym, &config);

	if (!err && s->leaks.done) /* --leak-check: -w leaked-bytes, leaked-count */
		err = hs_leak_fill_profile(&analysis.profile, &s->leaks);
	if (err) {
		hs_fail("cannot build the profile: %s", hs_reason(err));
		hs_analysis_free(&analysis);
		return err;
	}
	err = hs_output_open(&out, s->opts->output_path);
	if (err) {
		hs_fail("cannot write %s: %s", s->opts->output_path, strerror(-err));
		hs_analysis_free(&analysis);
		return err;
	}
	struct hs_render_input input = {
		.profile = &analysis.profile,
		.summary = &s->summary,
		.weight = s->opts->weight,
		.analysis = &analysis,
		.sym = &s->sym,
		.leaks = s->leak_checked ? &s->leaks : NULL,
		.heap_readings = s->heap_readings,
		.heap_reading_count = s->heap_reading_count,
	};
	err = hs_render(out.file, s->opts->format, &input);
	if (!err)
		err = hs_output_commit(&out);
	else
		hs_output_abort(&out);
	if (err)
		hs_fail_write(s->opts->output_path, err);
	hs_analysis_free(&analysis);
	return err;
}

static void session_free(struct session *s)
{
	overhead_recalibration_stop(s); /* a session that failed after its start */
	hs_attach_free(&s->attachment);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	hs_overhead_free(&s->overhead);
	heap_readings_free(s);
	hs_timeline_free(&s->timeline);
	hs_unwind_free(&s->unwind);
	hs_collector_free(&s->collector);
	hs_symbolizer_free(&s->sym);
	hs_objects_free(&s->objects);
	hs_targets_free(&s->targets);
	free(s->processes);
	free(s->labels);
	hs_leak_snapshot_free(&s->leak_snapshot);
	hs_leak_result_free(&s->leaks);
}

static void install_signal_handlers(void)
{
	struct sigaction action = { .sa_handler = on_stop_signal };

	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL); /* no SA_RESTART: poll returns at once */
	sigaction(SIGTERM, &action, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int run_session(struct hs_options *opts)
{
	struct session s = { .opts = opts, .stats_fd = -1 };
	int err;

	hs_objects_init(&s.objects);
	hs_unwind_init(&s.unwind, opts->unwind == HS_UNWIND_DWARF, &s.objects);
	hs_symbolizer_init(&s.sym, &s.objects);
	s.sym.keep_files = opts->format == HS_FORMAT_PPROF; /* source lines at the end */
	install_signal_handlers();
	err = check_session(&s);
	if (!err)
		err = start(&s);
	if (!err) {
		collect(&s);
		stop(&s);
		print_ending(&s);
		err = write_output(&s);
		print_summary(&s);
	}
	session_free(&s);
	return err ? 1 : 0;
}

int cmd_session(int argc, char **argv)
{
	struct hs_options opts;
	char error[256];

	if (hs_options_parse(argc, argv, &opts, error, sizeof(error)))
		return hs_fail_usage(NULL, error);
	if (opts.help) {
		hs_options_usage(stdout);
		return 0;
	}
	if (opts.version)
		return hs_version_print(stdout) ? 1 : 0;
	hs_libbpf_messages(opts.verbose);
	return run_session(&opts);
}
