/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_FDE_H
#define HEAPSCOPE_FDE_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* [lo, hi) of one function's code, as an FDE describes it. */
struct hs_pc_range {
	uint64_t lo, hi;
};

typedef int (*hs_fde_visit)(void *ctx, const struct hs_pc_range *range);

int hs_fde_walk(Elf *elf, Elf_Scn *scn, bool eh_frame, hs_fde_visit visit, void *ctx);
Elf_Scn *hs_fde_section(Elf *elf, const char *wanted);
int hs_fde_compare(const void *a, const void *b);
int hs_fde_ranges(Elf *elf, struct hs_pc_range **ranges, size_t *count);
const struct hs_pc_range *hs_fde_extent(const struct hs_pc_range *ranges, size_t count,
				       uint64_t vaddr);

#endif
