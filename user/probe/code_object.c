// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * code_object.c - one ELF object's code as the ret-site finder reads it: the
 * file's bytes, its load segments, the extent of every function .eh_frame
 * describes, its PLT sections and what each GOT slot will hold.
 *
 * Owns: the tables read from the section headers and relocations (sorted
 * GOT slots, PLT ranges) and the FDE extents.  Does not own: the libelf
 * handle nor the file's bytes (the object cache's, target/objects.c: they
 * outlive this), where a name binds, nor the walk (ret_sites.c).
 *
 * Input is untrusted: every section and relocation comes through libelf's
 * checked accessors; a slot whose content cannot be known says so (known
 * false) instead of guessing.
 */
#include "probe/code_object.h"

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

static const char *const plt_sections[] = { ".plt", ".plt.sec", ".plt.got", ".iplt" };

static void add_plt_section(struct hs_code_object *code, const char *name, const GElf_Shdr *shdr)
{
	for (size_t i = 0; i < sizeof(plt_sections) / sizeof(plt_sections[0]); i++)
		if (strcmp(name, plt_sections[i]) == 0 && code->plt_count < 4)
			code->plt[code->plt_count++] =
				(struct hs_pc_range){ shdr->sh_addr, shdr->sh_addr + shdr->sh_size };
}

/* What one dynamic relocation puts into its slot. */
static struct hs_got_slot slot_of(Elf *elf, const GElf_Shdr *rela_shdr, const GElf_Rela *rela)
{
	struct hs_got_slot slot = { .vaddr = rela->r_offset };
	size_t symbol = GELF_R_SYM(rela->r_info);
	Elf_Scn *symtab = elf_getscn(elf, rela_shdr->sh_link);
	Elf_Data *data = symtab ? elf_getdata(symtab, NULL) : NULL;
	GElf_Shdr symtab_shdr;
	GElf_Sym sym;

	switch (GELF_R_TYPE(rela->r_info)) {
	case R_X86_64_RELATIVE:
		slot.target = (uint64_t)rela->r_addend;
		slot.known = true;
		return slot;
	case R_X86_64_JUMP_SLOT:
	case R_X86_64_GLOB_DAT:
	case R_X86_64_64:
		break;
	default:
		return slot; /* ifunc (IRELATIVE), TLS, ...: not a function the walk can read */
	}
	if (symbol == 0 || !data || !gelf_getshdr(symtab, &symtab_shdr) ||
	    !gelf_getsym(data, (int)symbol, &sym) || rela->r_addend != 0)
		return slot; /* an addend: not the function's entry */
	slot.name = elf_strptr(elf, symtab_shdr.sh_link, sym.st_name);
	slot.known = slot.name != NULL;
	return slot;
}

static int add_slots(struct hs_code_object *code, Elf_Scn *scn, const GElf_Shdr *shdr,
		     size_t *capacity)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count = shdr->sh_entsize ? shdr->sh_size / shdr->sh_entsize : 0;

	for (size_t i = 0; data && i < count; i++) {
		GElf_Rela rela;

		if (!gelf_getrela(data, (int)i, &rela))
			break;
		if (hs_array_reserve((void **)&code->slots, capacity, code->slot_count,
				     sizeof(*code->slots), 64))
			return -ENOMEM;
		code->slots[code->slot_count++] = slot_of(code->elf, shdr, &rela);
	}
	return 0;
}

static int compare_slots(const void *a, const void *b)
{
	const struct hs_got_slot *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* PLT sections and GOT slots, from the section headers. */
static int read_sections(struct hs_code_object *code)
{
	size_t shstrndx, capacity = 0;
	Elf_Scn *scn = NULL;
	int err = 0;

	if (elf_getshdrstrndx(code->elf, &shstrndx))
		return -ENOEXEC;
	while (!err && (scn = elf_nextscn(code->elf, scn))) {
		GElf_Shdr shdr;
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_RELA)
			err = add_slots(code, scn, &shdr, &capacity);
		else if ((name = elf_strptr(code->elf, shstrndx, shdr.sh_name)))
			add_plt_section(code, name, &shdr);
	}
	if (code->slot_count)
		qsort(code->slots, code->slot_count, sizeof(*code->slots), compare_slots);
	return err;
}

/*
 * Read the code of the object libelf reads as elf, which must outlive code:
 * the image and the slots' names are elf's.  -ENOEXEC for a file that is not
 * an x86_64 ELF object, -ENOENT for one without .eh_frame.
 */
int hs_code_object_read(Elf *elf, struct hs_code_object *code)
{
	GElf_Ehdr ehdr;
	int err;

	memset(code, 0, sizeof(*code));
	code->elf = elf;
	code->image = (const uint8_t *)elf_rawfile(elf, &code->image_len);
	if (elf_kind(elf) != ELF_K_ELF || !code->image || !gelf_getehdr(elf, &ehdr) ||
	    ehdr.e_machine != EM_X86_64 || ehdr.e_ident[EI_CLASS] != ELFCLASS64)
		err = -ENOEXEC;
	else
		err = hs_elf_read_segments(elf, &code->layout);
	if (!err)
		err = hs_fde_ranges(elf, &code->fdes, &code->fde_count);
	if (!err)
		err = read_sections(code);
	if (err)
		hs_code_object_free(code);
	return err;
}

void hs_code_object_free(struct hs_code_object *code)
{
	hs_elf_free(&code->layout);
	free(code->fdes);
	free(code->slots);
	memset(code, 0, sizeof(*code));
}

/* The GOT slot at vaddr, or NULL. */
const struct hs_got_slot *hs_code_object_slot(const struct hs_code_object *code, uint64_t vaddr)
{
	const struct hs_got_slot key = { .vaddr = vaddr };

	return code->slot_count ? bsearch(&key, code->slots, code->slot_count, sizeof(*code->slots),
					  compare_slots)
				: NULL;
}

/* Is vaddr in one of the PLT sections? */
bool hs_code_object_in_plt(const struct hs_code_object *code, uint64_t vaddr)
{
	for (size_t i = 0; i < code->plt_count; i++)
		if (vaddr >= code->plt[i].lo && vaddr < code->plt[i].hi)
			return true;
	return false;
}
