// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * targets.c - the processes of one session: the list, each one's identity
 * (host PID, namespace PID, comm), whether it is still there, and finding
 * every process that runs a given executable.
 *
 * Owns: the target list and each target's pidfd, maps and probe plan.
 * Does not own: planning or attaching probes (probes.c, attach.c), nor what
 * was collected from a target (the collector keys everything by host PID).
 *
 * Invariants: a PID appears once; a target is never removed, so a process
 * that exits keeps its place (and its data in the output).  A target is
 * attached, or waiting for --follow to plan it again (not attached, not
 * exited), or given up (not attached, exited).  Executables are
 * compared by (dev, inode) of /proc/PID/exe, never by path: a path through a
 * symlink or inside another mount namespace names the same file.
 */
#include "target/targets.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/array.h"

/* The last NSpid of /proc/PID/status: the PID in the process's own namespace. */
pid_t hs_namespace_pid(pid_t pid)
{
	char path[64], *text, *line;
	size_t len;
	pid_t ns_pid = pid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (hs_read_file(path, &text, &len))
		return pid;
	line = strstr(text, "\nNSpid:");
	if (line) {
		char *p = line + strlen("\nNSpid:");

		while (*p && *p != '\n') {
			char *end;
			long value = strtol(p, &end, 10);

			if (end == p)
				break;
			ns_pid = (pid_t)value;
			p = end;
		}
	}
	free(text);
	return ns_pid;
}

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
		hs_maps_free(&t->items[i]->maps);
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

int hs_exe_identity(const char *path, struct hs_exe_identity *exe)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	exe->inode = st.st_ino;
	exe->dev_major = major(st.st_dev);
	exe->dev_minor = minor(st.st_dev);
	return 0;
}

static bool runs(pid_t pid, const struct hs_exe_identity *exe)
{
	struct hs_exe_identity seen;

	return !hs_proc_exe_inode(pid, &seen.inode, &seen.dev_major, &seen.dev_minor) &&
	       seen.inode == exe->inode && seen.dev_major == exe->dev_major &&
	       seen.dev_minor == exe->dev_minor;
}

/* Every live process whose executable is exe, ascending PIDs; *pids is malloc'ed. */
int hs_exe_processes(const struct hs_exe_identity *exe, pid_t **pids, size_t *count)
{
	DIR *proc = opendir("/proc");
	size_t capacity = 0;
	struct dirent *entry;
	int err = 0;

	*pids = NULL;
	*count = 0;
	if (!proc)
		return -errno;
	while (!err && (entry = readdir(proc))) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);

		if (*end || pid <= 0 || !runs((pid_t)pid, exe) || !hs_proc_alive((pid_t)pid))
			continue;
		err = hs_array_reserve((void **)pids, &capacity, *count, sizeof(**pids), 16);
		if (!err)
			(*pids)[(*count)++] = (pid_t)pid;
	}
	closedir(proc);
	return err;
}
