/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CLI_TARGETS_H
#define HEAPSCOPE_CLI_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe/probes.h"
#include "target/exe.h"
#include "target/proc.h"

/* Processes one session attaches to at most (-p, --exe, --follow). */
#define HS_MAX_TARGETS 1024
/* --follow looks for new processes of the executable this often. */
#define HS_FOLLOW_SCAN_MS 100
/* --follow: scans at which a process is tried while it cannot be attached yet (one caught
 * right after exec(): the dynamic linker maps libc a few ms later); 5 s at least. */
#define HS_FOLLOW_TRIES 50
/* -p/--exe: times a process whose planned mappings changed before attach (the dynamic
 * linker of one just exec()ed) is planned again, HS_REPLAN_WAIT_MS apart. */
#define HS_REPLAN_TRIES 20
#define HS_REPLAN_WAIT_MS 50
/* -p/--exe: times a process whose dynamic linker has not mapped its libraries yet (it
 * has just exec()ed: `prog & heapscope -p $!`) is looked at again, HS_REPLAN_WAIT_MS
 * apart: 2 s, a hundred times what ld.so takes to map a program's libraries. */
#define HS_START_TRIES 40

/* One process of the session, from attach to the end (it may exit or exec first). */
struct hs_target {
	pid_t pid;    /* as the host sees it */
	pid_t ns_pid; /* in its own (innermost) PID namespace; == pid outside containers */
	char comm[16];
	int pidfd;    /* -1 when pidfd_open failed: liveness from /proc then */
	bool attached;
	bool exited;
	bool execed; /* it exec()ed another program; later events were ignored */
	unsigned follow_tries; /* --follow: attach attempts, while not attachable yet */
	double attach_ms;
	struct hs_probe_plan plan;
	char allocator[8192]; /* which object each probed family was found in */
};


struct hs_targets {
	struct hs_target **items; /* stable pointers: the array grows, targets do not move */
	size_t count, capacity;
	uint64_t not_attached; /* processes refused because HS_MAX_TARGETS was reached */
};

int hs_targets_add(struct hs_targets *t, pid_t pid, struct hs_target **added);
struct hs_target *hs_targets_find(const struct hs_targets *t, pid_t pid);
void hs_targets_free(struct hs_targets *t);
bool hs_target_exited(const struct hs_target *target);
bool hs_target_profiled(const struct hs_target *target);
size_t hs_targets_alive(const struct hs_targets *t);

#endif
