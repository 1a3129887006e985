// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * main.c - the heapscope command: parse options, run one session (check the
 * targets, attach, collect until told to stop, detach, render), report.
 *
 * A session covers one process or several (-p A,B, --exe, --follow): one BPF
 * object, one ring buffer, probes attached per PID.  It goes on while one
 * target lives (or, with --follow, until the duration or a signal).
 *
 * Only this file prints and exits.  Every error is one line:
 *   heapscope: cannot attach to PID 4242: no such process
 * and a non-zero exit.  Once a session has started, whatever ends it (duration,
 * SIGINT/SIGTERM, the target exiting) the output is written and we exit 0.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "probe/attach.h"
#include "collect/collect.h"
#include "render/diff.h"
#include "cli/options.h"
#include "lib/output.h"
#include "probe/probes.h"
#include "target/procfs.h"
#include "analysis/profile.h"
#include "render/render.h"
#include "analysis/summary.h"
#include "symbol/symbolize.h"
#include "target/targets.h"
#include "analysis/timeline.h"
#include "lib/units.h"
#include "unwind/unwind_maps.h"
#include "reach/leak_check.h"

#define POLL_TIMEOUT_MS 100

static volatile sig_atomic_t stop_signal;
static bool verbose;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void fail(const char *fmt, ...)
{
	va_list args;

	fputs("heapscope: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static double now_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

static const char *reason(int err)
{
	switch (err) {
	case -ESRCH:
		return "no such process";
	case -EPERM:
	case -EACCES:
		return "permission denied (heapscope needs root, or CAP_BPF, CAP_PERFMON and "
		       "CAP_SYS_PTRACE)";
	default:
		return strerror(-err);
	}
}

/* Everything one session holds; torn down in reverse order by session_free. */
struct session {
	struct hs_options *opts;
	struct hs_targets targets;
	struct hs_exe_identity exe; /* --exe */
	double last_scan_s;	    /* --follow: when /proc was last scanned */
	struct hs_symbolizer sym;
	struct hs_collector collector;
	struct hs_attachment attachment;
	struct hs_timeline timeline;
	struct hs_unwind unwind;
	uint64_t unknown_pcs; /* walker's pcs in no known mapping, when last looked */
	size_t prepared_stacks; /* stacks whose frames the symbolizer has read */
	double started_s;
	double ended_s; /* when the programs were switched off */
	struct hs_summary summary;
	struct hs_process_summary *processes; /* summary.processes */
	struct hs_profile_process *labels;    /* root frames */
	/* --leak-check */
	bool leak_checked;		      /* tried: leaks says how it went */
	struct hs_leak_snapshot leak_snapshot; /* the copy, until analysed */
	struct hs_leak_result leaks;
};

static int check_session(struct session *s)
{
	int err = hs_output_check(s->opts->output_path);

	if (err) {
		fail("cannot write %s: %s", s->opts->output_path, strerror(-err));
		return err;
	}
	if (s->opts->exe_path && (err = hs_exe_identity(s->opts->exe_path, &s->exe))) {
		fail("cannot use --exe %s: %s", s->opts->exe_path,
		     err == -EINVAL ? "not a regular file" : strerror(-err));
		return err;
	}
	err = hs_attach_check_kernel();
	if (err == -ENOTSUP)
		fail("this kernel has no BTF (/sys/kernel/btf/vmlinux): heapscope's BPF programs "
		     "need CONFIG_DEBUG_INFO_BTF");
	else if (err)
		fail("this kernel has no uprobe support (CONFIG_UPROBE_EVENTS)");
	return err;
}

static int check_target(pid_t pid)
{
	int err = hs_proc_check_target(pid);

	if (err == -EINVAL) {
		fail("cannot attach to PID %d: it is a kernel thread (no user-space heap)", pid);
		return err;
	}
	if (err == -ECHILD) {
		fail("cannot attach to PID %d: it is a zombie (it has exited; nothing is left to "
		     "profile)", pid);
		return err;
	}
	if (err)
		fail("cannot attach to PID %d: %s", pid, reason(err));
	return err;
}

/* -v: the ret instructions that close throwing operator new calls, one line each. */
static void print_ret_probes(const struct hs_probe_plan *plan)
{
	for (size_t i = 0; i < plan->ret_probe_count; i++) {
		const struct hs_ret_probe *probe = &plan->ret_probes[i];

		fprintf(stderr, "heapscope: probe %-15s %s+0x%llx (ret) %s ret, single-stepped\n",
			probe->function, plan->objects[probe->object].path,
			(unsigned long long)probe->file_offset, probe->where);
	}
}

/* may_retry: -ENOENT (no allocator found) is not told, the caller tries again later. */
static int plan_probes(struct session *s, struct hs_target *t, bool may_retry)
{
	pid_t pid = t->pid;
	int err;

	hs_maps_free(&t->maps); /* planned again: the maps have changed */
	hs_probes_free(&t->plan);
	err = hs_maps_read(pid, &t->maps);
	if (err) {
		fail("cannot read the memory map of PID %d: %s", pid, reason(err));
		return err;
	}
	err = hs_probes_plan(pid, &t->maps, &t->plan);
	if (err == -ENOENT && may_retry)
		return err;
	if (err == -ENOENT)
		fail("cannot attach to PID %d: no allocator found (no mapped object defines malloc "
		     "and free)", pid);
	else if (err)
		fail("cannot attach to PID %d: %s", pid, reason(err));
	if (!err)
		hs_probes_describe(&t->plan, t->allocator, sizeof(t->allocator));
	if (!err && s->opts->verbose) {
		fprintf(stderr, "heapscope: symbols resolved in %s\n",
			t->plan.from_link_map ? "the dynamic linker's search order (r_debug)"
					      : "the executable, then mapped objects by address");
		for (size_t i = 0; i < t->plan.site_count; i++) {
			const struct hs_probe_site *site = &t->plan.sites[i];

			fprintf(stderr, "heapscope: probe %-15s %s+0x%llx%s %s+%u %s, %s\n",
				site->function, t->plan.objects[site->object].path,
				(unsigned long long)site->file_offset,
				site->has_return ? " (entry+return)" :
				site->ret_probes ? " (entry+rets)" : " (entry)", site->function,
				site->site.offset, site->site.mnemonic,
				site->site.emulated ? "emulated" : "single-stepped");
			if (site->ret_probes_missing)
				fprintf(stderr, "heapscope: %s keeps a return probe (a std::bad_alloc "
					"thrown through it would end the process): %s at 0x%llx\n",
					site->function, site->ret_probes_missing,
					(unsigned long long)site->ret_probes_missing_at);
		}
		print_ret_probes(&t->plan);
	}
	return err;
}

/* -v: the tables of objects first..last, one line each. */
static void print_unwind_objects(struct session *s, size_t first)
{
	for (size_t i = first; s->opts->verbose && i < s->unwind.object_count; i++) {
		const struct hs_unwind_object_info *obj = s->unwind.objects[i];

		fprintf(stderr,
			"heapscope: unwind table %s: %zu functions, %u rows (%zu bytes)%s\n",
			obj->path, obj->fde_count, obj->row_count,
			obj->row_count * sizeof(struct hs_unwind_row),
			obj->id == HS_UNWIND_NO_TABLE ? " - not used: frame pointers there" : "");
	}
}

/* Unwind tables for every executable object of a target; for the first ones before the
 * BPF object is loaded: the row map is created to fit them. */
static int build_unwind_tables(struct session *s, const struct hs_target *t)
{
	double started = now_s();
	int err;

	if (s->opts->unwind == HS_UNWIND_FP)
		return 0;
	if (s->unwind.target_count >= HS_UNWIND_MAX_PROCESSES) {
		/* The walker's process map is full: this one's stacks use frame pointers. */
		if (s->opts->unwind == HS_UNWIND_DWARF)
			fail("cannot build unwind tables for PID %d: more than %d processes (try "
			     "--unwind auto)", t->pid, HS_UNWIND_MAX_PROCESSES);
		return s->opts->unwind == HS_UNWIND_DWARF ? -E2BIG : 0;
	}
	err = hs_unwind_add_process(&s->unwind, t->pid, &t->maps);
	s->summary.unwind_build_ms += (now_s() - started) * 1e3;
	if (err && s->unwind.failed_path)
		fail("cannot build the unwind table of %s: %s (try --unwind auto)",
		     s->unwind.failed_path, reason(err));
	else if (err)
		fail("cannot build unwind tables for PID %d: %s", t->pid, reason(err));
	return err;
}

static int install_unwind_tables(struct session *s)
{
	int err;

	if (s->opts->unwind == HS_UNWIND_FP)
		return 0;
	err = hs_unwind_install(&s->unwind, hs_attach_bpf_object(&s->attachment));
	if (err && s->unwind.failed_path)
		fail("cannot load the unwind table of %s: %s (try --unwind auto)",
		     s->unwind.failed_path, reason(err));
	else if (err)
		fail("cannot load unwind tables: %s", reason(err));
	print_unwind_objects(s, 0);
	return err;
}

/* The walker met pcs in no known mapping: tables for objects loaded since attach. */
static void follow_new_objects(struct session *s)
{
	uint64_t stats[HS_STAT_COUNT];
	size_t known = s->unwind.object_count;

	if (s->opts->unwind == HS_UNWIND_FP || hs_attach_read_stats(&s->attachment, stats) ||
	    stats[HS_STAT_UNWIND_UNKNOWN_PC] == s->unknown_pcs)
		return;
	s->unknown_pcs = stats[HS_STAT_UNWIND_UNKNOWN_PC];
	for (size_t i = 0; i < s->targets.count; i++) /* on failure those frames stay on fp */
		if (hs_target_profiled(s->targets.items[i]))
			hs_unwind_refresh(&s->unwind, s->targets.items[i]->pid);
	print_unwind_objects(s, known);
}

/*
 * A new target for PID.  A PID named with -p must be attachable (an error ends
 * the session); one found by --exe may have gone meanwhile (quiet: nothing to
 * profile).
 */
static int add_target(struct session *s, pid_t pid, bool named, struct hs_target **added)
{
	int err = named ? check_target(pid) : hs_proc_check_target(pid);

	if (err)
		return err;
	err = hs_targets_add(&s->targets, pid, added);
	if (err == -ENOSPC && named)
		fail("cannot attach to PID %d: more than %d processes", pid, HS_MAX_TARGETS);
	return err;
}

/* A target's maps, probe plan, symbols and unwind tables. */
static int plan_target(struct session *s, struct hs_target *t, bool may_retry)
{
	int err = plan_probes(s, t, may_retry);

	if (!err)
		err = hs_symbolizer_add_process(&s->sym, t->pid);
	if (!err)
		err = build_unwind_tables(s, t);
	return err;
}

static int prepare_target(struct session *s, pid_t pid, bool named, struct hs_target **added)
{
	int err = add_target(s, pid, named, added);

	return err ? err : plan_target(s, *added, false);
}

/* Attach the probes of a prepared target (the BPF object is loaded).  may_retry: -ENOENT
 * (a planned file mapping is gone) is not told, the caller tries again later. */
static int attach_target(struct session *s, struct hs_target *t, bool may_retry)
{
	double started = now_s();
	int err = hs_attach_plan(&s->attachment, t->pid, &t->plan);

	if (err == -ENOENT && may_retry)
		return err;
	if (err) {
		fail("cannot attach to PID %d (%s): %s", t->pid, t->allocator,
		     reason(err == -ENOENT ? -ESRCH : err));
		return err;
	}
	t->attached = true;
	t->attach_ms = (now_s() - started) * 1e3;
	if (t->ns_pid != t->pid)
		fprintf(stderr, "heapscope: attached to PID %d (%s, %zu probes; PID %d in its "
			"namespace)\n", t->pid, t->allocator, t->plan.probe_count, t->ns_pid);
	else
		fprintf(stderr, "heapscope: attached to PID %d (%s, %zu probes)\n", t->pid,
			t->allocator, t->plan.probe_count);
	return 0;
}

/* Plan t from its maps as they are now, and attach it (the BPF object is loaded). */
static int plan_and_attach(struct session *s, struct hs_target *t, bool may_retry)
{
	int err = plan_target(s, t, may_retry);

	return err ? err : attach_target(s, t, may_retry);
}

/*
 * A target planned before the BPF object was loaded.  A process that had just
 * exec()ed may have had the very mappings planned replaced by the dynamic linker
 * since (-ENOENT): it is planned and attached again, a few times, while it lives.
 */
static int attach_planned_target(struct session *s, struct hs_target *t)
{
	int err = attach_target(s, t, true);

	for (int tries = 1; err == -ENOENT; tries++) {
		bool may_retry = tries + 1 < HS_REPLAN_TRIES && !hs_target_exited(t);

		usleep(HS_REPLAN_WAIT_MS * 1000);
		err = plan_and_attach(s, t, may_retry);
		if (!may_retry)
			break; /* its failure was told */
	}
	return err;
}

/* Every target the command line names: -p's PIDs, then --exe's processes. */
static int prepare_targets(struct session *s)
{
	struct hs_target *t;
	pid_t *pids = NULL;
	size_t count = 0;
	int err = 0;

	for (size_t i = 0; !err && i < s->opts->pid_count; i++) {
		err = prepare_target(s, s->opts->pids[i], true, &t);
		if (err == -EEXIST)
			err = 0;
	}
	if (!err && s->opts->exe_path) {
		err = hs_exe_processes(&s->exe, &pids, &count);
		if (err)
			fail("cannot list the processes of %s: %s", s->opts->exe_path,
			     strerror(-err));
	}
	for (size_t i = 0; !err && i < count; i++) {
		int one = prepare_target(s, pids[i], false, &t);

		if (one && one != -EEXIST && one != -ESRCH && one != -ECHILD && one != -ENOSPC)
			err = one;
	}
	free(pids);
	if (!err && s->targets.count == 0 && !s->opts->follow) {
		fail("no process runs %s (use --follow to wait for one)", s->opts->exe_path);
		err = -ESRCH;
	}
	return err;
}

static int start(struct session *s)
{
	struct hs_options *opts = s->opts;
	struct hs_attach_config config = {
		.ringbuf_bytes = opts->ringbuf_bytes,
		.max_frames = opts->max_frames,
		.probe_only = opts->probe_only,
		.unwind_with_tables = opts->unwind != HS_UNWIND_FP,
	};
	struct hs_collect_limits limits = { .max_live = opts->max_live, .max_stacks = opts->max_stacks };
	double attach_started = now_s();
	struct timespec wall;
	pid_t first;
	int err;

	err = hs_collector_init(&s->collector, &limits);
	if (err) {
		fail("cannot start a session: %s", reason(err));
		return err;
	}
	err = prepare_targets(s);
	if (err)
		return err;
	config.unwind_rows = hs_unwind_rows_wanted(&s->unwind);
	err = hs_attach_load(&s->attachment, &config);
	if (err) {
		fail("cannot load BPF programs: %s", reason(err));
		return err;
	}
	err = install_unwind_tables(s);
	if (err)
		return err;
	err = hs_collector_open_ring(&s->collector, hs_attach_ringbuf_fd(&s->attachment));
	if (err) {
		fail("cannot open the BPF ring buffer: %s", reason(err));
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
	err = hs_timeline_init(&s->timeline, opts->interval_s, s->started_s);
	for (size_t i = 0; !err && i < s->targets.count; i++)
		err = hs_timeline_add_process(&s->timeline, s->targets.items[i]->pid);
	if (!err)
		err = hs_timeline_tick(&s->timeline, &s->collector, s->started_s);
	if (err) {
		fail("cannot start a session: %s", reason(err));
		return err;
	}
	if (opts->follow)
		fprintf(stderr, "heapscope: following new processes of %s\n", opts->exe_path);
	return 0;
}

/* A target that left (or was given up): its BPF map entries go now, its probes in the
 * background (detaching takes ~50 ms a probe, which the collector does not wait for);
 * its data stays. */
static void retire_target(struct session *s, struct hs_target *t)
{
	int err = hs_attach_release(&s->attachment, t->pid);
	int unwind_err = hs_unwind_remove_process(&s->unwind, t->pid);

	if (err || unwind_err)
		fail("PID %d left, but its probes or map entries stay until the session ends: %s",
		     t->pid, reason(err ? err : unwind_err));
}

/*
 * --follow: plan and attach a process the scan found, new (*t NULL) or seen
 * before.  One caught right after exec() may have no allocator mapped yet, or
 * the dynamic linker may replace the very mappings just planned (-ENOENT
 * both): while it lives it is tried again at the next scans (-EAGAIN), up to
 * HS_FOLLOW_TRIES; the last try tells why it failed.
 */
static int follow_process(struct session *s, pid_t pid, struct hs_target **t)
{
	bool may_retry;
	int err = *t ? 0 : add_target(s, pid, false, t);

	if (err)
		return err;
	may_retry = ++(*t)->follow_tries < HS_FOLLOW_TRIES;
	err = plan_and_attach(s, *t, may_retry);
	if (err != -ENOENT || !may_retry || hs_target_exited(*t))
		return err;
	if (s->opts->verbose && (*t)->follow_tries == 1)
		fprintf(stderr, "heapscope: PID %d has no allocator mapped yet (just exec()ed?); "
			"trying again\n", pid);
	return -EAGAIN;
}

/* --follow: attach to processes of the executable that started since the last scan.
 * Their allocations before this point are not seen. */
static void follow_new_processes(struct session *s)
{
	pid_t *pids;
	size_t count;

	if (!s->opts->follow || now_s() - s->last_scan_s < HS_FOLLOW_SCAN_MS / 1e3)
		return;
	s->last_scan_s = now_s();
	if (hs_exe_processes(&s->exe, &pids, &count))
		return;
	for (size_t i = 0; i < count; i++) {
		struct hs_target *t = hs_targets_find(&s->targets, pids[i]);
		int err;

		if (t && (t->attached || t->exited))
			continue;
		err = follow_process(s, pids[i], &t);
		if (!err)
			err = hs_timeline_add_process(&s->timeline, t->pid);
		if (err && err != -EAGAIN && t) { /* gone, or not attachable: never tried again */
			t->exited = true;
			retire_target(s, t);
		}
	}
	free(pids);
}

/* Mark targets that left (stderr line) and retire them; true when none is left to profile. */
static bool check_exits(struct session *s)
{
	for (size_t i = 0; i < s->targets.count; i++) {
		struct hs_target *t = s->targets.items[i];

		if (t->exited || !hs_target_exited(t))
			continue;
		t->exited = true;
		hs_timeline_end_process(&s->timeline, t->pid);
		if (!t->execed) /* else retired already */
			retire_target(s, t);
		if (!t->attached)
			continue; /* --follow was still trying it */
		if (s->targets.count > 1 || s->opts->follow)
			fprintf(stderr, "heapscope: PID %d (%s) exited; its data is kept\n", t->pid,
				t->comm);
	}
	/* An exec event for a PID that already exited is a newcomer reusing it. */
	for (size_t i = 0; i < s->collector.execed_count; i++) {
		struct hs_target *t = hs_targets_find(&s->targets, s->collector.execed_pids[i]);

		if (t && !t->exited && !t->execed) {
			t->execed = true;
			hs_timeline_end_process(&s->timeline, t->pid);
			retire_target(s, t);
			if (s->targets.count > 1 || s->opts->follow)
				fprintf(stderr, "heapscope: PID %d exec()ed another program; what "
					"it allocated before is kept\n", t->pid);
		}
	}
	return !s->opts->follow && hs_targets_alive(&s->targets) == 0;
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
	char live[32];

	hs_human_bytes(s->collector.live_bytes, live, sizeof(live));
	fprintf(stderr, "\rheapscope: %5.0fs  %8.0f events/s  live %s       ", elapsed,
		(s->collector.events - events_before) / interval, live);
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
			fail("reading events failed: %s", reason(got));
			break;
		}
		prepare_new_stacks(s);
		got = hs_timeline_tick(&s->timeline, &s->collector, now_s());
		if (got < 0) {
			fail("sampling the timeline failed: %s", reason(got));
			break;
		}
		if (s->opts->duration_s && elapsed >= s->opts->duration_s)
			break;
		if (check_exits(s))
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

/* Per process: who it is, how it ended, and its stacks' totals; the root frames' names. */
static int summarize_processes(struct session *s)
{
	size_t n = s->targets.count;
	bool all_exited = n > 0, all_execed = n > 0;

	s->processes = calloc(n ? n : 1, sizeof(*s->processes));
	s->labels = calloc(n ? n : 1, sizeof(*s->labels));
	if (!s->processes || !s->labels)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct hs_target *t = s->targets.items[i];
		struct hs_process_summary *p = &s->processes[i];

		p->pid = t->pid;
		p->ns_pid = t->ns_pid;
		snprintf(p->comm, sizeof(p->comm), "%s", t->comm);
		p->exited = t->exited;
		p->execed = t->execed;
		all_exited &= t->exited;
		all_execed &= t->execed;
		s->labels[i].pid = t->pid;
		snprintf(s->labels[i].label, sizeof(s->labels[i].label), "%s [%d]", t->comm, t->pid);
	}
	for (size_t id = 0; id < s->collector.stacks.count; id++) {
		const struct hs_stack *stack = &s->collector.stacks.stacks[id];

		for (size_t i = 0; i < n; i++) {
			struct hs_process_summary *p = &s->processes[i];

			if (p->pid != (pid_t)stack->pid)
				continue;
			p->live_bytes += stack->live_bytes;
			p->live_count += stack->live_count;
			p->alloc_bytes += stack->alloc_bytes;
			p->alloc_count += stack->alloc_count;
			break;
		}
	}
	s->summary.processes = s->processes;
	s->summary.process_count = n;
	s->summary.merged = s->opts->merge;
	s->summary.target_exited = all_exited;
	s->summary.target_execed = all_execed;
	return 0;
}

/* --- --leak-check (reach/) ------------------------------------------------------------ */

/* While the target is stopped: the probes stop counting at the very moment of the copy, so
 * the live table (once the ring is drained) and the copy show the same heap. */
static void end_probes_while_frozen(void *ctx)
{
	hs_attach_end_session(ctx);
}

static void leak_check_freeze(struct session *s)
{
	struct hs_leak_config config = {
		.max_pause_ms = s->opts->max_pause_ms,
		.on_stopped = end_probes_while_frozen,
		.ctx = &s->attachment,
	};
	int err;

	if (!s->opts->leak_check)
		return;
	s->leak_checked = true;
	if (hs_targets_alive(&s->targets) != 1 || s->targets.count != 1) {
		snprintf(s->leaks.reason, sizeof(s->leaks.reason),
			 "it checks one running process, and this session has %zu (%zu running)",
			 s->targets.count, hs_targets_alive(&s->targets));
		s->leaks.error = -EINVAL;
		fail("no leak check: %s", s->leaks.reason);
		return;
	}
	config.pid = s->targets.items[0]->pid;
	err = hs_leak_freeze(&config, &s->leak_snapshot, &s->leaks);
	if (err)
		fail("no leak check: %s; the target runs on", s->leaks.reason);
}

/* After the ring is drained: the live table is the heap the copy shows. */
static void leak_check_analyse(struct session *s)
{
	struct hs_leak_result *r = &s->leaks;
	char bytes[32], scanned[32];

	if (s->leak_checked && !r->error && hs_leak_analyse(&s->leak_snapshot, &s->collector.live, r))
		fail("no leak check: %s", r->reason);
	hs_leak_snapshot_free(&s->leak_snapshot); /* the copy: as big as the target's memory */
	if (!r->done)
		return;
	hs_human_bytes(r->unreachable_bytes, bytes, sizeof(bytes));
	hs_human_bytes(r->scanned_bytes, scanned, sizeof(scanned));
	fprintf(stderr, "heapscope: leak check: %llu blocks (%s) unreachable, %llu direct and %llu "
		"indirect, of %llu; target paused %.1f ms, %s scanned, analysed in %.0f ms (roots: "
		"%s)\n", (unsigned long long)r->unreachable_blocks, bytes,
		(unsigned long long)r->direct_blocks, (unsigned long long)r->indirect_blocks,
		(unsigned long long)r->nodes, r->pause_ms, scanned, r->analysis_ms,
		hs_leak_roots_name(r->roots));
}

/* Detach, then drain what is still in the ring, so nothing collected is lost. */
static void stop(struct session *s)
{
	struct hs_summary *sum = &s->summary;
	struct hs_collector *c = &s->collector;
	int err;

	leak_check_freeze(s);
	hs_attach_end_session(&s->attachment);
	s->ended_s = now_s();
	hs_timeline_mark_end(&s->timeline, s->ended_s);
	sum->duration_s = s->ended_s - s->started_s;
	hs_attach_detach(&s->attachment);
	while (hs_collector_poll(c, 0) > 0)
		;
	prepare_new_stacks(s);
	leak_check_analyse(s);
	err = hs_timeline_finish(&s->timeline, c);
	if (err)
		fail("sampling the timeline failed: %s", reason(err));
	hs_attach_read_stats(&s->attachment, sum->kernel_stats);
	sum->events = c->events;
	sum->allocs = c->allocs;
	sum->frees = c->frees;
	sum->reallocs = c->reallocs;
	sum->unknown_frees = c->unknown_frees;
	sum->live_bytes = c->live_bytes;
	sum->live_count = c->live.count;
	sum->untracked_allocs = c->untracked_allocs;
	sum->replaced_blocks = c->replaced_blocks;
	sum->stacks_not_kept = c->stacks.overflowed;
	sum->collector_bytes = hs_collector_memory_bytes(c);
	sum->unwind_mode = hs_unwind_mode_name(s->opts->unwind);
	size_t rows;
	sum->unwind_tables = hs_unwind_tables(&s->unwind, &rows);
	sum->unwind_rows = rows;
	sum->unwind_kernel_bytes = hs_unwind_kernel_bytes(&s->unwind);
	sum->lost_events = c->untracked_allocs + c->malformed_events;
	for (int i = 0; i < HS_STAT_LOSS_END; i++)
		sum->lost_events += sum->kernel_stats[i];
	summarize_processes(s);
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
		fail("cannot build the profile: %s", reason(err));
		hs_analysis_free(&analysis);
		return err;
	}
	err = hs_output_open(&out, s->opts->output_path);
	if (err) {
		fail("cannot write %s: %s", s->opts->output_path, strerror(-err));
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
	};
	err = hs_render(out.file, s->opts->format, &input);
	if (!err)
		err = hs_output_commit(&out);
	else
		hs_output_abort(&out);
	if (err)
		fail("cannot write %s: %s", s->opts->output_path ? s->opts->output_path : "stdout",
		     strerror(-err));
	hs_analysis_free(&analysis);
	return err;
}

static void print_unwind_summary(const struct hs_summary *sum)
{
	const uint64_t *k = sum->kernel_stats;

	if (strcmp(sum->unwind_mode, "fp") == 0) {
		fprintf(stderr, "heapscope: unwind fp: frame pointers only\n");
		return;
	}
	fprintf(stderr, "heapscope: unwind %s: tables for %llu objects, %llu rows, %s kernel memory, "
		"built in %.0f ms; frames by table %llu, by frame pointer %llu\n", sum->unwind_mode,
		(unsigned long long)sum->unwind_tables, (unsigned long long)sum->unwind_rows,
		HS_BYTES(sum->unwind_kernel_bytes), sum->unwind_build_ms, (unsigned long long)k[HS_STAT_UNWIND_CFI_FRAMES],
		(unsigned long long)k[HS_STAT_UNWIND_FP_FRAMES]);
}

static void print_summary(const struct hs_summary *sum)
{
	const uint64_t *k = sum->kernel_stats;
	char live[32], who[64];

	hs_human_bytes(sum->live_bytes, live, sizeof(live));
	hs_render_session_name(sum, who, sizeof(who));
	fprintf(stderr,
		"heapscope: %s%s: %.1f s, %llu events (%llu allocs, %llu frees, %llu "
		"reallocs), live %s in %llu blocks\n",
		who, sum->target_exited ? " exited" : "", sum->duration_s,
		(unsigned long long)sum->events, (unsigned long long)sum->allocs,
		(unsigned long long)sum->frees, (unsigned long long)sum->reallocs, live,
		(unsigned long long)sum->live_count);
	fprintf(stderr, "heapscope: unknown frees %llu (blocks allocated before attach), "
		"truncated stacks %llu, attach %.0f ms\n",
		(unsigned long long)sum->unknown_frees,
		(unsigned long long)k[HS_STAT_STACK_TRUNCATED], sum->attach_ms);
	print_unwind_summary(sum);
	if (k[HS_STAT_NEW_THREW])
		fprintf(stderr, "heapscope: operator new threw %llu times (those calls count "
			"nothing)\n", (unsigned long long)k[HS_STAT_NEW_THREW]);
	if (sum->lost_events || sum->replaced_blocks || sum->stacks_not_kept)
		fprintf(stderr,
			"heapscope: WARNING: results may be incomplete: %llu events lost (ring buffer "
			"full %llu, call table full %llu, unmatched returns %llu, live table full "
			"%llu), %llu frees never seen, %llu stacks not kept; try a larger "
			"--ringbuf-size / --max-live / --max-stacks\n",
			(unsigned long long)sum->lost_events,
			(unsigned long long)k[HS_STAT_RINGBUF_FULL],
			(unsigned long long)k[HS_STAT_PENDING_FULL],
			(unsigned long long)k[HS_STAT_UNMATCHED_RETURN],
			(unsigned long long)sum->untracked_allocs,
			(unsigned long long)sum->replaced_blocks,
			(unsigned long long)sum->stacks_not_kept);
	else
		fprintf(stderr, "heapscope: lost events: 0\n");
}

static void session_free(struct session *s)
{
	hs_attach_free(&s->attachment);
	hs_timeline_free(&s->timeline);
	hs_unwind_free(&s->unwind);
	hs_collector_free(&s->collector);
	hs_symbolizer_free(&s->sym);
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
	struct session s = { .opts = opts };
	int err;

	hs_unwind_init(&s.unwind, opts->unwind == HS_UNWIND_DWARF);
	hs_symbolizer_init(&s.sym);
	s.sym.keep_files = opts->format == HS_FORMAT_PPROF; /* source lines at the end */
	install_signal_handlers();
	err = check_session(&s);
	if (!err)
		err = start(&s);
	if (!err) {
		collect(&s);
		stop(&s);
		if (s.summary.target_exited && s.summary.process_count == 1)
			fprintf(stderr, "heapscope: PID %d exited; writing what was collected\n",
				s.summary.pid);
		if (s.summary.target_execed && s.summary.process_count == 1)
			fprintf(stderr, "heapscope: PID %d exec()ed another program; writing what was "
				"collected before\n", s.summary.pid);
		err = write_output(&s);
		print_summary(&s.summary);
		if (s.targets.not_attached)
			fprintf(stderr, "heapscope: WARNING: %llu processes of %s were not attached "
				"(more than %d in one session)\n",
				(unsigned long long)s.targets.not_attached, opts->exe_path,
				HS_MAX_TARGETS);
	}
	session_free(&s);
	return err ? 1 : 0;
}

static void warn_malformed(const char *path, const struct hs_folded *folded)
{
	if (folded->malformed_lines)
		fail("%s: %llu lines are not folded stacks and were skipped (the first: line %zu)",
		     path, (unsigned long long)folded->malformed_lines,
		     folded->first_malformed_line);
}

/* heapscope diff OLD NEW: no target, no BPF; two files in, one out. */
static int run_diff(int argc, char **argv)
{
	struct hs_diff_options opts;
	char error[256], *old_text = NULL, *new_text = NULL;
	size_t old_len, new_len;
	struct hs_output out;
	struct hs_diff diff = { 0 };
	int err;

	if (hs_diff_options_parse(argc, argv, &opts, error, sizeof(error))) {
		fail("diff: %s (see heapscope diff --help)", error);
		return 2;
	}
	if (opts.help) {
		hs_diff_usage(stdout);
		return 0;
	}
	err = hs_read_file(opts.old_path, &old_text, &old_len);
	if (err)
		fail("cannot read %s: %s", opts.old_path, strerror(-err));
	if (!err && (err = hs_read_file(opts.new_path, &new_text, &new_len)))
		fail("cannot read %s: %s", opts.new_path, strerror(-err));
	if (!err && (err = hs_diff_build(&diff, old_text, old_len, new_text, new_len)))
		fail("cannot compare %s and %s: %s", opts.old_path, opts.new_path, strerror(-err));
	if (!err) {
		warn_malformed(opts.old_path, &diff.old);
		warn_malformed(opts.new_path, &diff.new);
		err = hs_output_open(&out, opts.output_path);
		if (!err) {
			err = opts.format == HS_FORMAT_SVG ?
				      hs_diff_write_svg(out.file, &diff, opts.old_path, opts.new_path) :
				      hs_diff_write_folded(out.file, &diff);
			if (!err)
				err = hs_output_commit(&out);
			else
				hs_output_abort(&out);
		}
		if (err)
			fail("cannot write %s: %s", opts.output_path ? opts.output_path : "stdout",
			     strerror(-err));
	}
	hs_diff_free(&diff);
	free(old_text);
	free(new_text);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct hs_options opts;
	char error[256];

	if (argc > 1 && strcmp(argv[1], "diff") == 0)
		return run_diff(argc - 1, argv + 1);
	if (hs_options_parse(argc, argv, &opts, error, sizeof(error))) {
		fail("%s (see heapscope --help)", error);
		return 2;
	}
	if (opts.help) {
		hs_options_usage(stdout);
		return 0;
	}
	verbose = opts.verbose;
	libbpf_set_print(libbpf_print);
	return run_session(&opts);
}
