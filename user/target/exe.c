// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exe.c - every process that runs a given executable (--exe, inspect, watch).
 *
 * Owns: nothing beyond the PID array it returns.
 * Invariant: executables are compared by (dev, inode) of /proc/PID/exe, never by path: a
 * path through a symlink or inside another mount namespace names the same file.
 */
#include "target/exe.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/array.h"
#include "target/proc.h"

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

/* Does pid run the executable exe (now: it may exec() another at any time)? */
bool hs_exe_runs(const struct hs_exe_identity *exe, pid_t pid)
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

		if (*end || pid <= 0 || !hs_exe_runs(exe, (pid_t)pid) || !hs_proc_alive((pid_t)pid))
			continue;
		err = hs_array_reserve((void **)pids, &capacity, *count, sizeof(**pids), 16);
		if (!err)
			(*pids)[(*count)++] = (pid_t)pid;
	}
	closedir(proc);
	return err;
}
