/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rendered_session.h - the session the renderers' tests print: built by hand
 * with session_fixture.h over one process (this one, steady) or two (and
 * SESSION_OTHER_PID, leaking), analysed, and rendered whole into memory.
 */
#ifndef HEAPSCOPE_TEST_RENDERED_SESSION_H
#define HEAPSCOPE_TEST_RENDERED_SESSION_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "render/render.h"
#include "session_fixture.h"

struct rendered {
	struct session s;
	struct hs_analysis a;
	struct hs_summary sum;
	struct hs_process_summary processes[2];
	struct hs_profile_process labels[2];
	struct hs_render_input input;
};

/*
 * Two processes or only this one.  holder_frame is a return address into the
 * test's own function that holds this process's 1000 bytes; other_comm names
 * the second process (a test of escaping passes a hostile one).
 */
static void rendered_build(struct rendered *r, bool two, uint64_t holder_frame,
			   const char *other_comm)
{
	struct hs_profile_scope scope = {r->labels, two ? 2 : 1, false};
	struct hs_analysis_config config = {.end_s = 11.0, .events = 12, .scope = &scope};

	memset(r, 0, sizeof(*r));
	if (two) {
		session_two_processes(&r->s, holder_frame);
	} else {
		session_start(&r->s);
		session_alloc(&r->s, getpid(), holder_frame, 1000, NS);
		for (int t = 0; t <= 10; t++)
			session_point(&r->s, t);
	}
	r->processes[0] = (struct hs_process_summary){.pid = getpid(), .ns_pid = getpid(),
						      .comm = "self"};
	r->processes[1] = (struct hs_process_summary){.pid = SESSION_OTHER_PID,
						      .ns_pid = SESSION_OTHER_PID};
	snprintf(r->processes[1].comm, sizeof(r->processes[1].comm), "%s", other_comm);
	for (int i = 0; i < 2; i++) {
		r->labels[i].pid = r->processes[i].pid;
		snprintf(r->labels[i].label, sizeof(r->labels[i].label), "%s [%d]",
			 r->processes[i].comm, r->processes[i].pid);
	}
	r->sum = (struct hs_summary){.pid = getpid(), .comm = "self", .duration_s = 10,
				     .events = 12, .live_bytes = r->s.c.live_bytes,
				     .live_count = r->s.c.live.count,
				     .processes = r->processes, .process_count = two ? 2 : 1};
	CHECK_EQ(hs_analysis_build(&r->a, &r->s.c, &r->s.tl, &r->s.sym, &config), 0);
	r->input = (struct hs_render_input){&r->a.profile, &r->sum, HS_WEIGHT_INUSE_BYTES, &r->a};
}

static void rendered_free(struct rendered *r)
{
	hs_analysis_free(&r->a);
	session_end(&r->s);
}

/* The whole output of one format, NUL-terminated; the caller frees it. */
static char *rendered_text(struct rendered *r, enum hs_format format)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CHECK(out != NULL);
	if (!out)
		return NULL;
	CHECK_EQ(hs_render(out, format, &r->input), 0);
	fclose(out);
	return text;
}

/* text holds want; says which string was missing when not. */
static bool has(const char *text, const char *want)
{
	if (text && strstr(text, want))
		return true;
	fprintf(stderr, "  missing: %s\n", want);
	return false;
}

#endif
