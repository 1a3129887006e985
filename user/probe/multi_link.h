/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_MULTI_LINK_H
#define HEAPSCOPE_MULTI_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI (kernel 6.6), unknown to Debian 12's headers. */
#define HS_BPF_TRACE_UPROBE_MULTI 48

/* A link putting prog_fd on count offsets of path in process pid (return probes
 * when retprobe); cookies may be NULL.  The link's fd, or -errno. */
int hs_uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, uint32_t count, pid_t pid, bool retprobe);
bool hs_uprobe_multi_supported(void);

#endif
