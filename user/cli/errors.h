/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_ERRORS_H
#define HEAPSCOPE_CLI_ERRORS_H

#include <stdbool.h>

/* One line on stderr: "heapscope: " FMT "\n". */
void hs_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A bad command line for COMMAND (NULL: the session): ERROR and where --help is; returns
 * the exit status for it, 2. */
int hs_fail_usage(const char *command, const char *error);

/* The output (PATH, NULL: stdout) could not be written: -errno ERR. */
void hs_fail_write(const char *path, int err);

/* Why -errno ERR failed, worded for the user (a process gone, missing privileges). */
const char *hs_reason(int err);

/* libbpf's warnings on stderr with -v, nothing without (its debug level never). */
void hs_libbpf_messages(bool verbose);

#endif
