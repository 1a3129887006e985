/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_CODE_OBJECT_H
#define HEAPSCOPE_CODE_OBJECT_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target/elf_object.h"
#include "unwind/fde.h"

/* A GOT slot and what the dynamic linker puts there. */
struct hs_got_slot {
	uint64_t vaddr;
	const char *name; /* the symbol bound into it, or NULL */
	uint64_t target;  /* name NULL: a relative relocation's address in this object */
	bool known;	  /* name or target says what is there (not an ifunc, not a TLS slot) */
};

/* One ELF object's code, as the finder reads it. */
struct hs_code_object {
	Elf *elf;	      /* borrowed: must outlive the code object (slot names are its) */
	const uint8_t *image; /* the whole file, elf's */
	size_t image_len;
	struct hs_elf_object layout; /* load segments only: ELF address -> file offset */
	struct hs_pc_range *fdes;    /* sorted */
	size_t fde_count;
	struct hs_pc_range plt[4];   /* .plt, .plt.sec, .plt.got, .iplt */
	size_t plt_count;
	struct hs_got_slot *slots;   /* sorted by vaddr */
	size_t slot_count;
};

int hs_code_object_read(Elf *elf, struct hs_code_object *code);
void hs_code_object_free(struct hs_code_object *code);
const struct hs_got_slot *hs_code_object_slot(const struct hs_code_object *code, uint64_t vaddr);
bool hs_code_object_in_plt(const struct hs_code_object *code, uint64_t vaddr);

#endif
