/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_PRIVILEGE_H
#define HEAPSCOPE_CLI_PRIVILEGE_H

#include <stddef.h>

/* What heapscope needs, as README.md and heapscope(1) say it. */
#define HS_CAPS_NEEDED "CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH"

/* Why the kernel said EPERM or EACCES, for "heapscope: cannot ...: <reason>": the needed
 * capabilities this process lacks, by name, or that it has them all.  Writes into buf
 * (always terminated) and returns buf. */
const char *hs_permission_reason(char *buf, size_t len);

#endif
