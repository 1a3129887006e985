// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * targets.c - the processes of one session: the list, each one's identity
 * (host PID, namespace PID, comm) and probe plan, whether it is still there.
 * In cli/ because the list is the session's: it holds each target's probe plan,
 * above the stages that make it (finding an executable's processes is
 * target/exe.c).
 *
 * Owns: the target list and each target's pidfd and probe plan (its maps
 * snapshots are the object cache's, objects.c).
 * Does not own: planning or attaching probes (probes.c, attach.c), nor what
 * was collected from a target (the collector keys everything by host PID).
 *
 * Invariants: a PID appears once; a target is never removed, so a process
 * that exits keeps its place (and its data in the output).  A target is
 * attached, or waiting for --follow to plan it again (not attached, not
 * exited), or given up (not attached, exited).
 */
#include "cli/targets.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/array.h"
#include "lib/file.h"

struct hs_target *hs_targets_find(const struct hs_targets *t, pid_t pid)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->items[i]->pid == pid)
			return t->items[i];
	return NULL;
}

/* A new target for PID (not yet attached): 0, -EEXIST, -ENOSPC (limit) or -ENOMEM. */
int hs_targets_add(struct hs_targets *t, pid_t pid, struct hs_target **added)
{
	struct hs_target *target;

	if (hs_targets_find(t, pid))
		return -EEXIST;
	if (t->count == HS_MAX_TARGETS) {
		t->not_attached++;
		return -ENOSPC;
	}
	if (hs_array_reserve((void **)&t->items, &t->capacity, t->count, sizeof(*t->items), 8))
		return -ENOMEM;
	target = calloc(1, sizeof(*target));
	if (!target)
		return -ENOMEM;
	target->pid = pid;
	target->ns_pid = hs_namespace_pid(pid);
	if (hs_proc_comm(pid, target->comm, sizeof(target->comm)))
		snprintf(target->comm, sizeof(target->comm), "?");
	target->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	t->items[t->count++] = target;
	*added = target;
	return 0;
}

void hs_targets_free(struct hs_targets *t)
{
	for (size_t i = 0; i < t->count; i++) {
		if (t->items[i]->pidfd >= 0)
			close(t->items[i]->pidfd);
		hs_probes_free(&t->items[i]->plan);
		free(t->items[i]);
	}
	free(t->items);
	memset(t, 0, sizeof(*t));
}

/* Is the target gone?  A pidfd cannot be fooled by PID reuse. */
bool hs_target_exited(const struct hs_target *target)
{
	struct pollfd pfd = { .fd = target->pidfd, .events = POLLIN };

	if (target->pidfd >= 0)
		return poll(&pfd, 1, 0) > 0;
	return !hs_proc_alive(target->pid);
}

/* Attached and still running its program. */
bool hs_target_profiled(const struct hs_target *target)
{
	return target->attached && !target->exited && !target->execed;
}

size_t hs_targets_alive(const struct hs_targets *t)
{
	size_t alive = 0;

	for (size_t i = 0; i < t->count; i++)
		alive += hs_target_profiled(t->items[i]);
	return alive;
}
