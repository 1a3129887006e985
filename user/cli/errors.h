/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_ERRORS_H
#define HEAPSCOPE_CLI_ERRORS_H

#include <stdbool.h>

/* One line on stderr: "heapscope: " FMT "\n". */
void hs_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Why -errno ERR failed, worded for the user (a process gone, missing privileges). */
const char *hs_reason(int err);

/* libbpf's warnings on stderr with -v, nothing without (its debug level never). */
void hs_libbpf_messages(bool verbose);

#endif
