// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_elf_object.c - the ELF reader (user/target/elf_object.c) on arbitrary bytes: files
 * inside a container are the attacker's.  Reads the input as an ELF image,
 * then uses everything the symbolizer and the probe planner use: symbols by
 * address and by name, vaddr <-> file offset for symbols and segments, the
 * build-id as text.
 */
#include <string.h>

#include "target/elf_object.h"
#include "fuzz.h"

#define MAX_NAMED_LOOKUPS 64 /* hs_elf_symbol_named is a linear scan */

static void check_symbol_at(const struct hs_elf_object *obj, uint64_t vaddr)
{
	const struct hs_symbol *sym = hs_elf_symbol_at(obj, vaddr);

	if (sym) {
		FUZZ_ASSERT(sym >= obj->symbols && sym < obj->symbols + obj->symbol_count);
		FUZZ_ASSERT(sym->addr <= vaddr);
		FUZZ_ASSERT(sym->size == 0 || vaddr - sym->addr < sym->size);
	}
}

static void check_address(const struct hs_elf_object *obj, uint64_t vaddr)
{
	uint64_t offset, back;

	check_symbol_at(obj, vaddr);
	if (hs_elf_vaddr_to_offset(obj, vaddr, &offset) == 0)
		FUZZ_ASSERT(hs_elf_offset_to_vaddr(obj, offset, &back) == 0);
}

static void use(const struct hs_elf_object *obj)
{
	char hex[2 * HS_BUILD_ID_MAX + 1], small[5];

	FUZZ_ASSERT(obj->build_id_len <= HS_BUILD_ID_MAX);
	for (size_t i = 1; i < obj->symbol_count; i++)
		FUZZ_ASSERT(obj->symbols[i - 1].addr <= obj->symbols[i].addr);
	for (size_t i = 0; i < obj->symbol_count; i++) {
		const struct hs_symbol *sym = &obj->symbols[i];

		FUZZ_ASSERT(sym->name && sym->name[0]);
		check_address(obj, sym->addr);
		check_address(obj, sym->addr + sym->size - 1);
		check_address(obj, sym->addr + sym->size);
		if (i < MAX_NAMED_LOOKUPS) {
			const struct hs_symbol *named =
				hs_elf_symbol_named(obj, sym->name, HS_SYMBOLS_ALL);

			FUZZ_ASSERT(named && strcmp(named->name, sym->name) == 0);
			hs_elf_symbol_named(obj, sym->name, HS_SYMBOLS_DYNAMIC);
		}
	}
	for (size_t i = 0; i < obj->segment_count; i++) {
		const struct hs_load_segment *seg = &obj->segments[i];
		uint64_t vaddr;

		check_address(obj, seg->vaddr);
		check_address(obj, seg->vaddr + seg->filesz - 1);
		check_address(obj, seg->vaddr + seg->memsz);
		hs_elf_offset_to_vaddr(obj, seg->file_offset, &vaddr);
	}
	check_address(obj, 0);
	check_address(obj, ~0ULL);
	hs_elf_symbol_named(obj, "malloc", HS_SYMBOLS_DYNAMIC);
	hs_elf_build_id_hex(obj, hex, sizeof(hex));
	FUZZ_ASSERT(strlen(hex) == 2 * obj->build_id_len);
	hs_elf_build_id_hex(obj, small, sizeof(small));
	FUZZ_ASSERT(strlen(small) < sizeof(small));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *image = fuzz_image(data, size);
	struct hs_elf_object obj;

	if (!image)
		return 0;
	if (hs_elf_read_memory(image, size, &obj) == 0) {
		use(&obj);
		hs_elf_free(&obj);
	}
	free(image);
	return 0;
}
