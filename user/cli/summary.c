// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * summary.c - what a session says on stderr: with -v, where each probe goes and
 * each unwind table; at the end, the counts it saw and lost.  Also fills struct
 * hs_summary, which every output renders, from the collector, the unwind tables,
 * the kernel's counters and the targets.
 *
 * Owns: the wording of those lines and the copy of the counts into the summary.
 * Does not own: the counts themselves (collect/, unwind/, probe/attach.c), the
 * outputs' own summaries (render/), nor error lines (cli/errors.c).
 *
 * Invariant: the summary is filled once, after the session stopped and the ring
 * was drained, so the stderr lines and every output tell the same numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/session_state.h"
#include "lib/units.h"
#include "render/render.h"
#include "symbol/missing_symbols.h"

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

/* -v: where each probe of a plan goes and how its first instruction is run.  The block
 * starts with the PID it is for: with several processes there is one block each. */
void print_probe_plan(pid_t pid, const struct hs_probe_plan *plan)
{
	fprintf(stderr, "heapscope: PID %d: symbols resolved in %s\n", pid,
		plan->from_link_map ? "the dynamic linker's search order (r_debug)"
				    : "the executable, then mapped objects by address");
	for (size_t i = 0; i < plan->site_count; i++) {
		const struct hs_probe_site *site = &plan->sites[i];

		fprintf(stderr, "heapscope: probe %-15s %s+0x%llx%s %s+%u %s, %s\n",
			site->function, plan->objects[site->object].path,
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
	print_ret_probes(plan);
}

/* -v: the tables of objects first..last, one line each. */
void print_unwind_objects(struct session *s, size_t first)
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

/*
 * The collector's, the unwind tables' and the kernel's counts as the session ends, into
 * the summary every output and the stderr lines read: all ~20 copies in one place.
 */
static void summarize_counts(struct session *s)
{
	struct hs_summary *sum = &s->summary;
	const struct hs_collector *c = &s->collector;
	size_t rows;

	hs_attach_read_stats(&s->attachment, sum->kernel_stats);
	sum->events = c->events;
	sum->allocs = c->allocs;
	sum->frees = c->frees;
	sum->reallocs = c->reallocs;
	sum->unknown_frees = c->unknown_frees;
	sum->unknown_free_bytes = c->unknown_free_bytes;
	sum->unknown_frees_unmeasured = c->unknown_frees_unmeasured;
	sum->live_bytes = c->live_bytes;
	sum->live_count = c->live.count;
	sum->untracked_allocs = c->untracked_allocs;
	sum->replaced_blocks = c->replaced_blocks;
	sum->stacks_not_kept = c->stacks.overflowed;
	sum->collector_bytes = hs_collector_memory_bytes(c);
	sum->unwind_mode = hs_unwind_mode_name(s->opts->unwind);
	sum->unwind_tables = hs_unwind_tables(&s->unwind, &rows);
	sum->unwind_rows = rows;
	sum->unwind_kernel_bytes = hs_unwind_kernel_bytes(&s->unwind);
	sum->lost_events = c->untracked_allocs + c->malformed_events;
	for (int i = 0; i < HS_STAT_LOSS_END; i++)
		sum->lost_events += sum->kernel_stats[i];
}

/*
 * Per attached process: who it is, how it ended, and its stacks' totals; the root
 * frames' names.  A process --follow found but never attached (it exited first) had
 * nothing profiled: it is counted apart, not listed.
 */
static int summarize_processes(struct session *s)
{
	size_t n = 0, capacity = s->targets.count;
	bool all_exited, all_execed;

	s->processes = calloc(capacity ? capacity : 1, sizeof(*s->processes));
	s->labels = calloc(capacity ? capacity : 1, sizeof(*s->labels));
	if (!s->processes || !s->labels)
		return -ENOMEM;
	s->short_lived = s->forks_gone;
	all_exited = all_execed = true;
	for (size_t i = 0; i < s->targets.count; i++) {
		const struct hs_target *t = s->targets.items[i];
		struct hs_process_summary *p = &s->processes[n];
		struct hs_unknown_frees unknown;

		if (!t->attached) {
			s->short_lived += hs_target_exited(t);
			continue;
		}
		p->pid = t->pid;
		p->ns_pid = t->ns_pid;
		snprintf(p->comm, sizeof(p->comm), "%s", t->comm);
		p->exited = t->exited;
		p->execed = t->execed;
		unknown = hs_collector_unknown_frees(&s->collector, (uint32_t)t->pid);
		p->unknown_frees = unknown.count;
		p->unknown_free_bytes = unknown.bytes;
		p->unknown_frees_unmeasured = unknown.unmeasured;
		all_exited &= t->exited;
		all_execed &= t->execed;
		s->labels[n].pid = t->pid;
		snprintf(s->labels[n].label, sizeof(s->labels[n].label), "%s [%d]", t->comm,
			 t->pid);
		n++;
	}
	all_exited &= n > 0;
	all_execed &= n > 0;
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
	s->summary.short_lived_processes = s->short_lived;
	s->summary.target_exited = all_exited;
	s->summary.target_execed = all_execed;
	return 0;
}

/* Everything the summary holds once the session has stopped (detached and drained). */
int summarize_session(struct session *s)
{
	summarize_counts(s);
	return summarize_processes(s);
}

static void print_unwind_summary(const struct hs_summary *sum)
{
	const uint64_t *k = sum->kernel_stats;

	if (strcmp(sum->unwind_mode, "fp") == 0) {
		fprintf(stderr, "heapscope: unwind fp: frame pointers only\n");
		return;
	}
	fprintf(stderr, "heapscope: unwind %s: tables for %llu objects, %llu rows, %s kernel "
		"memory, built in %.0f ms; frames by table %llu, by frame pointer %llu; rows "
		"searched %llu times (the other steps found theirs in the row cache)\n",
		sum->unwind_mode,
		(unsigned long long)sum->unwind_tables, (unsigned long long)sum->unwind_rows,
		HS_BYTES(sum->unwind_kernel_bytes), sum->unwind_build_ms,
		(unsigned long long)k[HS_STAT_UNWIND_CFI_FRAMES],
		(unsigned long long)k[HS_STAT_UNWIND_FP_FRAMES],
		(unsigned long long)k[HS_STAT_UNWIND_ROW_SEARCHES]);
}

/* The session's lines before the output is written: why it ended, when a target did. */
void print_ending(const struct session *s)
{
	if (s->summary.target_exited && s->summary.process_count == 1)
		fprintf(stderr, "heapscope: PID %d exited; writing what was collected\n",
			s->summary.pid);
	if (s->summary.target_execed && s->summary.process_count == 1)
		fprintf(stderr, "heapscope: PID %d exec()ed another program; writing what was "
			"collected before\n", s->summary.pid);
}

/*
 * An inuse profile with nothing live at the end is empty (a folded file without a
 * line, an SVG of 0 bytes): say why, and what shows the calls that were made.
 */
static void print_empty_profile(const struct session *s)
{
	const struct hs_summary *sum = &s->summary;
	bool inuse = s->opts->weight == HS_WEIGHT_INUSE_BYTES ||
		     s->opts->weight == HS_WEIGHT_INUSE_COUNT;

	if (!inuse || sum->live_count)
		return;
	fprintf(stderr, "heapscope: nothing is live at the end (%llu allocations since attach, "
		"every one freed): the profile is empty; -w alloc-bytes shows who allocated\n",
		(unsigned long long)sum->allocs);
}

#define MISSING_SYMBOLS_SHOWN 8 /* objects told one by one; the others counted */

/* One object without symbols: which file, its build-id, where its debug file was looked for. */
static void print_missing_object(const struct hs_missing_symbols *missing)
{
	const struct hs_object *obj = missing->object;
	char build_id[2 * HS_BUILD_ID_MAX + 1] = "none", place[HS_PATH_MAX + 64];

	if (obj->elf.build_id_len)
		hs_elf_build_id_hex(&obj->elf, build_id, sizeof(build_id));
	fprintf(stderr, "heapscope: no symbols for %s (build-id %s): stripped and no debug file "
		"found, so %llu frames are shown as %s+0xADDRESS; a debug file (Debian: its "
		"-dbgsym or -dbg package) is looked for at", obj->path, build_id,
		(unsigned long long)missing->frames, obj->basename);
	for (unsigned int i = 0; !hs_elf_debug_path(&obj->elf, obj->path, i, place,
						    sizeof(place)); i++)
		fprintf(stderr, "%s %s", i ? "," : "", place);
	fputc('\n', stderr);
}

/* Say once which objects left frames unnamed for want of symbols (issue 18). */
static void print_missing_symbols(struct session *s)
{
	const struct hs_stack_table *stacks = &s->collector.stacks;
	struct hs_missing_symbols_list list = { 0 };
	int err = 0;

	for (size_t id = 0; !err && id < stacks->count; id++)
		err = hs_missing_symbols_note(&list, &s->sym, stacks->stacks[id].pid,
					      hs_stack_frames(stacks, &stacks->stacks[id]),
					      stacks->stacks[id].frame_count);
	for (size_t i = 0; !err && i < list.count && i < MISSING_SYMBOLS_SHOWN; i++)
		print_missing_object(&list.items[i]);
	if (!err && list.count > MISSING_SYMBOLS_SHOWN)
		fprintf(stderr, "heapscope: and %zu more objects without symbols\n",
			list.count - MISSING_SYMBOLS_SHOWN);
	hs_missing_symbols_free(&list);
}

/* The overhead meter's figure for the session: the probes' share of the targets' CPU. */
static void print_overhead(const struct session *s)
{
	const struct hs_summary *sum = &s->summary;

	if (!sum->overhead_known) {
		fprintf(stderr, "heapscope: overhead: not measured (the targets hardly ran)\n");
		return;
	}
	fprintf(stderr, "heapscope: overhead: the probes took %.1f%% of the %s CPU time%s\n",
		sum->overhead_pct, sum->process_count > 1 ? "targets'" : "target's",
		s->overhead_calibrated ? "" : " (their traps not timed: programs only)");
}

/* The session's lines after the output is written: what was seen, what was lost. */
void print_summary(struct session *s)
{
	const struct hs_summary *sum = &s->summary;
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
	print_overhead(s);
	if (k[HS_STAT_NEW_THREW])
		fprintf(stderr, "heapscope: operator new threw %llu times (those calls count "
			"nothing)\n", (unsigned long long)k[HS_STAT_NEW_THREW]);
	if (sum->lost_events || sum->replaced_blocks || sum->stacks_not_kept)
		fprintf(stderr,
			"heapscope: WARNING: results may be incomplete: %llu events lost (ring "
			"buffer full %llu, call table full %llu, unmatched returns %llu, live "
			"table full %llu), %llu frees never seen, %llu stacks not kept; try a "
			"larger --ringbuf-size / --max-live / --max-stacks\n",
			(unsigned long long)sum->lost_events,
			(unsigned long long)k[HS_STAT_RINGBUF_FULL],
			(unsigned long long)k[HS_STAT_PENDING_FULL],
			(unsigned long long)k[HS_STAT_UNMATCHED_RETURN],
			(unsigned long long)sum->untracked_allocs,
			(unsigned long long)sum->replaced_blocks,
			(unsigned long long)sum->stacks_not_kept);
	else
		fprintf(stderr, "heapscope: lost events: 0\n");
	if (s->short_lived)
		fprintf(stderr, "heapscope: %zu short-lived processes of %s exited before they "
			"could be attached (not counted)\n", s->short_lived, s->opts->exe_path);
	print_missing_symbols(s);
	print_empty_profile(s);
	if (s->targets.not_attached)
		fprintf(stderr, "heapscope: WARNING: %llu processes of %s were not attached "
			"(more than %d in one session)\n",
			(unsigned long long)s->targets.not_attached, s->opts->exe_path,
			HS_MAX_TARGETS);
	if (s->objects.refused_count) {
		char refused[4096];

		hs_objects_describe_refused(&s->objects, refused, sizeof(refused));
		fprintf(stderr, "heapscope: refused %zu file%s the targets named: %s\n",
			s->objects.refused_count, s->objects.refused_count == 1 ? "" : "s", refused);
	}
	if (s->opts->verbose) {
		char objects[256];

		hs_objects_describe(&s->objects, objects, sizeof(objects));
		fprintf(stderr, "heapscope: objects: %s\n", objects);
	}
}
