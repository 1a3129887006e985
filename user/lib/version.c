// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * version.c - the version heapscope was built as, for every stage that writes it out.
 *
 * Owns: the version strings.  They come from $(BUILD)/heapscope_version.h, which the
 * Makefile (packaging/packaging.mk) writes from VERSION and `git describe`, and rewrites
 * only when they change, so a commit rebuilds this file and relinks, nothing more.
 * Does not own: --version's report of the libbpf and the kernel features it runs with
 * (cli/version.c); that is about the host, not the build, and no output file carries it.
 */
#include "lib/version.h"

#include "heapscope_version.h"

const char *hs_version_number(void)
{
	return HS_VERSION_NUMBER;
}

const char *hs_version(void)
{
	return HS_VERSION_STRING;
}
