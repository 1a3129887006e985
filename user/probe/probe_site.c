// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe_site.c - choose where in a function its uprobe goes, so that the
 * kernel emulates the probed instruction instead of single-stepping it.
 *
 * Why: a uprobe replaces one instruction with int3.  When it fires, the kernel
 * either emulates that instruction (push reg, jmp, jcc, call rel32, nop,
 * nopl; arch/x86/kernel/uprobes.c) or copies it to a page of its own and
 * single-steps it there, which costs an extra trap: on the machine heapscope
 * is developed on, a malloc+free pair's floor went from ~31 us to ~15 us when
 * free's probe moved off its first instruction.
 * glibc's free starts with "test %rdi,%rdi" (single-stepped) followed by
 * "je" (emulated), so its probe belongs 3 bytes in.
 *
 * Owns: decoding the first instructions (capstone) and the rule for a safe site.
 * Does not own: which functions are probed, what they need (probes.c) or how
 * the BPF side reads the registers.
 *
 * A site at offset S is chosen only if every path through the function's entry
 * reaches it with the entry's arguments intact:
 *  - the instructions before S are straight-line code (no jump, call or
 *    return) that writes none of the argument registers the probe reads;
 *  - the stack pointer change before S is known (push, sub $imm,%rsp), and
 *    zero when a return probe shares the site: a uretprobe swaps the return
 *    address at *(sp) when its uprobe fires;
 *  - no direct jump or call in the function lands in (0, S]: a jump into the
 *    skipped instructions would bypass the probe, one onto S would fire it
 *    twice.  Jumps from other functions and indirect jumps cannot be seen;
 *    compilers do not jump into another function's first instructions, so the
 *    function's own code is what is checked, and it must be seen whole.
 * The first such site whose instruction the kernel emulates wins; if there is
 * none, the entry itself, as before.
 */
#include "probe/probe_site.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Largest "sub $imm,%rsp" followed: beyond this a prologue is not a prologue. */
#define MAX_STACK_ADJUST_BYTES (1u << 16)

static const struct {
	x86_reg reg;
	uint32_t arg;
} arg_registers[] = {
	{ X86_REG_RDI, HS_ARG_RDI }, { X86_REG_EDI, HS_ARG_RDI }, { X86_REG_DI, HS_ARG_RDI },
	{ X86_REG_DIL, HS_ARG_RDI }, { X86_REG_RSI, HS_ARG_RSI }, { X86_REG_ESI, HS_ARG_RSI },
	{ X86_REG_SI, HS_ARG_RSI },  { X86_REG_SIL, HS_ARG_RSI }, { X86_REG_RDX, HS_ARG_RDX },
	{ X86_REG_EDX, HS_ARG_RDX }, { X86_REG_DX, HS_ARG_RDX },  { X86_REG_DL, HS_ARG_RDX },
	{ X86_REG_DH, HS_ARG_RDX },  { X86_REG_RCX, HS_ARG_RCX }, { X86_REG_ECX, HS_ARG_RCX },
	{ X86_REG_CX, HS_ARG_RCX },  { X86_REG_CL, HS_ARG_RCX },  { X86_REG_CH, HS_ARG_RCX },
	{ X86_REG_R8, HS_ARG_R8 },   { X86_REG_R8D, HS_ARG_R8 },  { X86_REG_R8W, HS_ARG_R8 },
	{ X86_REG_R8B, HS_ARG_R8 },  { X86_REG_R9, HS_ARG_R9 },   { X86_REG_R9D, HS_ARG_R9 },
	{ X86_REG_R9W, HS_ARG_R9 },  { X86_REG_R9B, HS_ARG_R9 },
};

static uint32_t arg_bit(uint16_t reg)
{
	for (size_t i = 0; i < ARRAY_SIZE(arg_registers); i++)
		if (arg_registers[i].reg == reg)
			return arg_registers[i].arg;
	return 0;
}

static bool is_stack_pointer(uint16_t reg)
{
	return reg == X86_REG_RSP || reg == X86_REG_ESP || reg == X86_REG_SP || reg == X86_REG_SPL;
}

/* The raw encoding, prefixes split off, as the kernel's decoder sees it. */
struct encoding {
	bool rep_prefix;     /* f3 */
	bool opsize_prefix;  /* 66 */
	bool refused_prefix; /* es, cs, ss, ds, lock: the kernel refuses to probe it at all */
	bool other_prefix;   /* any other legacy prefix */
	uint8_t rex;
	const uint8_t *opcode;
	size_t opcode_room;  /* bytes from opcode to the end of the instruction */
};

static void split_prefixes(const cs_insn *insn, struct encoding *enc)
{
	size_t i = 0;

	memset(enc, 0, sizeof(*enc));
	for (; i < insn->size; i++) {
		uint8_t b = insn->bytes[i];

		if (b == 0xf3)
			enc->rep_prefix = true;
		else if (b == 0x66)
			enc->opsize_prefix = true;
		else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0xf0)
			enc->refused_prefix = true;
		else if (b == 0xf2 || b == 0x67 || b == 0x64 || b == 0x65)
			enc->other_prefix = true;
		else
			break;
	}
	if (i < insn->size && (insn->bytes[i] & 0xf0) == 0x40)
		enc->rex = insn->bytes[i++];
	enc->opcode = insn->bytes + i;
	enc->opcode_room = insn->size - i;
}

/*
 * Does the kernel emulate this instruction when a uprobe sits on it?  The forms
 * arch/x86/kernel/uprobes.c handles without single-stepping (branch_setup_xol_ops,
 * push_setup_xol_ops) on the kernels heapscope runs on, narrowed to encodings
 * compilers emit: push of a register (REX 41 for r8-r15, nothing else), jmp and
 * jcc rel8/rel32 and call rel32 without a 66 prefix, nop and nopl/nopw.  Never
 * an instruction with a segment or lock prefix (padding such as "nopw %cs:..."):
 * the kernel refuses to probe those (is_prefix_bad), so one must not be chosen.
 */
static bool kernel_emulates(const cs_insn *insn)
{
	struct encoding enc;
	uint8_t op;

	split_prefixes(insn, &enc);
	if (enc.opcode_room == 0 || enc.refused_prefix)
		return false;
	op = enc.opcode[0];
	if (op >= 0x50 && op <= 0x57) /* push reg */
		return !enc.rep_prefix && !enc.opsize_prefix && !enc.other_prefix &&
		       (enc.rex == 0 || enc.rex == 0x41);
	if (op == 0x90) /* nop; f3 90 is pause, REX.B 90 is xchg %r8,%rax */
		return !enc.rep_prefix && !(enc.rex & 1);
	if (op == 0xe8 || op == 0xe9 || op == 0xeb || (op >= 0x70 && op <= 0x7f))
		return !enc.opsize_prefix;
	if (op != 0x0f || enc.opcode_room < 2)
		return false;
	if (enc.opcode[1] >= 0x80 && enc.opcode[1] <= 0x8f) /* jcc rel32 */
		return !enc.opsize_prefix;
	/* nopl/nopw: 0f 1f with ModRM.reg 0 */
	return enc.opcode[1] == 0x1f && enc.opcode_room >= 3 && ((enc.opcode[2] >> 3) & 7) == 0;
}

static bool changes_control_flow(csh handle, const cs_insn *insn)
{
	static const uint8_t groups[] = { CS_GRP_JUMP, CS_GRP_CALL, CS_GRP_RET, CS_GRP_INT,
					  CS_GRP_IRET };

	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (cs_insn_group(handle, insn, groups[i]))
			return true;
	switch (insn->id) {
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_UD2:
	case X86_INS_HLT:
		return true;
	default:
		return false;
	}
}

/* A direct jump or call's target, relative to the function's entry. */
static bool direct_target(csh handle, const cs_insn *insn, int64_t *target)
{
	const cs_x86 *x86 = &insn->detail->x86;

	if (!cs_insn_group(handle, insn, CS_GRP_JUMP) && !cs_insn_group(handle, insn, CS_GRP_CALL))
		return false;
	if (x86->op_count != 1 || x86->operands[0].type != X86_OP_IMM)
		return false;
	*target = x86->operands[0].imm;
	return true;
}

/*
 * The lowest offset above 0 that a direct jump or call in the function lands on,
 * or 0 when the code cannot be checked (not whole, or not decodable): then no
 * instruction may be skipped.  Code is decoded as if the function started at 0.
 */
static uint64_t first_branch_target(csh handle, const uint8_t *bytes, size_t len)
{
	cs_insn *insn = cs_malloc(handle);
	const uint8_t *code = bytes;
	size_t left = len;
	uint64_t address = 0, lowest = len;
	int64_t target;

	if (!insn)
		return 0;
	while (left > 0 && cs_disasm_iter(handle, &code, &left, &address, insn))
		if (direct_target(handle, insn, &target) && target > 0 && (uint64_t)target < lowest)
			lowest = target;
	if (left > 0)
		lowest = 0; /* undecodable bytes: the sweep may have lost its way */
	cs_free(insn, 1);
	return lowest;
}

/* State of the straight-line prefix walked so far. */
struct prefix_state {
	uint32_t stack_adjust_bytes;
	bool usable; /* every condition for a site still holds */
};

/* Account for one instruction that lies before a later site. */
static void step_over(csh handle, const cs_insn *insn, const struct hs_site_needs *needs,
		      struct prefix_state *state)
{
	const cs_x86 *x86 = &insn->detail->x86;
	cs_regs read, written;
	uint8_t read_count, written_count;

	if (changes_control_flow(handle, insn) ||
	    cs_regs_access(handle, insn, read, &read_count, written, &written_count) != CS_ERR_OK) {
		state->usable = false;
		return;
	}
	for (uint8_t i = 0; i < written_count && state->usable; i++) {
		if (arg_bit(written[i]) & needs->arg_regs) {
			state->usable = false;
		} else if (is_stack_pointer(written[i])) {
			if (insn->id == X86_INS_PUSH && x86->op_count == 1)
				state->stack_adjust_bytes += x86->operands[0].size;
			else if (insn->id == X86_INS_SUB && x86->op_count == 2 &&
				 x86->operands[0].type == X86_OP_REG &&
				 x86->operands[0].reg == X86_REG_RSP &&
				 x86->operands[1].type == X86_OP_IMM && x86->operands[1].imm > 0 &&
				 x86->operands[1].imm < MAX_STACK_ADJUST_BYTES)
				state->stack_adjust_bytes += x86->operands[1].imm;
			else
				state->usable = false;
		}
	}
	if (needs->return_probe && state->stack_adjust_bytes)
		state->usable = false;
}

static void describe(const cs_insn *insn, uint32_t stack_adjust_bytes,
		     struct hs_site_choice *choice)
{
	choice->offset = (uint32_t)insn->address;
	choice->stack_adjust_bytes = stack_adjust_bytes;
	choice->emulated = kernel_emulates(insn);
	snprintf(choice->mnemonic, sizeof(choice->mnemonic), "%s", insn->mnemonic);
}

static void walk(csh handle, const struct hs_function_code *code,
		 const struct hs_site_needs *needs, cs_insn *insn, struct hs_site_choice *choice)
{
	uint64_t limit = code->complete ? first_branch_target(handle, code->bytes, code->len) : 0;
	struct prefix_state state = { .usable = true };
	const uint8_t *bytes = code->bytes;
	size_t left = code->len;
	uint64_t address = 0;

	for (int n = 0; n < HS_PROBE_SITE_MAX_INSNS && state.usable; n++) {
		if (!cs_disasm_iter(handle, &bytes, &left, &address, insn))
			return;
		if (n == 0)
			describe(insn, 0, choice); /* the entry, unless something better comes */
		if (insn->address > 0 && insn->address >= limit)
			return;
		if (kernel_emulates(insn)) {
			describe(insn, state.stack_adjust_bytes, choice);
			return;
		}
		step_over(handle, insn, needs, &state);
	}
}

/*
 * Choose the probe site for one function whose first code->len bytes are given.
 * Always fills choice (the entry when nothing better is safe); returns 0, or a
 * negative errno when the disassembler cannot be set up.
 */
int hs_probe_site_choose(const struct hs_function_code *code, const struct hs_site_needs *needs,
			 struct hs_site_choice *choice)
{
	csh handle;
	cs_insn *insn;

	memset(choice, 0, sizeof(*choice));
	snprintf(choice->mnemonic, sizeof(choice->mnemonic), "(bad)");
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -ENOTSUP;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(handle);
	if (!insn) {
		cs_close(&handle);
		return -ENOMEM;
	}
	walk(handle, code, needs, insn, choice);
	cs_free(insn, 1);
	cs_close(&handle);
	return 0;
}
