/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_VERSION_H
#define HEAPSCOPE_CLI_VERSION_H

#include <stdio.h>

/* heapscope --version: the build (lib/version.h), the libbpf it runs with, and the kernel
 * features it finds.  Returns 0, or -errno when out cannot be written. */
int hs_version_print(FILE *out);

#endif
