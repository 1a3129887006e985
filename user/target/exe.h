/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_TARGET_EXE_H
#define HEAPSCOPE_TARGET_EXE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The executable --exe names: processes match it by (dev, inode) of /proc/PID/exe. */
struct hs_exe_identity {
	uint64_t inode;
	uint32_t dev_major, dev_minor;
};

int hs_exe_identity(const char *path, struct hs_exe_identity *exe);
bool hs_exe_runs(const struct hs_exe_identity *exe, pid_t pid);
int hs_exe_processes(const struct hs_exe_identity *exe, pid_t **pids, size_t *count);

#endif
