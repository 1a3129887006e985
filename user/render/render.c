// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * render.c - pick the renderer for an output format.  Every renderer reads the
 * same symbolized profile (profile.c), so formats agree on a session; and the
 * words they share (who the session profiled, where its verdict comes from)
 * are made here once, so they agree too.
 */
#include "render/render.h"

#include <errno.h>
#include <string.h>

#include "render/folded.h"
#include "render/pprof.h"
#include "render/svg.h"
#include "render/json.h"
#include "render/report.h"
#include "render/html.h"

int hs_render(FILE *out, enum hs_format format, const struct hs_render_input *input)
{
	switch (format) {
	case HS_FORMAT_FOLDED:
		return hs_render_folded(out, input->profile, input->weight);
	case HS_FORMAT_SVG:
		return hs_render_svg(out, input);
	case HS_FORMAT_PPROF:
		return hs_render_pprof(out, input);
	case HS_FORMAT_REPORT:
		return hs_render_report(out, input);
	case HS_FORMAT_JSON:
		return hs_render_json(out, input);
	case HS_FORMAT_HTML:
		return hs_render_html(out, input);
	default:
		return -EINVAL;
	}
}

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

/* The session's verdict in words: with several processes, prefixed by where it comes from. */
void hs_render_explanation(const struct hs_render_input *input, char *out, size_t len)
{
	char source[256];
	size_t used;

	hs_render_verdict_source(input, source, sizeof(source));
	snprintf(out, len, "%s%s", source, source[0] ? ": " : "");
	used = strlen(out);
	hs_verdict_explain(&input->analysis->verdict, out + used, len - used);
}
