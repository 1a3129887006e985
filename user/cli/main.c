// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * main.c - the heapscope command: pick a command by its name in argv[1] and run it.
 *
 * Owns: the command table.  Does not own: any command's options, work or errors;
 * each command is one file in cli/ (cmd_NAME.c, the session in session.c) that
 * parses its own arguments, prints and returns the exit status.
 *
 * Invariant: a first argument that names no command is the default command's, the
 * profiling session ("heapscope -p 4242"), so the session needs no name and a
 * misspelt command is told by the session's option parser.
 */
#include <stddef.h>
#include <string.h>

#include "cli/commands.h"

/* A new command: its line here, its file and its declaration in commands.h. */
static const struct {
	const char *name;
	hs_command_fn *run;
} cmds[] = {
	{ "diff", cmd_diff },
	{ "inspect", cmd_inspect },
	{ "watch", cmd_watch },
};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	return cmd_session(argc, argv);
}
