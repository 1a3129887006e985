// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * session_targets.c - the processes a session profiles: check each one, plan its
 * probes, symbols and unwind tables from its maps, attach it, plan it again when
 * its mappings changed under the plan (just exec()ed), find new ones (--follow),
 * and retire those that exit or exec() another program.
 *
 * Named for the session's targets, not target/targets.c's list of them: that list
 * and /proc are target/'s, the plans probe/'s and unwind/'s; this file decides
 * when each step runs and words its failures.  Does not own: starting, collecting
 * or stopping the session (session.c), nor the -v listings (summary.c).
 *
 * Invariants: a target is attached only after its plan was made from its maps as
 * they are now; a target that leaves keeps its data (only its probes and BPF map
 * entries go); a PID named with -p must be attachable (its failure ends the
 * session), one found by --exe may have gone meanwhile (quiet).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "cli/errors.h"
#include "cli/session_state.h"
#include "target/proc.h"

static int check_target(pid_t pid)
{
	int err = hs_proc_check_target(pid);

	if (err == -EINVAL) {
		hs_fail("cannot attach to PID %d: it is a kernel thread (no user-space heap)", pid);
		return err;
	}
	if (err == -ECHILD) {
		hs_fail("cannot attach to PID %d: it is a zombie (it has exited; nothing is left "
			"to profile)", pid);
		return err;
	}
	if (err)
		hs_fail("cannot attach to PID %d: %s", pid, hs_reason(err));
	return err;
}

/* Distinct executable objects mapped by pid (0: none, or its map cannot be read). */
static int executable_objects(pid_t pid)
{
	struct hs_maps maps = { 0 };
	const char *last = NULL;
	int objects = 0;

	if (hs_maps_read(pid, &maps) == 0) {
		for (size_t i = 0; i < maps.count; i++) {
			const struct hs_mapping *map = &maps.items[i];

			if (!map->executable || !hs_mapping_is_file(map) ||
			    (last && strcmp(last, map->path) == 0))
				continue;
			objects++;
			last = map->path;
		}
	}
	hs_maps_free(&maps);
	return objects;
}

/*
 * A dynamically linked process (it has an interpreter: AT_BASE) whose only executable
 * objects are its program and that interpreter: it has just exec()ed, and ld.so has
 * not mapped libc yet.  Once it has, a program linked to libc always maps more.
 */
static bool still_loading(pid_t pid)
{
	uint64_t interpreter_base = 0;
	int objects;

	if (hs_proc_auxv_value(pid, AT_BASE, &interpreter_base) || !interpreter_base)
		return false;
	objects = executable_objects(pid);
	return objects >= 1 && objects <= 2;
}

/*
 * Why a process could not be attached yet, from its mappings now.  An exiting
 * process has let go of its memory (its map is empty: a forked child on its way
 * out); one just exec()ed maps its executable and the dynamic linker, not yet its
 * libraries; one with its libraries mapped was forked, and failed because it was
 * exiting meanwhile (its files could no longer be opened).
 */
static const char *not_yet_reason(pid_t pid)
{
	int objects = executable_objects(pid);

	if (!objects)
		return "is exiting (its memory map is empty)";
	return objects <= 2 ? "has no allocator mapped yet (just exec()ed?)"
			    : "could not be planned though its libraries are mapped (exiting?)";
}

/* Why PID has nothing to probe, in one line: still being loaded, or no allocator at all. */
static void tell_no_allocator(pid_t pid)
{
	if (still_loading(pid))
		hs_fail("cannot attach to PID %d: no allocator found (its dynamic linker has "
			"mapped no library %d ms after attach began: held at exec()?)", pid,
			HS_START_TRIES * HS_REPLAN_WAIT_MS);
	else
		hs_fail("cannot attach to PID %d: no allocator found (no mapped object defines "
			"malloc and free)", pid);
}

/* may_retry: -ENOENT (no allocator found) is not told, the caller tries again later. */
static int plan_probes(struct session *s, struct hs_target *t, bool may_retry)
{
	pid_t pid = t->pid;
	const struct hs_maps *maps;
	int err;

	hs_probes_free(&t->plan);
	err = hs_objects_refresh_maps(&s->objects, pid, &maps); /* planned again: they changed */
	if (err && s->following && hs_target_exited(t))
		return -ESRCH; /* --follow: gone before its turn, quietly */
	if (err) {
		hs_fail("cannot read the memory map of PID %d: %s", pid, hs_reason(err));
		return err;
	}
	err = hs_probes_plan(&s->objects, pid, maps, &t->plan);
	if (err == -ENOENT && !may_retry)
		tell_no_allocator(pid);
	else if (err && err != -ENOENT)
		hs_fail("cannot attach to PID %d: %s", pid, hs_reason(err));
	if (err)
		return err;
	hs_probes_describe(&t->plan, t->allocator, sizeof(t->allocator));
	if (s->opts->verbose)
		print_probe_plan(pid, &t->plan);
	return 0;
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
			hs_fail("cannot build unwind tables for PID %d: more than %d processes "
				"(try --unwind auto)", t->pid, HS_UNWIND_MAX_PROCESSES);
		return s->opts->unwind == HS_UNWIND_DWARF ? -E2BIG : 0;
	}
	err = hs_unwind_add_process(&s->unwind, t->pid, hs_objects_maps(&s->objects, t->pid));
	s->summary.unwind_build_ms += (now_s() - started) * 1e3;
	if (err && s->unwind.failed_path)
		hs_fail("cannot build the unwind table of %s: %s (try --unwind auto)",
			s->unwind.failed_path, hs_reason(err));
	else if (err)
		hs_fail("cannot build unwind tables for PID %d: %s", t->pid, hs_reason(err));
	return err;
}

int install_unwind_tables(struct session *s)
{
	int err;

	if (s->opts->unwind == HS_UNWIND_FP)
		return 0;
	err = hs_unwind_install(&s->unwind, hs_attach_bpf_object(&s->attachment));
	if (err && s->unwind.failed_path)
		hs_fail("cannot load the unwind table of %s: %s (try --unwind auto)",
			s->unwind.failed_path, hs_reason(err));
	else if (err)
		hs_fail("cannot load unwind tables: %s", hs_reason(err));
	print_unwind_objects(s, 0);
	return err;
}

/* The walker met pcs in no known mapping: tables for objects loaded since attach. */
void follow_new_objects(struct session *s)
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
		hs_fail("cannot attach to PID %d: more than %d processes", pid, HS_MAX_TARGETS);
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

/* plan_target's untold failure: the plan is empty because no allocator is mapped (a
 * failure told later on, the symbols' or unwind tables', comes with a plan). */
static bool no_allocator_yet(int err, const struct hs_target *t)
{
	return err == -ENOENT && !t->plan.probe_count;
}

/*
 * Add and plan PID.  One that has just exec()ed (`prog & heapscope -p $!`) has no
 * allocator mapped until its dynamic linker maps libc: it is looked at again while
 * that is so, up to HS_START_TRIES times.  Its maps and auxiliary vector are read for
 * this only once a plan found no allocator, not for every target.
 */
static int prepare_target(struct session *s, pid_t pid, bool named, struct hs_target **added)
{
	int err = add_target(s, pid, named, added);

	if (err)
		return err;
	err = plan_target(s, *added, true);
	for (int tries = 1; no_allocator_yet(err, *added) && tries < HS_START_TRIES &&
			    still_loading(pid);
	     tries++) {
		if (tries == 1 && s->opts->verbose)
			fprintf(stderr, "heapscope: PID %d %s; trying again\n", pid,
				not_yet_reason(pid));
		usleep(HS_REPLAN_WAIT_MS * 1000);
		if (hs_target_exited(*added))
			break; /* told below; reaped, its maps would fail to read: a second line */
		err = plan_target(s, *added, true);
	}
	if (no_allocator_yet(err, *added) && hs_target_exited(*added))
		hs_fail("cannot attach to PID %d: it exited before its allocator was mapped", pid);
	else if (no_allocator_yet(err, *added))
		tell_no_allocator(pid);
	return err;
}

/* Attach the probes of a prepared target (the BPF object is loaded).  may_retry: -ENOENT
 * (a planned file mapping is gone) is not told, the caller tries again later. */
static int attach_target(struct session *s, struct hs_target *t, bool may_retry)
{
	double started = now_s();
	int refused_before = s->attachment.multi_refused;
	int err = hs_attach_plan(&s->attachment, t->pid, &t->plan);

	if (err == -ENOENT && may_retry)
		return err;
	if (err && s->following && hs_target_exited(t))
		return -ESRCH; /* --follow: it exited while being attached, quietly */
	if (err) {
		hs_fail("cannot attach to PID %d (%s): %s", t->pid, t->allocator,
			hs_reason(err == -ENOENT ? -ESRCH : err));
		return err;
	}
	t->attached = true;
	t->attach_ms = (now_s() - started) * 1e3;
	if (s->opts->verbose && !refused_before && s->attachment.multi_refused)
		fprintf(stderr, "heapscope: the kernel refused a uprobe_multi link (%s): one link "
			"per probe from PID %d on\n", hs_reason(s->attachment.multi_refused),
			t->pid);
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
 * --follow: the BPF side tells when a target forks (target_fork), so a child is
 * attached as soon as the collector reads the event, not at the next /proc scan
 * (HS_FOLLOW_SCAN_MS): a child living 30 ms is caught.  Started once, before the first
 * target is attached (or at the first turn of the collect loop when --follow waits for
 * one); HEAPSCOPE_NO_FORK_EVENT=1 leaves the scan alone (the benchmark compares
 * both).  The scan stays: for exec()s of the executable, and if the tracepoint cannot
 * be attached.
 */
static void watch_forks(struct session *s)
{
	const char *off = getenv("HEAPSCOPE_NO_FORK_EVENT");

	if (s->fork_watch)
		return;
	s->fork_watch = off && *off && strcmp(off, "0") ? -ECANCELED
							: hs_attach_watch_forks(&s->attachment);
	if (!s->fork_watch)
		s->fork_watch = 1;
	if (s->fork_watch < 0 && s->opts->verbose)
		fprintf(stderr, "heapscope: --follow without fork events (%s): new processes are "
			"found by scanning /proc every %d ms\n",
			s->fork_watch == -ECANCELED ? "HEAPSCOPE_NO_FORK_EVENT" :
						      hs_reason(s->fork_watch),
			HS_FOLLOW_SCAN_MS);
}

/*
 * A target planned before the BPF object was loaded.  A process that had just
 * exec()ed may have had the very mappings planned replaced by the dynamic linker
 * since (-ENOENT): it is planned and attached again, a few times, while it lives.
 */
int attach_planned_target(struct session *s, struct hs_target *t)
{
	int err;

	if (s->opts->follow)
		watch_forks(s); /* on before the first target is: none of its forks is missed */
	err = attach_target(s, t, true);
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
int prepare_targets(struct session *s)
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
			hs_fail("cannot list the processes of %s: %s", s->opts->exe_path,
				strerror(-err));
	}
	for (size_t i = 0; !err && i < count; i++) {
		int one = prepare_target(s, pids[i], false, &t);

		if (one && one != -EEXIST && one != -ESRCH && one != -ECHILD && one != -ENOSPC)
			err = one;
	}
	free(pids);
	if (!err && s->targets.count == 0 && !s->opts->follow) {
		hs_fail("no process runs %s (use --follow to wait for one)", s->opts->exe_path);
		err = -ESRCH;
	}
	return err;
}

/* A target that left (or was given up): its BPF map entries go now, its probes in the
 * background (detaching takes ~50 ms a probe, which the collector does not wait for);
 * its data stays. */
static void retire_target(struct session *s, struct hs_target *t)
{
	int err = hs_attach_release(&s->attachment, t->pid);
	int unwind_err = hs_unwind_remove_process(&s->unwind, t->pid);

	if (err || unwind_err)
		hs_fail("PID %d left, but its probes or map entries stay until the session "
			"ends: %s", t->pid, hs_reason(err ? err : unwind_err));
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
	s->following = true;
	err = plan_and_attach(s, *t, may_retry);
	s->following = false;
	if (err != -ENOENT || !may_retry || hs_target_exited(*t))
		return err;
	if (s->opts->verbose && (*t)->follow_tries == 1)
		fprintf(stderr, "heapscope: PID %d %s; trying again\n", pid, not_yet_reason(pid));
	return -EAGAIN;
}

/* --follow: attach process pid of the executable, unless done or given up.  Returns
 * follow_process's error (-ESRCH or -ECHILD: gone before it could be added). */
static int follow_one(struct session *s, pid_t pid)
{
	struct hs_target *t = hs_targets_find(&s->targets, pid);
	int err;

	if (t && (t->attached || t->exited))
		return 0;
	err = follow_process(s, pid, &t);
	if (!err)
		err = hs_timeline_add_process(&s->timeline, t->pid);
	if (err && err != -EAGAIN && t) { /* gone, or not attachable: never tried again */
		t->exited = true;
		retire_target(s, t);
	}
	return err;
}

/* The children targets forked since the last look: attached now.  A fork keeps its
 * parent's executable; one that exec()ed another since is not followed.  One already
 * gone counts as short-lived if its parent still runs the executable. */
static void follow_forked(struct session *s)
{
	struct hs_fork forks[64];
	size_t n;

	while ((n = hs_collector_take_forks(&s->collector, forks, 64))) {
		for (size_t i = 0; i < n; i++) {
			pid_t child = (pid_t)forks[i].child, parent = (pid_t)forks[i].parent;
			int err = 0;

			if (s->opts->verbose)
				fprintf(stderr, "heapscope: PID %d forked PID %d\n", parent, child);
			if (hs_exe_runs(&s->exe, child))
				err = follow_one(s, child);
			else if (!hs_proc_alive(child) && hs_exe_runs(&s->exe, parent))
				err = -ESRCH;
			if ((err == -ESRCH || err == -ECHILD) &&
			    !hs_targets_find(&s->targets, child))
				s->forks_gone++;
		}
	}
}

/* --follow: attach to processes of the executable forked (fork event) or started (scan)
 * since the last look.  Their allocations before this point are not seen. */
void follow_new_processes(struct session *s)
{
	pid_t *pids;
	size_t count;

	if (!s->opts->follow)
		return;
	watch_forks(s);
	follow_forked(s);
	if (now_s() - s->last_scan_s < HS_FOLLOW_SCAN_MS / 1e3)
		return;
	s->last_scan_s = now_s();
	if (hs_exe_processes(&s->exe, &pids, &count))
		return;
	for (size_t i = 0; i < count; i++)
		follow_one(s, pids[i]);
	free(pids);
}

/* Mark targets that left (stderr line) and retire them; true when none is left to profile. */
bool check_exits(struct session *s)
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

