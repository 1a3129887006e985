// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * privilege.c - which of the capabilities heapscope needs this process lacks, so that a
 * "permission denied" names the one to add instead of saying "try root".
 *
 * The set was found by running a session as an unprivileged user with capabilities
 * given and taken one by one (tests/integration/test_install.sh keeps it true):
 *   CAP_SYS_ADMIN        uprobe perf events: since "perf: Require CAP_SYS_ADMIN for uprobes"
 *                        (2025, in stable kernels too) CAP_PERFMON is not enough; it also
 *                        stands for CAP_BPF, CAP_PERFMON and CAP_CHECKPOINT_RESTORE
 *                        (/proc/PID/map_files)
 *   CAP_SYS_PTRACE       a target of another user: /proc/PID/exe, mem, auxv, root
 *   CAP_DAC_READ_SEARCH  the same targets' /proc/PID/map_files and auxv (mode 0500, 0400)
 * Owns: that list and the wording.  Does not own: deciding that an error was about
 * permission (the caller passes only EPERM and EACCES here).
 */
#include "cli/privilege.h"

#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	int cap;
	const char *name;
} needed[] = {
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
	{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
};

/* The effective set, from the kernel (no libcap on a production host). */
static int effective_caps(uint64_t *caps)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &header, data))
		return -1;
	*caps = data[0].effective | (uint64_t)data[1].effective << 32;
	return 0;
}

const char *hs_permission_reason(char *buf, size_t len)
{
	size_t used, missing = 0;
	uint64_t caps;

	if (effective_caps(&caps)) {
		snprintf(buf, len, "permission denied (heapscope needs root, or %s)",
			 HS_CAPS_NEEDED);
		return buf;
	}
	used = snprintf(buf, len, "permission denied: missing");
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]) && used < len; i++) {
		if (caps & (1ull << needed[i].cap))
			continue;
		used += snprintf(buf + used, len - used, "%s%s", missing ? ", " : " ",
				 needed[i].name);
		missing++;
	}
	if (!missing)
		snprintf(buf, len, "permission denied, although heapscope has %s (a security "
			 "module or lockdown?)", HS_CAPS_NEEDED);
	else if (used < len)
		snprintf(buf + used, len - used, " (heapscope needs root, or %s)", HS_CAPS_NEEDED);
	return buf;
}
