// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fde.c - list the functions an ELF object's call frame information describes:
 * the pc range of every FDE in .eh_frame or .debug_frame, read from the raw
 * section, since libdw looks an FDE up by pc but cannot iterate over them.
 *
 * Owns: walking the raw CFI entries (dwarf_next_cfi), decoding an FDE's
 * initial location and range with the pointer encoding of its CIE's
 * augmentation ("zR", "zPLR": usually pc-relative sdata4), and refusing CFI
 * that names registers no x86_64 object has before libdw evaluates any of it.
 * Does not own: the rules at each pc (unwind_table.c asks libdw), nor what the
 * extents are used for (unwind tables, the ret-site finder's function bounds).
 *
 * Input is untrusted: every read is bounded by the section's data, and a
 * hostile section (registers beyond MAX_CFI_REGISTER) is refused whole.
 */
#include "unwind/fde.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

/* Read one encoded pointer (DW_EH_PE_*) at *p; field_vaddr is the ELF address
 * of the field, for pc-relative values. */
static int read_encoded(const uint8_t **p, const uint8_t *end, uint8_t encoding,
			uint64_t field_vaddr, uint64_t *value)
{
	size_t size;
	uint64_t raw = 0;

	switch (encoding & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		size = 8;
		break;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		size = 4;
		break;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		size = 2;
		break;
	default:
		return -ENOTSUP; /* LEB128 pointers: not produced by x86_64 toolchains */
	}
	if ((size_t)(end - *p) < size)
		return -EINVAL;
	memcpy(&raw, *p, size); /* little-endian: x86_64 objects only */
	if ((encoding & DW_EH_PE_signed) && size < 8 && (raw >> (size * 8 - 1)))
		raw |= ~0ull << (size * 8);
	switch (encoding & 0x70) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		raw += field_vaddr;
		break;
	default:
		return -ENOTSUP;
	}
	*p += size;
	*value = raw;
	return 0;
}

/* The encoding of FDE addresses, from a CIE's augmentation ('R'). */
static int fde_encoding(const Dwarf_CIE *cie, uint8_t *encoding)
{
	const uint8_t *data = cie->augmentation_data;
	const uint8_t *end = data + cie->augmentation_data_size;
	const char *aug = cie->augmentation;
	uint64_t ignored;

	*encoding = DW_EH_PE_absptr;
	if (aug[0] != 'z')
		return aug[0] == '\0' ? 0 : -ENOTSUP;
	for (aug++; *aug; aug++) {
		switch (*aug) {
		case 'R':
			if (data >= end)
				return -EINVAL;
			*encoding = *data;
			return 0;
		case 'L':
			data++;
			break;
		case 'P': /* personality routine: an encoding byte, then a pointer to skip */
			if (data >= end)
				return -EINVAL;
			uint8_t personality = *data++;

			if (read_encoded(&data, end, personality & 0x0f, 0, &ignored))
				return -ENOTSUP;
			break;
		case 'S': /* signal frame */
		case 'B': /* arm64 pointer authentication */
		case 'G': /* memory tagging */
			break;
		default:
			return -ENOTSUP;
		}
	}
	return 0;
}

/*
 * Register numbers a CFI program may name.  libdw sizes every frame it
 * evaluates by the highest register its CIE and FDE name: a hostile file naming
 * register 153092050 made each lookup allocate and clear gigabytes (10 s for
 * 116 rows).  x86_64's DWARF registers end below 130.
 */
#define MAX_CFI_REGISTER 255

/* One LEB128 number at *p (signed ones are skipped the same way); false past end
 * or beyond 64 bits. */
static bool read_leb(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
	*value = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t byte = *(*p)++;

		*value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return true;
	}
	return false;
}

/* A register operand: within MAX_CFI_REGISTER. */
static bool read_register(const uint8_t **p, const uint8_t *end)
{
	uint64_t reg;

	return read_leb(p, end, &reg) && reg <= MAX_CFI_REGISTER;
}

/* Skip a LEB128 length and the block it measures. */
static bool skip_block(const uint8_t **p, const uint8_t *end)
{
	uint64_t len;

	if (!read_leb(p, end, &len) || len > (uint64_t)(end - *p))
		return false;
	*p += len;
	return true;
}

/*
 * Does the CFA program [p, end) name only registers up to MAX_CFI_REGISTER, in
 * operations this scan knows?  Operand lengths only: nothing is evaluated (libdw
 * does that).  DW_CFA_set_loc (an encoded address) and vendor operations are
 * not known: such a program is refused too.
 */
static bool registers_bounded(const uint8_t *p, const uint8_t *end)
{
	uint64_t ignored;
	bool ok = true;

	while (ok && p < end) {
		uint8_t op = *p++;

		switch (op & 0xc0) {
		case DW_CFA_advance_loc:
		case DW_CFA_restore: /* register in the low 6 bits */
			continue;
		case DW_CFA_offset:
			ok = read_leb(&p, end, &ignored);
			continue;
		}
		switch (op) {
		case DW_CFA_nop:
		case DW_CFA_remember_state:
		case DW_CFA_restore_state:
			break;
		case DW_CFA_advance_loc1:
		case DW_CFA_advance_loc2:
		case DW_CFA_advance_loc4: {
			size_t size = op == DW_CFA_advance_loc1 ? 1 : op == DW_CFA_advance_loc2 ? 2 : 4;

			ok = (size_t)(end - p) >= size;
			p += ok ? size : 0;
			break;
		}
		case DW_CFA_def_cfa_offset:
		case DW_CFA_def_cfa_offset_sf:
		case DW_CFA_GNU_args_size:
			ok = read_leb(&p, end, &ignored);
			break;
		case DW_CFA_def_cfa_expression:
			ok = skip_block(&p, end);
			break;
		case DW_CFA_restore_extended:
		case DW_CFA_undefined:
		case DW_CFA_same_value:
		case DW_CFA_def_cfa_register:
			ok = read_register(&p, end);
			break;
		case DW_CFA_offset_extended:
		case DW_CFA_offset_extended_sf:
		case DW_CFA_def_cfa:
		case DW_CFA_def_cfa_sf:
		case DW_CFA_val_offset:
		case DW_CFA_val_offset_sf:
		case DW_CFA_GNU_negative_offset_extended:
			ok = read_register(&p, end) && read_leb(&p, end, &ignored);
			break;
		case DW_CFA_register:
			ok = read_register(&p, end) && read_register(&p, end);
			break;
		case DW_CFA_expression:
		case DW_CFA_val_expression:
			ok = read_register(&p, end) && skip_block(&p, end);
			break;
		default:
			ok = false;
		}
	}
	return ok;
}

/* A raw CFI section and how to read its FDEs. */
struct cfi_section {
	const unsigned char *ident;
	Elf_Data *data;
	uint64_t vaddr; /* sh_addr, for pc-relative pointers */
	bool eh_frame;
	Dwarf_Off cie_offset; /* the CIE whose encoding is cached */
	uint8_t cie_encoding;
	bool cie_usable;
	bool cie_augmented; /* 'z': FDEs have augmentation data before their instructions */
	bool cie_bounded;   /* its return address column and initial instructions: registers_bounded */
};

static void read_cie(struct cfi_section *s, Dwarf_Off offset)
{
	Dwarf_CFI_Entry entry;
	Dwarf_Off next;

	s->cie_offset = offset;
	s->cie_usable =
		dwarf_next_cfi(s->ident, s->data, s->eh_frame, offset, &next, &entry) == 0 &&
		dwarf_cfi_cie_p(&entry) && fde_encoding(&entry.cie, &s->cie_encoding) == 0;
	s->cie_augmented = s->cie_usable && entry.cie.augmentation[0] == 'z';
	s->cie_bounded = s->cie_usable &&
			 entry.cie.return_address_register <= MAX_CFI_REGISTER &&
			 registers_bounded(entry.cie.initial_instructions,
					   entry.cie.initial_instructions_end);
}

/*
 * [lo, hi) of an FDE; -ENOENT for one to skip (unreadable, or empty), -ERANGE
 * when it or its CIE names a register beyond MAX_CFI_REGISTER (or an operation
 * registers_bounded does not know).
 */
static int fde_range(struct cfi_section *s, const Dwarf_FDE *fde, struct hs_pc_range *range)
{
	const uint8_t *p = fde->start;
	uint64_t length;

	if (fde->CIE_pointer != s->cie_offset)
		read_cie(s, fde->CIE_pointer);
	if (!s->cie_usable)
		return -ENOENT;
	uint64_t field_vaddr = s->vaddr + (uint64_t)(p - (const uint8_t *)s->data->d_buf);

	if (read_encoded(&p, fde->end, s->cie_encoding, field_vaddr, &range->lo) ||
	    read_encoded(&p, fde->end, s->cie_encoding & 0x0f, 0, &length) || length == 0 ||
	    range->lo + length < range->lo)
		return -ENOENT;
	range->hi = range->lo + length;
	if (s->cie_augmented && !skip_block(&p, fde->end))
		return -ENOENT;
	return s->cie_bounded && registers_bounded(p, fde->end) ? 0 : -ERANGE;
}

/* qsort order of FDE extents: by start. */
int hs_fde_compare(const void *a, const void *b)
{
	const struct hs_pc_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Call visit with the pc range of every readable FDE in a CFI section, in section order. */
int hs_fde_walk(Elf *elf, Elf_Scn *scn, bool eh_frame, hs_fde_visit visit, void *ctx)
{
	GElf_Shdr shdr;
	Elf_Data *data;
	Dwarf_Off offset = 0, next;
	int err = 0;

	if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
		return 0;
	if ((shdr.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return 0;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf)
		return 0;
	struct cfi_section section = {
		.ident = (const unsigned char *)elf_getident(elf, NULL),
		.data = data,
		.vaddr = shdr.sh_addr,
		.eh_frame = eh_frame,
		.cie_offset = (Dwarf_Off)-1,
	};
	while (!err) {
		Dwarf_CFI_Entry entry;
		struct hs_pc_range range;
		int rc = dwarf_next_cfi(section.ident, data, eh_frame, offset, &next, &entry);

		if (rc > 0 || next == (Dwarf_Off)-1 || next <= offset)
			break;
		offset = next;
		if (rc != 0 || dwarf_cfi_cie_p(&entry))
			continue;
		rc = fde_range(&section, &entry.fde, &range);
		if (rc == 0)
			err = visit(ctx, &range);
		else if (rc == -ERANGE)
			err = rc; /* a hostile section: none of it goes to libdw */
	}
	return err;
}

/* The section named wanted, or NULL. */
Elf_Scn *hs_fde_section(Elf *elf, const char *wanted)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;

		if (gelf_getshdr(scn, &shdr) && (name = elf_strptr(elf, shstrndx, shdr.sh_name)) &&
		    strcmp(name, wanted) == 0)
			return scn;
	}
	return NULL;
}

struct fde_list {
	struct hs_pc_range *ranges;
	size_t count, capacity;
};

static int collect_fde(void *ctx, const struct hs_pc_range *range)
{
	struct fde_list *list = ctx;

	if (hs_array_reserve((void **)&list->ranges, &list->capacity, list->count,
			     sizeof(*list->ranges), 256))
		return -ENOMEM;
	list->ranges[list->count++] = *range;
	return 0;
}

/*
 * The extent of every function .eh_frame describes, sorted by start: where a
 * function's code begins and ends, symbol or not (a compiler's .cold part, a
 * static helper).  -ENOENT when the object has no .eh_frame.
 */
int hs_fde_ranges(Elf *elf, struct hs_pc_range **ranges, size_t *count)
{
	struct fde_list list = { 0 };
	Elf_Scn *eh_frame = hs_fde_section(elf, ".eh_frame");
	int err = eh_frame ? hs_fde_walk(elf, eh_frame, true, collect_fde, &list) : -ENOENT;

	if (!err && list.count == 0)
		err = -ENOENT;
	if (err) {
		free(list.ranges);
		return err;
	}
	qsort(list.ranges, list.count, sizeof(*list.ranges), hs_fde_compare);
	*ranges = list.ranges;
	*count = list.count;
	return 0;
}

static int compare_vaddr_range(const void *key, const void *item)
{
	uint64_t vaddr = *(const uint64_t *)key;
	const struct hs_pc_range *range = item;

	return vaddr < range->lo ? -1 : vaddr > range->lo;
}

/* The FDE extent among sorted ranges that holds vaddr, or NULL. */
const struct hs_pc_range *hs_fde_extent(const struct hs_pc_range *ranges, size_t count,
				       uint64_t vaddr)
{
	size_t at = hs_array_upper_bound(ranges, count, sizeof(*ranges), &vaddr,
					 compare_vaddr_range);

	return at && vaddr < ranges[at - 1].hi ? &ranges[at - 1] : NULL;
}
