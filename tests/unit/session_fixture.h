/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * session_fixture.h - a session built by hand, for the tests of what reads a
 * whole session (analysis, renderers): allocation events applied to a real
 * collector, timeline points added at chosen instants.  Frames are return
 * addresses into the test binary's own functions, so this process's stacks are
 * named for real; another PID's frames are not (its maps are not read).
 */
#ifndef HEAPSCOPE_TEST_SESSION_FIXTURE_H
#define HEAPSCOPE_TEST_SESSION_FIXTURE_H

#include <string.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "check.h"
#include "events.h"

#define NS 1000000000ull

struct session {
	struct hs_collector c;
	struct hs_timeline tl;
	struct hs_objects objects;
	struct hs_symbolizer sym;
	uint64_t next_addr;
};

/* A collector, a timeline with this process as its first, a symbolizer that knows it. */
static void session_start(struct session *s)
{
	struct hs_collect_limits limits = {1024, 1024};

	memset(s, 0, sizeof(*s));
	s->next_addr = 0x10000;
	CHECK_EQ(hs_collector_init(&s->c, &limits), 0);
	CHECK_EQ(hs_timeline_init(&s->tl, 1.0, 0), 0);
	CHECK_EQ(hs_timeline_add_process(&s->tl, getpid()), 0);
	hs_objects_init(&s->objects);
	hs_symbolizer_init(&s->sym, &s->objects);
	CHECK_EQ(hs_symbolizer_add_process(&s->sym, getpid()), 0);
}

static void session_alloc(struct session *s, uint32_t pid, uint64_t frame, uint64_t size,
			  uint64_t ts_ns)
{
	struct hs_event ev = {
		.ts_ns = ts_ns,
		.addr = s->next_addr += 0x100,
		.size = size,
		.pid = pid,
		.kind = HS_EV_ALLOC,
		.nr_frames = 1,
	};

	ev.frames[0] = frame;
	hs_collector_apply(&s->c, &ev, HS_EVENT_HDR_SIZE + sizeof(ev.frames[0]));
}

/* A point at t_s with the collector's live heap (and each process's, from the stacks). */
static void session_point(struct session *s, double t_s)
{
	struct hs_timeline_point point = {.t_s = t_s, .live_bytes = s->c.live_bytes};

	CHECK_EQ(hs_timeline_add(&s->tl, &s->c.stacks, &point), 0);
}

/* A second process of the session's; its frames are not named (its maps are not read). */
#define SESSION_OTHER_PID 1

/*
 * Seconds 0..10, a point each: this process holds 1000 bytes (allocated at
 * steady_frame) from the start on, SESSION_OTHER_PID leaks 20 KiB a second.
 */
static void session_two_processes(struct session *s, uint64_t steady_frame)
{
	session_start(s);
	CHECK_EQ(hs_timeline_add_process(&s->tl, SESSION_OTHER_PID), 0);
	session_alloc(s, getpid(), steady_frame, 1000, NS);
	for (int t = 0; t <= 10; t++) {
		session_alloc(s, SESSION_OTHER_PID, 0x401000, 20 * 1024, (t + 1) * NS);
		session_point(s, t);
	}
}

static void session_end(struct session *s)
{
	hs_timeline_free(&s->tl);
	hs_collector_free(&s->c);
	hs_symbolizer_free(&s->sym);
	hs_objects_free(&s->objects);
}

#endif
