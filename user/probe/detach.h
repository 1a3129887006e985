/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* detach.h - what attach.c needs of detach.c; the session's calls are in attach.h. */
#ifndef HEAPSCOPE_DETACH_H
#define HEAPSCOPE_DETACH_H

#include "probe/attachment.h"

/* Remove one attached program now (waits for an RCU grace period). */
void hs_probe_link_destroy(struct hs_probe_link *link);
/* Remove PID's links in the background: 0 or -ENOMEM. */
int hs_detach_pid_start(struct hs_attachment *a, pid_t pid);
/* Every link, once the session is over (attach.c ends it first): removed in the
 * background, or now, waiting for the background removals too. */
void hs_detach_all_start(struct hs_attachment *a);
void hs_detach_all(struct hs_attachment *a);

#endif
