/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_UNWIND_TABLE_H
#define HEAPSCOPE_UNWIND_TABLE_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind.h"
#include "unwind/fde.h"

/* One object's unwind table: rows sorted by pc, no two neighbours alike. */
struct hs_unwind_table {
	struct hs_unwind_row *rows;
	size_t row_count;
	size_t fde_count;	 /* functions (FDEs) described, .eh_frame and .debug_frame */
	size_t unsupported_rows; /* CFI rules the walker cannot follow: frame pointer there */
};

int hs_unwind_table_build(Elf *elf, struct hs_unwind_table *table);
const struct hs_unwind_row *hs_unwind_table_find(const struct hs_unwind_table *table,
						 uint64_t vaddr);
void hs_unwind_table_free(struct hs_unwind_table *table);
size_t hs_unwind_table_bytes(const struct hs_unwind_table *table);

#endif
