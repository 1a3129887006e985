// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_unwind_table.c - the unwind table builder (user/unwind/unwind_table.c) on arbitrary
 * bytes: the .eh_frame and .debug_frame of files inside a container are the
 * attacker's, and their rows end up in BPF maps.  Builds the table from the
 * input read as an ELF image, then checks its invariant and looks up every
 * row's pc and its neighbours.
 */
#include <gelf.h>
#include <string.h>

#include "fuzz.h"
#include "unwind/unwind_table.h"

static void check_table(const struct hs_unwind_table *table)
{
	for (size_t i = 0; i < table->row_count; i++) {
		const struct hs_unwind_row *row = &table->rows[i];

		/* Sorted, one row per pc, no row repeating its predecessor's rule. */
		if (i > 0) {
			const struct hs_unwind_row *prev = &table->rows[i - 1];

			FUZZ_ASSERT(prev->pc < row->pc);
			FUZZ_ASSERT(prev->cfa_rule != row->cfa_rule ||
				    prev->cfa_words != row->cfa_words ||
				    prev->rbp_words != row->rbp_words);
		}
		FUZZ_ASSERT(hs_unwind_table_find(table, row->pc) == row);
		if (row->pc > 0)
			FUZZ_ASSERT(hs_unwind_table_find(table, row->pc - 1) ==
				    (i > 0 ? row - 1 : NULL));
	}
	FUZZ_ASSERT(hs_unwind_table_bytes(table) == table->row_count * sizeof(table->rows[0]));
	hs_unwind_table_find(table, 0);
	hs_unwind_table_find(table, ~0ULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *image = fuzz_image(data, size);
	struct hs_unwind_table table;
	Elf *elf;

	if (!image || elf_version(EV_CURRENT) == EV_NONE) {
		free(image);
		return 0;
	}
	elf = elf_memory(image, size);
	if (elf && elf_kind(elf) == ELF_K_ELF && hs_unwind_table_build(elf, &table) == 0) {
		check_table(&table);
		hs_unwind_table_free(&table);
	}
	if (elf)
		elf_end(elf);
	free(image);
	return 0;
}
