/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_COMMANDS_H
#define HEAPSCOPE_CLI_COMMANDS_H

/* The subcommands: each takes its own argv (argv[0] is the subcommand's name) and returns
 * the process's exit status. */
int hs_cmd_inspect(int argc, char **argv);

/* One error line on stderr: "heapscope: " + the message. */
void hs_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An errno as the words a user reads (permission, no such process, ...). */
const char *hs_reason(int err);

#endif
