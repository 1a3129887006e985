// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * errors.c - how heapscope words a failure on stderr, for every command.
 *
 * Owns: the "heapscope: " prefix, the user's wording of an errno, and whether
 * libbpf's own messages reach stderr.  Does not own: what failed (the caller
 * names the object: "cannot attach to PID 4242"), nor the exit status.
 *
 * Invariant: every error is one line, "heapscope: WHAT: WHY", e.g.
 *   heapscope: cannot attach to PID 4242: no such process
 * The stages below return -errno; only cli/ adds the context and prints.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/errors.h"
#include "cli/privilege.h"

/* libbpf's print callback takes no context: -v is kept here, set once per command. */
static bool libbpf_verbose;

void hs_fail(const char *fmt, ...)
{
	va_list args;

	fputs("heapscope: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

int hs_fail_usage(const char *command, const char *error)
{
	if (command)
		hs_fail("%s: %s (see heapscope %s --help)", command, error, command);
	else
		hs_fail("%s (see heapscope --help)", error);
	return 2;
}

void hs_fail_write(const char *path, int err)
{
	hs_fail("cannot write %s: %s", path ? path : "stdout", strerror(-err));
}

static char permission_reason[256]; /* hs_reason()'s text for EPERM: the missing capabilities */

const char *hs_reason(int err)
{
	switch (err) {
	case -ESRCH:
		return "no such process";
	case -EPERM:
	case -EACCES:
		return hs_permission_reason(permission_reason, sizeof(permission_reason));
	default:
		return strerror(-err);
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void hs_libbpf_messages(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}
