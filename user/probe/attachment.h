/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* attachment.h - a session's BPF object and links: the state attach.c makes links into and
 * detach.c removes them from.  Neither file's calls are here. */
#ifndef HEAPSCOPE_ATTACHMENT_H
#define HEAPSCOPE_ATTACHMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct heapscope_bpf;
struct bpf_link;

/* One attached program: a target's uprobe (or uprobe_multi link: then fd, and
 * link is NULL), or the session's exec tracepoint (pid 0). */
struct hs_probe_link {
	struct bpf_link *link;
	int fd;
	pid_t pid;
};

struct hs_detach_job;

struct hs_attachment {
	struct heapscope_bpf *skel;
	struct hs_probe_link *links;
	size_t link_count;
	size_t link_capacity;
	/* Sites attached by uprobe_multi links, two per object and process; false:
	 * one perf-event link per probe (older kernels, HEAPSCOPE_NO_UPROBE_MULTI=1,
	 * or the kernel refused a uprobe_multi link at attach). */
	bool multi;
	/* Why the kernel refused a uprobe_multi link (-errno; 0: it never did), from
	 * which attach on the session used one link per probe (the caller says so). */
	int multi_refused;
	/* Targets that left, their probes being removed by background threads. */
	struct hs_detach_job **detaching;
	size_t detaching_count, detaching_capacity;
};

#endif
