// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_source_lines.c - source lines (user/symbol/source_lines.c) on arbitrary bytes: debug
 * files inside a container are the attacker's.  Opens the input as an ELF
 * image with DWARF and looks up the start, middle and end of every address
 * range its .debug_aranges claim (and of its load segments when there are
 * none, to reach the scan of every unit's ranges), plus a few fixed addresses.
 */
#include <string.h>

#include "target/elf_object.h"
#include "fuzz.h"
#include "symbol/source_lines.h"

#define MAX_RANGES 64 /* lookups walk a unit's DIEs: keep each input fast */

static void check_find(struct hs_source_file *src, uint64_t vaddr)
{
	struct hs_source_line line;

	if (hs_source_file_find(src, vaddr, &line) == 0)
		FUZZ_ASSERT(line.line != 0 && line.file[0]);
	FUZZ_ASSERT(strnlen(line.file, sizeof(line.file)) < sizeof(line.file));
	FUZZ_ASSERT(strnlen(line.function_file, sizeof(line.function_file)) <
		    sizeof(line.function_file));
	FUZZ_ASSERT(line.function_line == 0 || line.function_file[0]);
}

static void check_range(struct hs_source_file *src, uint64_t start, uint64_t length)
{
	check_find(src, start);
	check_find(src, start + length / 2);
	if (length)
		check_find(src, start + length - 1);
}

static void use(struct hs_source_file *src, const void *image, size_t size)
{
	Dwarf_Aranges *aranges;
	size_t count = 0;

	if (dwarf_getaranges(src->dwarf, &aranges, &count) == 0) {
		for (size_t i = 0; i < count && i < MAX_RANGES; i++) {
			Dwarf_Addr start;
			Dwarf_Word length;

			if (dwarf_getarangeinfo(dwarf_onearange(aranges, i), &start, &length, NULL) == 0)
				check_range(src, start, length);
		}
	}
	if (!count) {
		struct hs_elf_object obj;

		if (hs_elf_read_memory(image, size, &obj) == 0) {
			for (size_t i = 0; i < obj.segment_count && i < MAX_RANGES; i++)
				check_range(src, obj.segments[i].vaddr, obj.segments[i].memsz);
			hs_elf_free(&obj);
		}
	}
	check_find(src, 0);
	check_find(src, ~0ULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *image = fuzz_image(data, size);
	struct hs_source_file src;

	if (!image)
		return 0;
	if (hs_source_file_open_memory(&src, image, size) == 0) {
		use(&src, image, size);
		hs_source_file_close(&src);
	}
	free(image);
	return 0;
}
