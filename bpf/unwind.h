/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * unwind.h - the layout of the unwind tables the BPF stack walker reads, shared
 * by bpf/unwind.bpf.h and userspace (user/unwind/unwind_table.c builds rows,
 * user/unwind/unwind_maps.c loads them).
 *
 * Three maps:
 *  - unwind_rows: one array of rows for every object, each object's rows a
 *    contiguous run sorted by pc;
 *  - unwind_objects: per object id, where its run starts and how long it is;
 *  - unwind_processes: per PID, its executable mappings sorted by start, each
 *    with its load bias and object id.  Objects are shared: two processes that
 *    map the same file (same device and inode) use the same rows.
 *
 * A row says, from its pc up to the next row's pc (ELF virtual addresses of the
 * object), how to find the caller's frame on x86_64:
 *   CFA = base + 8 * cfa_words, base = rsp or rbp (cfa_rule);
 *   return address at CFA - 8;
 *   rbp of the caller saved at CFA + 8 * rbp_words, or unchanged when 0
 *   (CFA + 0 is the caller's own stack: rbp is never saved there).
 * Offsets are in 8-byte words so a row fits 8 bytes; every CFI offset seen on
 * x86_64 is a multiple of 8 (a row that is not becomes HS_CFA_NONE).
 */
#ifndef HEAPSCOPE_UNWIND_H
#define HEAPSCOPE_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Executable mappings per process the walker can search (power of two);
 * further ones are walked with frame pointers and counted. */
#define HS_UNWIND_MAX_MAPPINGS 512
/* Objects with tables across every target; further ones use frame pointers. */
#define HS_UNWIND_MAX_OBJECTS 4096
/* Processes with tables at once. */
#define HS_UNWIND_MAX_PROCESSES 256
/* Rows a CPU remembers by pc: a hot call site's frames are found again without the two
 * binary searches. */
#define HS_UNWIND_ROW_CACHE_BITS 10
#define HS_UNWIND_ROW_CACHE_SLOTS (1u << HS_UNWIND_ROW_CACHE_BITS)
/* Binary search steps: enough for 2^24 rows per object and 2^9 mappings. */
#define HS_UNWIND_ROW_SEARCH_STEPS 25
#define HS_UNWIND_MAPPING_SEARCH_STEPS 10
/* Object id of a mapping known to have no table: walked with frame pointers,
 * and not a reason to look for newly loaded objects. */
#define HS_UNWIND_NO_TABLE 0xffffffffu

enum hs_cfa_rule {
	HS_CFA_NONE = 0, /* no usable CFI here: take this step with the frame pointer */
	HS_CFA_RSP,	 /* CFA = rsp + 8 * cfa_words */
	HS_CFA_RBP,	 /* CFA = rbp + 8 * cfa_words */
	HS_CFA_PLT,	 /* PLT stub: rsp + 8 * cfa_words, + 8 when (rip & 15) >= rbp_words */
	HS_CFA_END,	 /* return address undefined: outermost frame (_start, thread start) */
	HS_CFA_RULE_COUNT,
};

struct hs_unwind_row {
	__u32 pc;	/* ELF virtual address where this rule starts */
	__u8 cfa_rule;	/* enum hs_cfa_rule */
	__s8 rbp_words; /* caller's rbp at CFA + 8 * rbp_words; 0: unchanged (PLT: threshold) */
	__u16 cfa_words;
};

struct hs_unwind_object {
	__u32 first_row; /* index in unwind_rows */
	__u32 row_count;
};

struct hs_unwind_mapping {
	__u64 start, end; /* runtime addresses [start, end) */
	__u64 bias;	  /* runtime address - ELF virtual address */
	__u32 object;	  /* index in unwind_objects, or HS_UNWIND_NO_TABLE */
	__u32 reserved;
};

struct hs_unwind_process {
	__u32 count;	  /* mappings[] used, sorted by start */
	__u32 generation; /* new at each publishing (never 0): the row cache's key */
	struct hs_unwind_mapping mappings[HS_UNWIND_MAX_MAPPINGS];
};

/* One slot of the walker's per-CPU row cache (unwind_row_cache, unwind.bpf.h). */
struct hs_row_cache_entry {
	__u64 pc;
	__u32 pid;
	__u32 generation;
	struct hs_unwind_row row;
	__u64 check; /* over the fields above: a half-written entry does not match */
};

/* Per-CPU counters of the DWARF walker (unwind_stats). */
enum hs_unwind_stat {
	HS_UNWIND_STAT_CFI_FRAMES = 0, /* frames found through a table row */
	HS_UNWIND_STAT_FP_FRAMES,      /* frames found through the frame pointer instead */
	HS_UNWIND_STAT_UNKNOWN_PC,     /* a pc in no known mapping (new object? userspace looks) */
	HS_UNWIND_STAT_BAD_FRAME,      /* a step gave an impossible frame: the walk stopped */
	HS_UNWIND_STAT_COUNT,
};

#endif /* HEAPSCOPE_UNWIND_H */
