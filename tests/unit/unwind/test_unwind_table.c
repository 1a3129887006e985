// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_unwind_table.c - unwind tables built from real objects: the test
 * workloads (frame-pointer build, .debug_frame-only library) and the system's
 * libc.  Expected rules come from what the compiler and the linker emit on
 * x86_64: CFA = rsp + 8 at a function's first instruction, rbp saved at CFA-16
 * after push %rbp, the PLT expression, an undefined return address in _start.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "target/elf_object.h"
#include "unwind/unwind_table.h"

/* Workloads built beside this test (build/tests or, with SANITIZE=1, build-san/tests). */
#define TRUTH_FP "truth_fp"
#define TRUTH_LIB_DEBUG_FRAME "libtruth_dframe.so"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/* A path as it is; a bare name from the directory this test binary lives in. */
static int open_object(const char *path)
{
	char fixture[4200];

	if (!strchr(path, '/')) {
		if (check_fixture_path(fixture, sizeof(fixture), path))
			return -1;
		path = fixture;
	}
	return open(path, O_RDONLY);
}

static int build(const char *path, struct hs_unwind_table *table)
{
	int fd = open_object(path);
	Elf *elf = fd >= 0 && elf_version(EV_CURRENT) != EV_NONE ?
			   elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	int err = fd < 0 ? -errno :
		  elf && elf_kind(elf) == ELF_K_ELF ? hs_unwind_table_build(elf, table) : -ENOEXEC;

	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return err;
}

static uint64_t symbol_vaddr(const char *path, const char *name)
{
	struct hs_elf_object obj;
	const struct hs_symbol *sym;
	uint64_t vaddr = 0;
	int fd = open_object(path);
	Elf *elf = fd >= 0 && elf_version(EV_CURRENT) != EV_NONE ?
			   elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;

	if (elf && hs_elf_read(elf, &obj) == 0) {
		sym = hs_elf_symbol_named(&obj, name, HS_SYMBOLS_ALL);
		vaddr = sym ? sym->addr : 0;
		hs_elf_free(&obj);
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return vaddr;
}

static uint64_t section_vaddr(const char *path, const char *name)
{
	int fd = open_object(path);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;
	uint64_t vaddr = 0;
	size_t shstrndx;

	if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr shdr;
			const char *scn_name;

			if (gelf_getshdr(scn, &shdr) &&
			    (scn_name = elf_strptr(elf, shstrndx, shdr.sh_name)) &&
			    strcmp(scn_name, name) == 0)
				vaddr = shdr.sh_addr;
		}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return vaddr;
}

/* The invariant every table keeps: sorted, one row per pc, no two neighbours alike. */
static void check_sorted_and_merged(const struct hs_unwind_table *table)
{
	size_t bad_order = 0, repeated = 0;

	for (size_t i = 1; i < table->row_count; i++) {
		const struct hs_unwind_row *a = &table->rows[i - 1], *b = &table->rows[i];

		bad_order += a->pc >= b->pc;
		repeated += a->cfa_rule == b->cfa_rule && a->cfa_words == b->cfa_words &&
			    a->rbp_words == b->rbp_words;
	}
	CHECK(table->row_count > 0);
	CHECK_EQ(bad_order, 0);
	CHECK_EQ(repeated, 0);
}

static const struct hs_unwind_row *row_at(const struct hs_unwind_table *table, uint64_t vaddr)
{
	static const struct hs_unwind_row none = { .cfa_rule = HS_CFA_NONE };
	const struct hs_unwind_row *row = hs_unwind_table_find(table, vaddr);

	return row ? row : &none;
}

static void test_frame_pointer_function(void)
{
	struct hs_unwind_table table;
	uint64_t fn = symbol_vaddr(TRUTH_FP, "keep_malloc");

	CHECK_EQ(elf_version(EV_CURRENT) != EV_NONE, 1);
	CHECK_EQ(build(TRUTH_FP, &table), 0);
	CHECK(fn != 0);
	check_sorted_and_merged(&table);
	/* push %rbp; mov %rsp,%rbp: first instruction, after the push, after the mov */
	CHECK_EQ(row_at(&table, fn)->cfa_rule, HS_CFA_RSP);
	CHECK_EQ(row_at(&table, fn)->cfa_words, 1);
	CHECK_EQ(row_at(&table, fn)->rbp_words, 0);
	CHECK_EQ(row_at(&table, fn + 1)->cfa_rule, HS_CFA_RSP);
	CHECK_EQ(row_at(&table, fn + 1)->cfa_words, 2);
	CHECK_EQ(row_at(&table, fn + 1)->rbp_words, -2);
	CHECK_EQ(row_at(&table, fn + 4)->cfa_rule, HS_CFA_RBP);
	CHECK_EQ(row_at(&table, fn + 4)->cfa_words, 2);
	CHECK_EQ(row_at(&table, fn + 4)->rbp_words, -2);
	hs_unwind_table_free(&table);
}

static void test_ends_and_gaps(void)
{
	struct hs_unwind_table table;
	uint64_t start = symbol_vaddr(TRUTH_FP, "_start");
	uint64_t no_cfi = symbol_vaddr(TRUTH_FP, "deregister_tm_clones"); /* crtstuff: no FDE */
	uint64_t plt = section_vaddr(TRUTH_FP, ".plt");

	CHECK_EQ(build(TRUTH_FP, &table), 0);
	CHECK(start && no_cfi && plt);
	CHECK_EQ(row_at(&table, start)->cfa_rule, HS_CFA_END);
	CHECK_EQ(row_at(&table, no_cfi)->cfa_rule, HS_CFA_NONE);
	CHECK(hs_unwind_table_find(&table, table.rows[0].pc - 1) == NULL);
	/* A lazy PLT stub (16 bytes after PLT0): rsp + 8, + 8 from its 11th byte. */
	CHECK_EQ(row_at(&table, plt + 16)->cfa_rule, HS_CFA_PLT);
	CHECK_EQ(row_at(&table, plt + 16)->cfa_words, 1);
	CHECK_EQ(row_at(&table, plt + 16)->rbp_words, 11);
	hs_unwind_table_free(&table);
}

static void test_debug_frame_only(void)
{
	struct hs_unwind_table table;
	uint64_t fn = symbol_vaddr(TRUTH_LIB_DEBUG_FRAME, "lib_keep");

	CHECK_EQ(build(TRUTH_LIB_DEBUG_FRAME, &table), 0);
	CHECK(fn != 0);
	CHECK_EQ(table.fde_count, 1);
	check_sorted_and_merged(&table);
	const struct hs_unwind_row *first = row_at(&table, fn);

	CHECK_EQ(first->cfa_rule, HS_CFA_RSP);
	CHECK_EQ(first->cfa_words, 1);
	/* -O2 without frame pointer: the prologue pushes callee-saved registers */
	CHECK(first + 1 < table.rows + table.row_count);
	CHECK_EQ(first[1].cfa_rule, HS_CFA_RSP);
	CHECK_EQ(first[1].cfa_words, 2);
	hs_unwind_table_free(&table);
}

static void test_libc(void)
{
	struct hs_unwind_table table;
	size_t ends = 0;

	CHECK_EQ(build(LIBC, &table), 0);
	check_sorted_and_merged(&table);
	CHECK(table.fde_count > 1000);
	CHECK(table.row_count > table.fde_count);
	for (size_t i = 0; i < table.row_count; i++)
		ends += table.rows[i].cfa_rule == HS_CFA_END;
	CHECK(ends >= 1); /* a new thread's first frame (clone3) */
	CHECK_EQ(hs_unwind_table_bytes(&table), table.row_count * 8);
	hs_unwind_table_free(&table);
}

static void test_not_elf(void)
{
	struct hs_unwind_table table;

	CHECK_EQ(build("tests/unit/check.h", &table), -ENOEXEC);
	CHECK_EQ(table.row_count, 0);
}

/* A mutated /bin/true (a fuzz find) whose CFI names register 153092050: libdw would
 * allocate and clear gigabytes for every lookup (10 s for 116 rows), so no table. */
static void test_impossible_register(void)
{
	struct hs_unwind_table table;

	CHECK_EQ(build("tests/fuzz/regressions/fuzz_unwind_table/register-153092050", &table), -ERANGE);
	CHECK_EQ(table.row_count, 0);
}

int main(void)
{
	TEST(test_frame_pointer_function);
	TEST(test_ends_and_gaps);
	TEST(test_debug_frame_only);
	TEST(test_libc);
	TEST(test_not_elf);
	TEST(test_impossible_register);
	return check_summary();
}
