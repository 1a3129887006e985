// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_probe_site.c - user/probe/probe_site.c on known function prologues: the site
 * it chooses, the instruction there, and whether the kernel emulates it.
 */
#include <string.h>

#include "check.h"
#include "probe/probe_site.h"

static struct hs_site_choice choose(const uint8_t *bytes, size_t len, bool complete,
				    uint32_t arg_regs, bool return_probe)
{
	struct hs_function_code code = { .bytes = bytes, .len = len, .complete = complete };
	struct hs_site_needs needs = { .arg_regs = arg_regs, .return_probe = return_probe };
	struct hs_site_choice choice;

	CHECK_EQ(hs_probe_site_choose(&code, &needs, &choice), 0);
	return choice;
}

#define CHOOSE(bytes, complete, args, ret) choose(bytes, sizeof(bytes), complete, args, ret)

/* Debian 12 glibc 2.36 free: test %rdi,%rdi; je; push %rbp; lea -0x10(%rdi),%rsi ... */
static const uint8_t glibc_free[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, 0x55,
				      0x48, 0x8d, 0x77, 0xf0, 0x53, 0x48, 0x83, 0xec, 0x18 };

static void free_moves_to_the_je(void)
{
	struct hs_site_choice c = CHOOSE(glibc_free, true, HS_ARG_RDI, false);

	CHECK_EQ(c.offset, 3);
	CHECK(strcmp(c.mnemonic, "je") == 0);
	CHECK(c.emulated);
	CHECK_EQ(c.stack_adjust_bytes, 0);
}

/* Without the whole function, jumps into the skipped bytes cannot be ruled out. */
static void incomplete_code_stays_at_the_entry(void)
{
	struct hs_site_choice c = CHOOSE(glibc_free, false, HS_ARG_RDI, false);

	CHECK_EQ(c.offset, 0);
	CHECK(strcmp(c.mnemonic, "test") == 0);
	CHECK(!c.emulated);
}

/* glibc malloc: push %r12; push %rbp; push %rbx; mov %rdi,%rbx; sub $0x10,%rsp */
static void malloc_stays_on_its_push(void)
{
	static const uint8_t code[] = { 0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb,
					0x48, 0x83, 0xec, 0x10 };
	struct hs_site_choice c = CHOOSE(code, true, HS_ARG_RDI, true);

	CHECK_EQ(c.offset, 0);
	CHECK(strcmp(c.mnemonic, "push") == 0);
	CHECK(c.emulated);
}

/* mimalloc malloc: mov rip,%rax; mov %rdi,%rsi; mov %fs:(%rax),%rdi; cmp; ja:
 * the size leaves rdi before any emulated instruction. */
static void argument_overwritten_stays_at_the_entry(void)
{
	static const uint8_t code[] = { 0x48, 0x8b, 0x05, 0x49, 0xb4, 0x00, 0x00, 0x48, 0x89, 0xfe,
					0x64, 0x48, 0x8b, 0x38, 0x48, 0x81, 0xfe, 0x00, 0x04, 0x00,
					0x00, 0x77, 0x29 };
	struct hs_site_choice c = CHOOSE(code, true, HS_ARG_RDI, true);

	CHECK_EQ(c.offset, 0);
	CHECK(strcmp(c.mnemonic, "mov") == 0);
	CHECK(!c.emulated);
	/* A probe that reads no register may go to the ja. */
	c = CHOOSE(code, true, 0, true);
	CHECK_EQ(c.offset, 21);
	CHECK(c.emulated);
}

/* endbr64; push %rbp; mov %rsp,%rbp */
static void endbr64_is_skipped(void)
{
	static const uint8_t code[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5 };
	struct hs_site_choice c = CHOOSE(code, true, HS_ARG_RDI | HS_ARG_RSI, true);

	CHECK_EQ(c.offset, 4);
	CHECK(strcmp(c.mnemonic, "push") == 0);
	CHECK(c.emulated);
}

/* sub $0x18,%rsp; test %rdi,%rdi; je: an entry-only probe may follow the stack
 * down (and says by how much); one shared with a return probe may not. */
static void stack_adjust_only_without_return_probe(void)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x18, 0x48, 0x85, 0xff, 0x74, 0x05,
					0x48, 0x83, 0xc4, 0x18, 0xc3 };
	struct hs_site_choice c = CHOOSE(code, true, HS_ARG_RDI, false);

	CHECK_EQ(c.offset, 7);
	CHECK_EQ(c.stack_adjust_bytes, 0x18);
	CHECK(c.emulated);
	c = CHOOSE(code, true, HS_ARG_RDI, true);
	CHECK_EQ(c.offset, 0);
	CHECK(strcmp(c.mnemonic, "sub") == 0);
	CHECK(!c.emulated);
}

/* test %rdi,%rdi; je 9; xor %eax,%eax; jmp BACK; ret: a jump onto the je (BACK
 * = 3) would fire a probe there twice; one past it (BACK = 9) is harmless. */
static void jump_into_the_skipped_code(void)
{
	uint8_t code[] = { 0x48, 0x85, 0xff, 0x74, 0x04, 0x31, 0xc0, 0xeb, 0xfa, 0xc3 };
	struct hs_site_choice c = CHOOSE(code, true, HS_ARG_RDI, false);

	CHECK_EQ(c.offset, 0);
	CHECK(!c.emulated);
	code[8] = 0x00; /* jmp +0: to the ret */
	c = CHOOSE(code, true, HS_ARG_RDI, false);
	CHECK_EQ(c.offset, 3);
	CHECK(c.emulated);
}

/* mov %rdi,%rsi; xor %edi,%edi; je: a 32-bit write clobbers rdi. */
static void sub_register_write_counts(void)
{
	static const uint8_t code[] = { 0x48, 0x89, 0xfe, 0x31, 0xff, 0x74, 0x02, 0xc3 };
	struct hs_site_choice c = CHOOSE(code, true, HS_ARG_RDI, true);

	CHECK_EQ(c.offset, 0);
	c = CHOOSE(code, true, HS_ARG_RSI, true);
	CHECK_EQ(c.offset, 0);
	c = CHOOSE(code, true, HS_ARG_RDX, true);
	CHECK_EQ(c.offset, 5);
}

/* First instructions the kernel does or does not emulate. */
static void emulated_forms(void)
{
	static const uint8_t nopl[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3 };
	static const uint8_t pause[] = { 0xf3, 0x90, 0xc3 };
	static const uint8_t xchg_r8[] = { 0x49, 0x90, 0xc3 };
	static const uint8_t push_r15[] = { 0x41, 0x57, 0xc3 };
	static const uint8_t push_rex_w[] = { 0x48, 0x55, 0xc3 };
	static const uint8_t call_rel32[] = { 0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3 };
	static const uint8_t ret[] = { 0xc3 };
	/* nopw %cs:0(%rax,%rax,1) and ds-prefixed je: the kernel refuses these outright */
	static const uint8_t cs_nopw[] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
					   0xc3 };
	static const uint8_t ds_je[] = { 0x3e, 0x74, 0x00, 0xc3 };

	CHECK(CHOOSE(nopl, true, HS_ARG_ALL, true).emulated);
	CHECK(!CHOOSE(pause, true, HS_ARG_ALL, true).emulated);
	CHECK(!CHOOSE(xchg_r8, true, HS_ARG_ALL, true).emulated);
	CHECK(CHOOSE(push_r15, true, HS_ARG_ALL, true).emulated);
	CHECK(!CHOOSE(push_rex_w, true, HS_ARG_ALL, true).emulated);
	CHECK(CHOOSE(call_rel32, true, HS_ARG_ALL, true).emulated);
	CHECK(!CHOOSE(ret, true, HS_ARG_ALL, true).emulated);
	CHECK(!CHOOSE(cs_nopw, true, HS_ARG_ALL, true).emulated);
	CHECK(!CHOOSE(ds_je, true, HS_ARG_ALL, true).emulated);
}

static void undecodable_code(void)
{
	static const uint8_t code[] = { 0x06 }; /* push %es: invalid in 64-bit mode */
	struct hs_site_choice c = CHOOSE(code, true, HS_ARG_ALL, true);

	CHECK_EQ(c.offset, 0);
	CHECK(!c.emulated);
}

int main(void)
{
	TEST(free_moves_to_the_je);
	TEST(incomplete_code_stays_at_the_entry);
	TEST(malloc_stays_on_its_push);
	TEST(argument_overwritten_stays_at_the_entry);
	TEST(endbr64_is_skipped);
	TEST(stack_adjust_only_without_return_probe);
	TEST(jump_into_the_skipped_code);
	TEST(sub_register_write_counts);
	TEST(emulated_forms);
	TEST(undecodable_code);
	return check_summary();
}
