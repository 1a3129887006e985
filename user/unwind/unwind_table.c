// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unwind_table.c - turn one ELF object's call frame information (.eh_frame,
 * and .debug_frame where present) into the compact rows the BPF stack walker
 * reads (layout in bpf/unwind.h).
 *
 * Owns: finding the functions the CFI describes, asking libdw for the rules at
 * every pc range of each, reducing libdw's answer to the few rules the walker
 * can follow, sorting and merging equal neighbours.
 * Does not own: evaluating CFI programs (libdw does: dwarf_cfi_addrframe gives
 * the rules at a pc and, through dwarf_frame_info, the pc range they hold for),
 * loading rows into BPF maps (unwind_maps.c), or which objects need a table.
 *
 * What libdw does not do and is written here:
 *  - list the FDEs: fde.c walks the raw entries, their pc ranges checked
 *    (and hostile CFI refused) before libdw evaluates any of them.
 *  - classify: libdw hands back DWARF expressions (DW_OP_bregx reg, off for
 *    def_cfa; call_frame_cfa [+ plus_uconst N] for an offset(N) register
 *    rule; the PLT stub's def_cfa_expression verbatim).  The walker has no
 *    expression evaluator, so the forms it can follow are recognised here;
 *    anything else (registers saved in other registers, signal frames,
 *    realigned stacks) becomes HS_CFA_NONE, a frame-pointer step, and is
 *    counted in unsupported_rows.
 *
 * Invariant: after hs_unwind_table_build, rows are sorted by pc and no two
 * neighbours hold the same rule; a pc between described functions or after
 * the last one falls on an HS_CFA_NONE row.
 */
#include "unwind/unwind_table.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

/* DWARF register numbers on x86_64. */
#define DWARF_RBP 6
#define DWARF_RSP 7
#define DWARF_RIP 16

/* Rows one object may have; an object with more is walked with frame pointers. */
#define MAX_ROWS_PER_OBJECT (16u << 20)

/* A gap narrower than this between two described functions is alignment
 * padding: no call returns into it, so it needs no row of its own. */
#define PADDING_BYTES 16

/* A row while building: FDE ends are weak rows, which a row that another FDE
 * starts at the same pc replaces. */
struct build_row {
	uint64_t pc;
	struct hs_unwind_row row;
	bool weak;
};

struct builder {
	struct build_row *rows;
	size_t count, capacity;
	struct hs_pc_range *eh_ranges; /* FDEs from .eh_frame, sorted once that pass is done */
	size_t eh_count, eh_capacity;
	Dwarf_CFI *cfi;		    /* the CFI the current pass evaluates */
	bool eh_pass;
	size_t fde_count, unsupported_rows;
};

static int add_row(struct builder *b, uint64_t pc, struct hs_unwind_row row, bool weak)
{
	if (b->count >= MAX_ROWS_PER_OBJECT)
		return -E2BIG;
	if (hs_array_reserve((void **)&b->rows, &b->capacity, b->count, sizeof(*b->rows), 1024))
		return -ENOMEM;
	b->rows[b->count++] = (struct build_row){ .pc = pc, .row = row, .weak = weak };
	return 0;
}

/* ---- Classifying libdw's rules ------------------------------------------ */

/* Is ops "DW_OP_breg<reg> off" (libdw spells def_cfa as DW_OP_bregx reg, off)? */
static bool base_register(const Dwarf_Op *ops, size_t nops, unsigned *reg, int64_t *offset)
{
	if (nops != 1)
		return false;
	if (ops[0].atom == DW_OP_bregx) {
		*reg = ops[0].number;
		*offset = (int64_t)ops[0].number2;
		return true;
	}
	if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		*reg = ops[0].atom - DW_OP_breg0;
		*offset = (int64_t)ops[0].number;
		return true;
	}
	return false;
}

/* Small literal of a DW_OP_lit<n>, or -1. */
static int literal(const Dwarf_Op *op)
{
	return op->atom >= DW_OP_lit0 && op->atom <= DW_OP_lit31 ? op->atom - DW_OP_lit0 : -1;
}

/*
 * The PLT stub expression binutils emits for .plt:
 *   breg7 (rsp) A; breg16 (rip) 0; lit15; and; lit<T>; ge; lit3; shl; plus
 * i.e. CFA = rsp + A, plus 8 once the stub has pushed (rip & 15 >= T).
 */
static bool plt_expression(const Dwarf_Op *ops, size_t nops, int64_t *offset, int *threshold)
{
	if (nops != 9 || ops[0].atom != DW_OP_breg0 + DWARF_RSP ||
	    ops[1].atom != DW_OP_breg0 + DWARF_RIP || ops[1].number != 0 ||
	    literal(&ops[2]) != 15 || ops[3].atom != DW_OP_and || literal(&ops[4]) < 0 ||
	    ops[5].atom != DW_OP_ge || literal(&ops[6]) != 3 || ops[7].atom != DW_OP_shl ||
	    ops[8].atom != DW_OP_plus)
		return false;
	*offset = (int64_t)ops[0].number;
	*threshold = literal(&ops[4]);
	return true;
}

enum reg_rule { REG_SAME, REG_UNDEFINED, REG_AT_CFA, REG_OTHER };

/* Where the caller's value of a register is: unchanged, undefined, at CFA + offset,
 * or something the walker cannot follow. */
static enum reg_rule register_rule(Dwarf_Frame *frame, int reg, int64_t *offset)
{
	Dwarf_Op ops_mem[3], *ops;
	size_t nops;

	if (dwarf_frame_register(frame, reg, ops_mem, &ops, &nops))
		return REG_OTHER;
	if (nops == 0)
		return ops ? REG_UNDEFINED : REG_SAME;
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return REG_OTHER;
	if (nops == 1) {
		*offset = 0;
		return REG_AT_CFA;
	}
	if (nops == 2 && ops[1].atom == DW_OP_plus_uconst) {
		*offset = (int64_t)ops[1].number; /* libdw stores the signed offset here */
		return REG_AT_CFA;
	}
	return REG_OTHER; /* e.g. val_offset: a value, not a location */
}

static bool in_words(int64_t bytes, int64_t min_words, int64_t max_words, int64_t *words)
{
	if (bytes % 8)
		return false;
	*words = bytes / 8;
	return *words >= min_words && *words <= max_words;
}

/* The CFA rule of a row; false when the walker cannot follow it. */
static bool classify_cfa(Dwarf_Frame *frame, struct hs_unwind_row *row)
{
	Dwarf_Op *ops;
	size_t nops;
	unsigned reg;
	int64_t offset, words;
	int threshold;

	if (dwarf_frame_cfa(frame, &ops, &nops) || nops == 0)
		return false;
	if (base_register(ops, nops, &reg, &offset)) {
		if (reg != DWARF_RSP && reg != DWARF_RBP)
			return false;
		if (!in_words(offset, 0, UINT16_MAX, &words))
			return false;
		row->cfa_rule = reg == DWARF_RSP ? HS_CFA_RSP : HS_CFA_RBP;
		row->cfa_words = words;
		return true;
	}
	if (plt_expression(ops, nops, &offset, &threshold) &&
	    in_words(offset, 0, UINT16_MAX, &words)) {
		row->cfa_rule = HS_CFA_PLT;
		row->cfa_words = words;
		row->rbp_words = threshold;
		return true;
	}
	return false;
}

/* The walker's rule for one libdw frame state. */
static struct hs_unwind_row classify(Dwarf_Frame *frame, bool signal_frame, bool *supported)
{
	struct hs_unwind_row row = { .cfa_rule = HS_CFA_NONE };
	int64_t ra_offset = 0, rbp_offset = 0, words;
	enum reg_rule ra = register_rule(frame, DWARF_RIP, &ra_offset);
	enum reg_rule rbp;

	*supported = false;
	if (ra == REG_UNDEFINED) {
		row.cfa_rule = HS_CFA_END;
		*supported = true;
		return row;
	}
	if (signal_frame || ra != REG_AT_CFA || ra_offset != -8 || !classify_cfa(frame, &row))
		return (struct hs_unwind_row){ .cfa_rule = HS_CFA_NONE };
	if (row.cfa_rule == HS_CFA_PLT) {
		*supported = true;
		return row;
	}
	rbp = register_rule(frame, DWARF_RBP, &rbp_offset);
	if (rbp == REG_AT_CFA && in_words(rbp_offset, INT8_MIN, -1, &words))
		row.rbp_words = words;
	else if (rbp != REG_SAME && rbp != REG_UNDEFINED)
		return (struct hs_unwind_row){ .cfa_rule = HS_CFA_NONE };
	*supported = true;
	return row;
}

/* ---- Building ------------------------------------------------------------ */

static bool overlaps_eh_frame(const struct builder *b, const struct hs_pc_range *range)
{
	size_t lo = 0, hi = b->eh_count;

	while (lo < hi) { /* first eh range ending after range->lo */
		size_t mid = lo + (hi - lo) / 2;

		if (b->eh_ranges[mid].hi <= range->lo)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->eh_count && b->eh_ranges[lo].lo < range->hi;
}

/* One row per pc range libdw reports inside the FDE, then a weak end row. */
static int add_fde_rows(struct builder *b, const struct hs_pc_range *range)
{
	uint64_t pc = range->lo;
	int err = 0;

	if (b->eh_pass) {
		if (hs_array_reserve((void **)&b->eh_ranges, &b->eh_capacity, b->eh_count,
				     sizeof(*b->eh_ranges), 256))
			return -ENOMEM;
		b->eh_ranges[b->eh_count++] = *range;
	} else if (overlaps_eh_frame(b, range)) {
		return 0; /* .eh_frame describes it already */
	}
	b->fde_count++;
	while (!err && pc < range->hi) {
		Dwarf_Frame *frame;
		Dwarf_Addr start, end;
		bool signal_frame = false, supported;
		struct hs_unwind_row row;

		if (dwarf_cfi_addrframe(b->cfi, pc, &frame))
			break; /* unreadable: the end row below makes it a frame-pointer step */
		if (dwarf_frame_info(frame, &start, &end, &signal_frame) < 0)
			end = range->hi;
		row = classify(frame, signal_frame, &supported);
		free(frame);
		b->unsupported_rows += !supported;
		err = add_row(b, pc, row, false);
		if (end <= pc)
			break;
		pc = end;
	}
	return err ? err : add_row(b, range->hi, (struct hs_unwind_row){ .cfa_rule = HS_CFA_NONE },
				   true);
}

static int visit_fde_rows(void *ctx, const struct hs_pc_range *range)
{
	return add_fde_rows(ctx, range);
}

static int accept_fde(void *ctx, const struct hs_pc_range *range)
{
	(void)ctx;
	(void)range;
	return 0;
}

static int add_section_rows(struct builder *b, Elf *elf, Elf_Scn *scn, bool eh_frame)
{
	int err;

	b->eh_pass = eh_frame;
	/* Every FDE checked before libdw evaluates any: it may look up another one. */
	err = hs_fde_walk(elf, scn, eh_frame, accept_fde, NULL);
	if (!err)
		err = hs_fde_walk(elf, scn, eh_frame, visit_fde_rows, b);
	if (eh_frame && b->eh_count)
		qsort(b->eh_ranges, b->eh_count, sizeof(*b->eh_ranges), hs_fde_compare);
	return err;
}

/* By pc; at one pc a real row before a weak one. */
static int compare_build_rows(const void *a, const void *b)
{
	const struct build_row *x = a, *y = b;

	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	return (int)x->weak - (int)y->weak;
}

static bool same_rule(const struct hs_unwind_row *a, const struct hs_unwind_row *b)
{
	return a->cfa_rule == b->cfa_rule && a->cfa_words == b->cfa_words &&
	       a->rbp_words == b->rbp_words;
}

/* A weak row that only covers the padding before the next function. */
static bool covers_padding(const struct builder *b, size_t i)
{
	const struct build_row *next = i + 1 < b->count ? &b->rows[i + 1] : NULL;

	return b->rows[i].weak && next && !next->weak && next->pc - b->rows[i].pc < PADDING_BYTES;
}

/* Sort, keep one row per pc, drop rows that repeat their predecessor's rule. */
static int finish(struct builder *b, struct hs_unwind_table *table)
{
	size_t kept = 0;

	qsort(b->rows, b->count, sizeof(*b->rows), compare_build_rows);
	if (b->count && b->rows[b->count - 1].pc > UINT32_MAX)
		return -ERANGE; /* rows hold 32-bit pcs */
	table->rows = calloc(b->count ? b->count : 1, sizeof(*table->rows));
	if (!table->rows)
		return -ENOMEM;
	for (size_t i = 0; i < b->count; i++) {
		struct hs_unwind_row row = b->rows[i].row;

		if ((i > 0 && b->rows[i - 1].pc == b->rows[i].pc) || covers_padding(b, i))
			continue; /* the first row at a pc is the one that holds */
		if (kept > 0 && same_rule(&table->rows[kept - 1], &row))
			continue;
		row.pc = (uint32_t)b->rows[i].pc;
		table->rows[kept++] = row;
	}
	table->row_count = kept;
	table->fde_count = b->fde_count;
	table->unsupported_rows = b->unsupported_rows;
	return 0;
}

/* Build the table of an x86_64 ELF object.  -ENOENT when it has no CFI, -ERANGE
 * when its CFI names registers no x86_64 object has (MAX_CFI_REGISTER). */
int hs_unwind_table_build(Elf *elf, struct hs_unwind_table *table)
{
	struct builder b = { 0 };
	GElf_Ehdr ehdr;
	Elf_Scn *eh_frame, *debug_frame;
	Dwarf *dwarf = NULL;
	int err = 0;

	memset(table, 0, sizeof(*table));
	if (!gelf_getehdr(elf, &ehdr) || ehdr.e_machine != EM_X86_64 ||
	    ehdr.e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOTSUP;
	eh_frame = hs_fde_section(elf, ".eh_frame");
	debug_frame = hs_fde_section(elf, ".debug_frame");
	if (eh_frame && (b.cfi = dwarf_getcfi_elf(elf))) {
		err = add_section_rows(&b, elf, eh_frame, true);
		dwarf_cfi_end(b.cfi);
	}
	if (!err && debug_frame && (dwarf = dwarf_begin_elf(elf, DWARF_C_READ, NULL)) &&
	    (b.cfi = dwarf_getcfi(dwarf)))
		err = add_section_rows(&b, elf, debug_frame, false);
	if (dwarf)
		dwarf_end(dwarf);
	if (!err)
		err = b.count ? finish(&b, table) : -ENOENT;
	free(b.rows);
	free(b.eh_ranges);
	if (err)
		hs_unwind_table_free(table);
	return err;
}

static int compare_vaddr_row(const void *key, const void *item)
{
	uint64_t vaddr = *(const uint64_t *)key;
	const struct hs_unwind_row *row = item;

	return vaddr < row->pc ? -1 : vaddr > row->pc;
}

/* The row that holds at vaddr (the last one at or below it), or NULL. */
const struct hs_unwind_row *hs_unwind_table_find(const struct hs_unwind_table *table,
						 uint64_t vaddr)
{
	size_t at = hs_array_upper_bound(table->rows, table->row_count, sizeof(*table->rows),
					 &vaddr, compare_vaddr_row);

	return at ? &table->rows[at - 1] : NULL;
}

size_t hs_unwind_table_bytes(const struct hs_unwind_table *table)
{
	return table->row_count * sizeof(*table->rows);
}

void hs_unwind_table_free(struct hs_unwind_table *table)
{
	free(table->rows);
	memset(table, 0, sizeof(*table));
}
