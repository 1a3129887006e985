// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wording.c - the words every format shares: who a session profiled, which
 * process a verdict comes from, the verdict explained.  Made once here, so the
 * report, JSON, the SVG title, pprof's comments and the stderr summary say the
 * same thing about the same session.
 *
 * Owns: those sentences.  Does not own: the verdict (analysis/verdict.c says
 * what it is and explains it), the allocator's advice (heap_state.c, appended to a
 * retention measured inside glibc) or any layout (the renderers).  Invariant: the
 * renderers and the command layer call in; nothing here calls a renderer.
 */
#include "render/wording.h"

#include <stdio.h>
#include <string.h>

#include "render/heap_state.h"

/* Who a session profiled: "PID 4242 (demo_server)", or "3 processes" (or "0 processes"). */
void hs_render_session_name(const struct hs_summary *sum, char *out, size_t len)
{
	if (sum->process_count > 1 || !sum->pid)
		snprintf(out, len, "%zu processes", sum->process_count);
	else
		snprintf(out, len, "PID %d (%s)", sum->pid, sum->comm);
}

/* "PID 4242 (leak_churn)": its command from the summary ("?" if it is not there). */
void hs_render_process_name(const struct hs_summary *sum, pid_t pid, char *out, size_t len)
{
	const char *comm = "?";

	for (size_t i = 0; i < sum->process_count; i++)
		if (sum->processes[i].pid == pid)
			comm = sum->processes[i].comm;
	snprintf(out, len, "PID %d (%s)", pid, comm);
}

/*
 * With several processes, which one the verdict comes from and how the others
 * fared: "PID 4242 (leak_churn), the most severe of 3 processes (1 leak, 1
 * retention, 1 stable)".  Empty with one process: the verdict is the session's.
 */
void hs_render_verdict_source(const struct hs_render_input *input, char *out, size_t len)
{
	const struct hs_analysis *a = input->analysis;
	size_t counts[HS_VERDICT_KIND_COUNT] = { 0 }, used;
	char who[64];
	const char *sep = " (";

	if (len)
		out[0] = '\0';
	if (!a || a->process_count < 2 || !len)
		return;
	for (size_t i = 0; i < a->process_count; i++)
		counts[a->processes[i].verdict.kind]++;
	hs_render_process_name(input->summary, a->processes[a->verdict_process].pid, who,
			       sizeof(who));
	snprintf(out, len, "%s, the most severe of %zu processes", who, a->process_count);
	/* most severe first (severities are 0 .. HS_VERDICT_KIND_COUNT - 1, each once) */
	for (int severity = HS_VERDICT_KIND_COUNT - 1; severity >= 0; severity--) {
		for (int kind = 0; kind < HS_VERDICT_KIND_COUNT; kind++) {
			if (hs_verdict_severity(kind) != severity || !counts[kind])
				continue;
			used = strlen(out);
			snprintf(out + used, len - used, "%s%zu %s", sep, counts[kind],
				 hs_verdict_name(kind));
			sep = ", ";
		}
	}
	used = strlen(out);
	snprintf(out + used, len - used, ")");
}

/* The allocator state the session read for process pid, or NULL. */
const struct hs_heap_reading *hs_render_heap_reading(const struct hs_render_input *input,
						     pid_t pid)
{
	for (size_t i = 0; input->heap_readings && i < input->heap_reading_count; i++)
		if (input->heap_readings[i].pid == pid)
			return &input->heap_readings[i];
	return NULL;
}

/*
 * One process's verdict in words (verdict.c's); retention measured inside glibc goes on
 * with what to do about it, heap_state.c's advice from the state read at the end.
 */
void hs_render_process_explanation(const struct hs_render_input *input, pid_t pid,
				   const struct hs_verdict *v, char *out, size_t len)
{
	const struct hs_heap_reading *r = hs_render_heap_reading(input, pid);
	size_t used;

	hs_verdict_explain(v, out, len);
	if (v->kind != HS_VERDICT_RETENTION || !v->retention_measured || !r || !r->end_read)
		return;
	used = strlen(out);
	if (used + 16 >= len)
		return;
	used += snprintf(out + used, len - used, " To try: ");
	hs_heap_state_advice_text(&r->end, out + used, len - used);
}

/* The session's verdict in words: with several processes, prefixed by where it comes from. */
void hs_render_explanation(const struct hs_render_input *input, char *out, size_t len)
{
	const struct hs_analysis *a = input->analysis;
	pid_t pid = a->process_count ? a->processes[a->verdict_process].pid : input->summary->pid;
	char source[256];
	size_t used;

	hs_render_verdict_source(input, source, sizeof(source));
	snprintf(out, len, "%s%s", source, source[0] ? ": " : "");
	used = strlen(out);
	hs_render_process_explanation(input, pid, &a->verdict, out + used, len - used);
}

/*
 * Why the session ended before its -d, when heapscope ended it itself: "heapscope stopped the
 * session after 3.2 s: its probes took 87% of the target's CPU time over the last second,
 * more than --max-overhead 50%".  Empty otherwise (a target exiting says so in its own words).
 */
void hs_render_cut_short(const struct hs_summary *sum, char *out, size_t len)
{
	if (len)
		out[0] = '\0';
	if (sum && sum->overhead_stopped)
		snprintf(out, len, "heapscope stopped the session after %.1f s: its probes took "
			 "%.0f%% of the %s CPU time over the last second, more than "
			 "--max-overhead %g%%", sum->duration_s, sum->overhead_stop_pct,
			 sum->process_count > 1 ? "targets'" : "target's", sum->max_overhead_pct);
}
