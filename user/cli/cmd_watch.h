/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CMD_WATCH_H
#define HEAPSCOPE_CMD_WATCH_H

/* heapscope watch ...: argv[0] is "watch"; returns the exit status. */
int hs_cmd_watch(int argc, char **argv);

#endif
