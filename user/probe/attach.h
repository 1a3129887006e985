/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ATTACH_H
#define HEAPSCOPE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "probe/attachment.h"
#include "probe/probes.h"

struct bpf_object;

struct hs_attach_config {
	size_t ringbuf_bytes; /* power of two, >= page size */
	uint32_t max_frames;
	bool probe_only;
	bool probe_only_record; /* with probe_only: reserve and discard a ring record per run */
	bool unwind_with_tables; /* walk stacks with unwind tables (unwind_maps.c fills them) */
	size_t unwind_rows;	 /* row map entries */
};

int hs_attach_load(struct hs_attachment *a, const struct hs_attach_config *config);
int hs_attach_watch_forks(struct hs_attachment *a);
int hs_attach_plan(struct hs_attachment *a, pid_t pid, const struct hs_probe_plan *plan);
int hs_attach_release(struct hs_attachment *a, pid_t pid);
void hs_attach_end_session(struct hs_attachment *a);
void hs_attach_detach_start(struct hs_attachment *a);
void hs_attach_detach(struct hs_attachment *a);
void hs_attach_free(struct hs_attachment *a);
int hs_attach_ringbuf_fd(const struct hs_attachment *a);
struct bpf_object *hs_attach_bpf_object(const struct hs_attachment *a);
int hs_attach_read_stats(const struct hs_attachment *a, uint64_t totals[HS_STAT_COUNT]);
int hs_attach_check_kernel(void);

#endif
