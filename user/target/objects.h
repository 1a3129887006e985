/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_OBJECTS_H
#define HEAPSCOPE_OBJECTS_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/elf_object.h"
#include "target/maps.h"

/*
 * What a stage derives from one object's file and wants kept with it, built
 * once by that stage's own function (the cache does not know how): the
 * unwind table's rows (unwind/), the code the ret-site finder reads (probe/).
 */
enum hs_object_part {
	HS_PART_UNWIND_TABLE,
	HS_PART_CODE,
	HS_PART_COUNT,
};

/* Fill data (zeroed, of the part's size) from the object's file; on failure leave
 * nothing to free.  The free function releases what build put in data. */
typedef int (*hs_object_part_build)(Elf *elf, void *data);
typedef void (*hs_object_part_free)(void *data);

/* How a stage builds and frees one kind of part. */
struct hs_object_part_ops {
	size_t size;
	hs_object_part_build build;
	hs_object_part_free free;
};

struct hs_object_slot {
	void *data;
	hs_object_part_free free; /* of what build put in data (data itself is the cache's) */
	int error; /* why it could not be built; 0 with data once built */
	bool built;
};

/* One file mapped into some target, identified by (dev, inode), opened once. */
struct hs_object {
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char path[HS_PATH_MAX]; /* as the first target that mapped it sees it */
	const char *basename;	/* points into path */
	pid_t pid;		/* that target: its root holds the debug file */
	int fd;			/* open for the session; < 0 until an open succeeds */
	Elf *libelf;		/* on fd (ELF_C_READ_MMAP), begun on first use */
	struct hs_elf_object elf; /* segments, identity, symbols: valid once read, if !load_error */
	int load_error;		  /* why fd, libelf or elf cannot be used; 0 when they can */
	bool elf_read;		  /* elf (or load_error) is final */
	bool debug_searched;	  /* the debug file was looked for */
	bool debug_symbols_merged; /* ... and its .symtab merged (or found unusable): once */
	int debug_fd;		  /* the detached debug file, open for the session; else < 0 */
	struct hs_object_slot parts[HS_PART_COUNT];
};

/* What the session read, for -v: each file should be opened and parsed once. */
struct hs_objects_stats {
	size_t opened;		 /* objects whose file was opened */
	size_t parsed;		 /* objects whose ELF headers and symbols were read */
	size_t debug_files;	 /* detached debug files opened */
	size_t parts[HS_PART_COUNT]; /* parts built, by kind */
	size_t maps_reads;	 /* /proc/PID/maps read, every target together */
	size_t processes;	 /* targets with a maps snapshot */
};

/* A file a target named that heapscope refused to open (hs_open_refusal says why). */
#define HS_REFUSED_KEPT 8
struct hs_objects_refusal {
	pid_t pid;
	int error;
	char path[256]; /* as the target names it; truncated */
};

/* One target's latest maps snapshot. */
struct hs_objects_process {
	pid_t pid;
	struct hs_maps maps;
};

/* Every object and maps snapshot of one session; stages ask here instead of opening. */
struct hs_objects {
	struct hs_object **objects; /* stable pointers: the array grows, objects do not move */
	size_t object_count, object_capacity;
	struct hs_objects_process **processes; /* stable pointers, like objects */
	size_t process_count, process_capacity;
	struct hs_objects_stats stats;
	struct hs_objects_refusal refused[HS_REFUSED_KEPT]; /* the first ones, each once */
	size_t refused_count; /* refusals: each once among those kept, every one past them */
};

void hs_objects_init(struct hs_objects *objs);
void hs_objects_free(struct hs_objects *objs);

int hs_objects_refresh_maps(struct hs_objects *objs, pid_t pid, const struct hs_maps **maps);
const struct hs_maps *hs_objects_maps(const struct hs_objects *objs, pid_t pid);

int hs_objects_get(struct hs_objects *objs, pid_t pid, const struct hs_mapping *map,
		   struct hs_object **object);
int hs_object_libelf(struct hs_objects *objs, struct hs_object *obj, Elf **elf);
int hs_object_read(struct hs_objects *objs, struct hs_object *obj,
		   const struct hs_elf_object **elf);
int hs_object_debug_file(struct hs_objects *objs, struct hs_object *obj);
int hs_object_read_debug_symbols(struct hs_objects *objs, struct hs_object *obj);
int hs_object_dwarf_fd(const struct hs_object *obj);
int hs_object_part(struct hs_objects *objs, struct hs_object *obj, enum hs_object_part part,
		   const struct hs_object_part_ops *ops, void **data);

void hs_objects_describe(const struct hs_objects *objs, char *out, size_t len);
void hs_objects_refuse(struct hs_objects *objs, pid_t pid, const char *path, int err);
void hs_objects_describe_refused(const struct hs_objects *objs, char *out, size_t len);

#endif
