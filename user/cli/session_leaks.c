// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * session_leaks.c - the session's --leak-check: at its end, before the probes are
 * switched off, the target is frozen for the copy (reach/freeze.c), and once the ring is
 * drained the copy is marked against the live table (reach/leak_check.c).
 *
 * Owns: when the check runs within stop(), and its stderr lines.
 * Does not own: the freeze, the roots or the mark (reach/), their wording in the outputs
 * (render/leaks.c).
 * Invariant: the probes end while the target is stopped, so the live table (once the ring
 * is drained) and the copy show the same heap.
 */
#include <errno.h>
#include <stdio.h>

#include "cli/errors.h"
#include "cli/session_state.h"
#include "lib/units.h"

static void end_probes_while_frozen(void *ctx)
{
	hs_attach_end_session(ctx);
}

void leak_check_freeze(struct session *s)
{
	struct hs_leak_config config = {
		.objects = &s->objects,
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
		hs_fail("no leak check: %s", s->leaks.reason);
		return;
	}
	config.pid = s->targets.items[0]->pid;
	err = hs_leak_freeze(&config, &s->leak_snapshot, &s->leaks);
	if (err)
		hs_fail("no leak check: %s; the target runs on", s->leaks.reason);
}

void leak_check_analyse(struct session *s)
{
	struct hs_leak_result *r = &s->leaks;

	if (s->leak_checked && !r->error && hs_leak_analyse(&s->leak_snapshot, &s->collector.live, r))
		hs_fail("no leak check: %s", r->reason);
	hs_leak_snapshot_free(&s->leak_snapshot); /* the copy: as big as the target's memory */
	if (!r->done)
		return;
	fprintf(stderr, "heapscope: leak check: %llu blocks (%s) unreachable, %llu direct and %llu "
		"indirect, of %llu; target paused %.1f ms, %s scanned, analysed in %.0f ms (roots: "
		"%s)\n", (unsigned long long)r->unreachable_blocks, HS_BYTES(r->unreachable_bytes),
		(unsigned long long)r->direct_blocks, (unsigned long long)r->indirect_blocks,
		(unsigned long long)r->nodes, r->pause_ms, HS_BYTES(r->scanned_bytes), r->analysis_ms,
		hs_leak_roots_name(r->roots));
}
