/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_COMMANDS_H
#define HEAPSCOPE_CLI_COMMANDS_H

/*
 * A heapscope command: argv[0] is its name ("diff"), or "heapscope" for the
 * default, the profiling session.  Returns the process's exit status: 0, 1 when
 * it failed (told on stderr), 2 for a bad command line.
 *
 * A new command is one file, cli/cmd_NAME.c, its line here and its line in
 * main.c's cmds[].
 */
typedef int hs_command_fn(int argc, char **argv);

hs_command_fn cmd_session; /* cli/session.c: the default */
hs_command_fn cmd_diff;	   /* cli/cmd_diff.c */
hs_command_fn cmd_inspect; /* cli/cmd_inspect.c */
hs_command_fn cmd_watch;   /* cli/cmd_watch.c */

#endif
