/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROC_H
#define HEAPSCOPE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/maps.h"

/*
 * The largest file a target names that heapscope opens (an object, a debug file): beyond
 * it a planted file could make heapscope map and walk gigabytes for nothing.
 */
#define HS_TARGET_FILE_MAX_BYTES (4ULL << 30)

/* Told of each file a target names that heapscope refused to open, and why (-errno). */
typedef void hs_refused_fn(void *ctx, const char *path, int err);

/* A process's memory as the kernel counts it, at one instant. */
struct hs_proc_memory {
	uint64_t rss_bytes;  /* resident set */
	uint64_t anon_bytes; /* resident anonymous memory: the heap lives here */
	uint64_t heap_bytes; /* size of the [heap] (brk) mapping; 0 when there is none */
	bool valid;	     /* false when the process could not be read (it exited) */
};

int hs_proc_check_target(pid_t pid);
int hs_proc_comm(pid_t pid, char *comm, size_t len);
bool hs_proc_alive(pid_t pid);
int hs_proc_open_object(pid_t pid, const struct hs_mapping *map);
int hs_proc_open_root(pid_t pid);
int hs_open_in_root(int root_fd, const char *path, uint64_t max_bytes);
int hs_proc_open_in_root(pid_t pid, const char *path, uint64_t max_bytes);
const char *hs_open_refusal(int err);
void hs_proc_object_path(pid_t pid, const struct hs_mapping *map, char *out, size_t len);
int hs_proc_memory(pid_t pid, struct hs_proc_memory *mem);
bool hs_proc_field_bytes(const char *text, const char *key, uint64_t *bytes);
int hs_proc_exe_inode(pid_t pid, uint64_t *inode, uint32_t *dev_major, uint32_t *dev_minor);
int hs_proc_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len);
int hs_proc_auxv_value(pid_t pid, uint64_t type, uint64_t *value);

pid_t hs_namespace_pid(pid_t pid);

int hs_proc_tracer(pid_t pid, pid_t *tracer);

#endif
