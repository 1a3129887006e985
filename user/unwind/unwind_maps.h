/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_UNWIND_MAPS_H
#define HEAPSCOPE_UNWIND_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/objects.h"
#include "unwind.h"
#include "unwind/unwind_table.h"

struct bpf_object;

enum hs_unwind_mode {
	HS_UNWIND_AUTO = 0, /* tables where they can be built, frame pointers elsewhere */
	HS_UNWIND_DWARF,    /* tables; an object whose CFI cannot be loaded is an error */
	HS_UNWIND_FP,	    /* frame pointers only: no tables */
	HS_UNWIND_MODE_COUNT,
};

/* Rows the row map keeps free for objects loaded after attach (dlopen). */
#define HS_UNWIND_SPARE_ROWS (256u << 10)

/* One mapped file (the cache's object), its table shared by every process. */
struct hs_unwind_object_info {
	struct hs_object *object; /* the cache's; the three below point into it */
	const char *path;	  /* as the first target that mapped it sees it */
	const struct hs_elf_object *segments; /* its PT_LOAD segments give the load bias */
	struct hs_unwind_table *table;	      /* rows, until copied into the row map */
	uint32_t id;			      /* in unwind_objects, or HS_UNWIND_NO_TABLE */
	uint32_t row_count;
	size_t fde_count, unsupported_rows;
	int error; /* why it has no table: -ENOENT no CFI, -ENOSPC row map full, ... */
	bool published;
};

/* One process: its executable mappings as the walker sees them. */
struct hs_unwind_target {
	pid_t pid;
	struct hs_unwind_process *entry; /* the map value, mappings sorted by start */
	struct hs_unwind_object_info *objects[HS_UNWIND_MAX_MAPPINGS]; /* per mapping, or NULL */
	size_t mappings_dropped; /* beyond HS_UNWIND_MAX_MAPPINGS: frame pointers there */
	bool published; /* the kernel holds this list as it is (set_mappings clears it) */
};

struct hs_unwind {
	bool strict; /* HS_UNWIND_DWARF: a table that cannot be built is an error */
	struct hs_objects *cache; /* the session's files and maps snapshots */
	struct hs_unwind_object_info **objects;
	size_t object_count, object_capacity;
	struct hs_unwind_target *targets;
	size_t target_count, target_capacity;
	/* The BPF side, once installed. */
	int objects_fd, processes_fd;
	struct hs_unwind_row *rows; /* the row map, mmap'ed */
	size_t row_capacity, rows_used, rows_mapped_bytes;
	uint32_t next_id;
	uint32_t generation; /* the last mapping list published (its row cache key) */
	size_t objects_without_room;
	const char *failed_path; /* strict: the object whose table could not be built */
};

const char *hs_unwind_mode_name(enum hs_unwind_mode mode);
int hs_unwind_mode_parse(const char *text, enum hs_unwind_mode *mode);

void hs_unwind_init(struct hs_unwind *u, bool strict, struct hs_objects *cache);
int hs_unwind_add_process(struct hs_unwind *u, pid_t pid, const struct hs_maps *maps);
size_t hs_unwind_rows_wanted(const struct hs_unwind *u);
int hs_unwind_install(struct hs_unwind *u, struct bpf_object *obj);
int hs_unwind_refresh(struct hs_unwind *u, pid_t pid);
int hs_unwind_remove_process(struct hs_unwind *u, pid_t pid);
size_t hs_unwind_tables(const struct hs_unwind *u, size_t *rows);
size_t hs_unwind_kernel_bytes(const struct hs_unwind *u);
void hs_unwind_free(struct hs_unwind *u);

#endif
