/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROCFS_H
#define HEAPSCOPE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HS_PATH_MAX 4096

/* One line of /proc/PID/maps. */
struct hs_mapping {
	uint64_t start;
	uint64_t end;
	uint64_t file_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	bool executable;
	char path[HS_PATH_MAX]; /* as the target sees it; "" for anonymous memory */
};

struct hs_maps {
	struct hs_mapping *items;
	size_t count;
};

int hs_read_file(const char *path, char **text, size_t *text_len);
int hs_maps_parse(const char *text, struct hs_maps *maps);
int hs_maps_read(pid_t pid, struct hs_maps *maps);
void hs_maps_free(struct hs_maps *maps);
const struct hs_mapping *hs_maps_find(const struct hs_maps *maps, uint64_t addr);
bool hs_mapping_is_file(const struct hs_mapping *map);

int hs_proc_check_target(pid_t pid);
int hs_proc_comm(pid_t pid, char *comm, size_t len);
bool hs_proc_alive(pid_t pid);
int hs_open_regular_file(const char *path);
int hs_proc_open_object(pid_t pid, const struct hs_mapping *map);
void hs_proc_object_path(pid_t pid, const struct hs_mapping *map, char *out, size_t len);
/* A process's memory as the kernel counts it, at one instant. */
struct hs_proc_memory {
	uint64_t rss_bytes;  /* resident set */
	uint64_t anon_bytes; /* resident anonymous memory: the heap lives here */
	uint64_t heap_bytes; /* size of the [heap] (brk) mapping; 0 when there is none */
	bool valid;	     /* false when the process could not be read (it exited) */
};

int hs_proc_memory(pid_t pid, struct hs_proc_memory *mem);
bool hs_proc_field_bytes(const char *text, const char *key, uint64_t *bytes);
uint64_t hs_maps_heap_bytes(const char *maps_text);
int hs_proc_exe_inode(pid_t pid, uint64_t *inode, uint32_t *dev_major, uint32_t *dev_minor);
int hs_proc_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len);
int hs_proc_auxv_value(pid_t pid, uint64_t type, uint64_t *value);

#endif
