// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ret_sites.c - find every ret instruction through which a call of one
 * function can return to its caller, so that the call can be closed by plain
 * uprobes on those instructions instead of a return probe.
 *
 * Why: a return probe replaces the return address on the stack with the
 * kernel's trampoline, which has no unwind information.  An exception thrown
 * out of the function (std::bad_alloc from an allocator's operator new) then
 * cannot be unwound past it, and the process terminates.  A probe on a ret
 * instruction changes nothing on the stack.
 *
 * Owns: following the function's control flow through one object's code
 * (code_object.c reads it: its file, FDE extents, GOT slots, PLT sections): from the
 * entry, every direct jump and conditional jump, through tail jumps into other
 * functions (direct, through a PLT stub, or through a GOT slot), collecting
 * the ret instructions reached.  Calls are stepped over: what a callee returns
 * through is the callee's business.
 * Does not own: where a name binds (the caller's bind function, which follows
 * the dynamic linker's search order), nor what the probes do.
 *
 * The analysis is all or nothing.  Anything it cannot follow (an indirect jump
 * other than through a known GOT slot, a tail jump into another object, code
 * without an FDE, code that runs past its FDE, more than the HS_RET_SITES_*
 * bounds) makes it give up and say why; the caller then keeps the return
 * probe.  A missed ret would leave the call open for ever.
 *
 * Invariant: every ret site found is an instruction start both in the
 * control-flow walk and in a linear decode of its whole FDE: a uprobe placed
 * in the middle of an instruction would corrupt the target.
 */
#include "probe/ret_sites.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

/* One function (FDE extent) the walk has entered. */
struct piece {
	uint64_t lo, hi;
	const uint8_t *bytes;	/* the code of [lo, hi) in the file image */
	uint8_t *starts;	/* 1 where the linear decode of [lo, hi) starts an instruction */
	uint8_t *visited;	/* 1 where the walk has decoded an instruction */
};

struct work {
	uint64_t vaddr;
	unsigned depth; /* tail jumps from the entry */
};

struct finder {
	const struct hs_code_object *code;
	hs_bind_fn bind;
	void *bind_ctx;
	struct hs_ret_sites *out;
	struct piece pieces[HS_RET_SITES_MAX_PIECES];
	struct work *queue;
	size_t queued, taken, queue_capacity;
	csh handle;
	cs_insn *insn;
};

/* ---- The walk ------------------------------------------------------------ */

/* Give up: the first reason is the one reported. */
static void give_up(struct finder *f, const char *why, uint64_t at)
{
	if (!f->out->incomplete) {
		f->out->incomplete = why;
		f->out->incomplete_at = at;
	}
}

static struct piece *piece_holding(struct finder *f, uint64_t vaddr)
{
	for (size_t i = 0; i < f->out->pieces; i++)
		if (vaddr >= f->pieces[i].lo && vaddr < f->pieces[i].hi)
			return &f->pieces[i];
	return NULL;
}

/* Mark where the linear decode of a piece starts each instruction. */
static void decode_linearly(struct finder *f, struct piece *p)
{
	const uint8_t *bytes = p->bytes;
	size_t left = p->hi - p->lo;
	uint64_t address = p->lo;

	while (left > 0 && cs_disasm_iter(f->handle, &bytes, &left, &address, f->insn))
		p->starts[f->insn->address - p->lo] = 1;
}

/* The function (FDE) holding vaddr, entered now if it was not yet. */
static struct piece *enter_piece(struct finder *f, uint64_t vaddr)
{
	const struct hs_code_object *code = f->code;
	const struct hs_pc_range *fde = hs_fde_extent(code->fdes, code->fde_count, vaddr);
	struct piece *p = piece_holding(f, vaddr);
	uint64_t offset;

	if (p)
		return p;
	if (!fde) {
		give_up(f, "code no FDE describes", vaddr);
		return NULL;
	}
	if (f->out->pieces >= HS_RET_SITES_MAX_PIECES) {
		give_up(f, "more functions than the bound", vaddr);
		return NULL;
	}
	if (f->out->bytes + (fde->hi - fde->lo) > HS_RET_SITES_MAX_BYTES) {
		give_up(f, "more code than the bound", vaddr);
		return NULL;
	}
	/* In one segment's file bytes: what is decoded is what the process maps there, and
	 * the probes go by file offset, one address at a time. */
	if (hs_elf_range_to_offset(&code->layout, fde->lo, fde->hi - fde->lo, &offset) ||
	    offset > code->image_len || fde->hi - fde->lo > code->image_len - offset) {
		give_up(f, "code outside the file", vaddr);
		return NULL;
	}
	p = &f->pieces[f->out->pieces];
	*p = (struct piece){ .lo = fde->lo, .hi = fde->hi, .bytes = code->image + offset };
	p->starts = calloc(fde->hi - fde->lo, 1);
	p->visited = calloc(fde->hi - fde->lo, 1);
	if (!p->starts || !p->visited) {
		free(p->starts);
		free(p->visited);
		give_up(f, "out of memory", vaddr);
		return NULL;
	}
	f->out->pieces++;
	f->out->bytes += fde->hi - fde->lo;
	decode_linearly(f, p);
	return p;
}

static void push(struct finder *f, uint64_t vaddr, unsigned depth)
{
	if (hs_array_reserve((void **)&f->queue, &f->queue_capacity, f->queued, sizeof(*f->queue),
			     64)) {
		give_up(f, "out of memory", vaddr);
		return;
	}
	f->queue[f->queued++] = (struct work){ vaddr, depth };
}

/* Where a jump through the GOT slot at slot_vaddr goes, in this object; false if unknown. */
static bool slot_target(struct finder *f, uint64_t slot_vaddr, uint64_t at, uint64_t *target)
{
	const struct hs_got_slot *slot = hs_code_object_slot(f->code, slot_vaddr);
	int err;

	if (!slot || !slot->known) {
		give_up(f, "a jump through a GOT slot of unknown content", at);
		return false;
	}
	if (!slot->name) {
		*target = slot->target;
		return true;
	}
	err = f->bind(f->bind_ctx, slot->name, target);
	if (err == -EXDEV)
		give_up(f, "a tail call into another object", at);
	else if (err)
		give_up(f, "a tail call to a function bound nowhere", at);
	return err == 0;
}

/* "jmp *disp(%rip)": the slot it reads. */
static bool rip_relative_jump(const cs_insn *insn, uint64_t *slot)
{
	const cs_x86 *x86 = &insn->detail->x86;
	const cs_x86_op *op = &x86->operands[0];

	if (insn->id != X86_INS_JMP || x86->op_count != 1 || op->type != X86_OP_MEM ||
	    op->mem.base != X86_REG_RIP || op->mem.index != X86_REG_INVALID ||
	    op->mem.segment != X86_REG_INVALID)
		return false;
	*slot = insn->address + insn->size + (uint64_t)op->mem.disp;
	return true;
}

/* A PLT stub at vaddr ([endbr64;] jmp *slot(%rip)): the function its slot binds to. */
static bool plt_target(struct finder *f, uint64_t vaddr, uint64_t *target)
{
	const struct hs_code_object *code = f->code;
	uint64_t offset, address = vaddr, slot;
	const uint8_t *bytes;
	size_t left = 32;

	if (hs_elf_vaddr_to_offset(&code->layout, vaddr, &offset) ||
	    offset + left > code->image_len) {
		give_up(f, "a PLT stub outside the file", vaddr);
		return false;
	}
	bytes = code->image + offset;
	for (int n = 0; n < 2 && cs_disasm_iter(f->handle, &bytes, &left, &address, f->insn); n++) {
		if (f->insn->id == X86_INS_ENDBR64)
			continue;
		if (rip_relative_jump(f->insn, &slot))
			return slot_target(f, slot, vaddr, target);
		break;
	}
	give_up(f, "a PLT entry of unknown shape", vaddr);
	return false;
}

/* A jump leaves the current function: follow it into the one it enters. */
static void tail_jump(struct finder *f, uint64_t target, unsigned depth, uint64_t at)
{
	if (hs_code_object_in_plt(f->code, target) && !plt_target(f, target, &target))
		return;
	if (depth + 1 > HS_RET_SITES_MAX_DEPTH) {
		give_up(f, "tail jumps deeper than the bound", at);
		return;
	}
	if (enter_piece(f, target))
		push(f, target, depth + 1);
}

static void jump(struct finder *f, const struct piece *p, uint64_t target, unsigned depth)
{
	if (target >= p->lo && target < p->hi)
		push(f, target, depth);
	else
		tail_jump(f, target, depth, f->insn->address);
}

static void add_ret_site(struct finder *f, uint64_t vaddr)
{
	struct hs_ret_sites *out = f->out;

	for (size_t i = 0; i < out->count; i++)
		if (out->vaddrs[i] == vaddr)
			return;
	if (out->count >= HS_RET_SITES_MAX) {
		give_up(f, "more ret instructions than the bound", vaddr);
		return;
	}
	out->vaddrs[out->count++] = vaddr;
}

static bool is_direct(const cs_insn *insn, uint64_t *target)
{
	const cs_x86 *x86 = &insn->detail->x86;

	if (x86->op_count != 1 || x86->operands[0].type != X86_OP_IMM)
		return false;
	*target = (uint64_t)x86->operands[0].imm;
	return true;
}

enum step { NEXT, STOP };

/* What one instruction does to the walk. */
static enum step follow(struct finder *f, const struct piece *p, unsigned depth)
{
	const cs_insn *insn = f->insn;
	uint64_t target;

	switch (insn->id) {
	case X86_INS_RET:
		add_ret_site(f, insn->address);
		return STOP;
	case X86_INS_INT3:
	case X86_INS_UD2:
	case X86_INS_HLT:
		return STOP;
	case X86_INS_JMP:
		if (is_direct(insn, &target))
			jump(f, p, target, depth);
		else if (rip_relative_jump(insn, &target) && slot_target(f, target, insn->address,
									&target))
			tail_jump(f, target, depth, insn->address);
		else
			give_up(f, "an indirect jump", insn->address);
		return STOP;
	default:
		break;
	}
	if (cs_insn_group(f->handle, insn, CS_GRP_RET) || cs_insn_group(f->handle, insn, CS_GRP_IRET) ||
	    cs_insn_group(f->handle, insn, CS_GRP_INT)) {
		give_up(f, "an instruction that leaves the function another way", insn->address);
		return STOP;
	}
	if (cs_insn_group(f->handle, insn, CS_GRP_JUMP)) { /* jcc, jrcxz, loop */
		if (is_direct(insn, &target))
			jump(f, p, target, depth);
		else
			give_up(f, "an indirect jump", insn->address);
	}
	return NEXT; /* calls return here; everything else falls through */
}

/* Walk straight-line code from one address until it leaves or meets known code. */
static void walk_from(struct finder *f, struct work w)
{
	struct piece *p = piece_holding(f, w.vaddr);
	uint64_t vaddr = w.vaddr;

	while (p && !f->out->incomplete && !p->visited[vaddr - p->lo]) {
		const uint8_t *bytes = p->bytes + (vaddr - p->lo);
		size_t left = p->hi - vaddr;
		uint64_t address = vaddr;
		bool call;

		if (!p->starts[vaddr - p->lo] ||
		    !cs_disasm_iter(f->handle, &bytes, &left, &address, f->insn)) {
			give_up(f, "code that does not decode one way", vaddr);
			return;
		}
		p->visited[vaddr - p->lo] = 1;
		call = cs_insn_group(f->handle, f->insn, CS_GRP_CALL);
		if (follow(f, p, w.depth) == STOP)
			return;
		vaddr = address;
		if (vaddr >= p->hi) {
			/* After a call that does not return, the function may just end. */
			if (!call)
				give_up(f, "code that runs past the end of its function", vaddr);
			return;
		}
	}
}

static void release(struct finder *f)
{
	for (size_t i = 0; i < f->out->pieces; i++) {
		free(f->pieces[i].starts);
		free(f->pieces[i].visited);
	}
	free(f->queue);
	if (f->insn)
		cs_free(f->insn, 1);
	cs_close(&f->handle);
}

/*
 * Find the ret instructions a call of the function at entry (an ELF address)
 * returns through; bind says where a name a GOT slot holds is bound.  Returns
 * 0 with sites filled, or with sites->incomplete saying why the list may miss
 * one; a negative errno when capstone cannot be set up.
 */
int hs_ret_sites_find(const struct hs_code_object *code, hs_bind_fn bind, void *bind_ctx,
		      uint64_t entry, struct hs_ret_sites *sites)
{
	struct finder f = { .code = code, .bind = bind, .bind_ctx = bind_ctx, .out = sites };

	memset(sites, 0, sizeof(*sites));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &f.handle) != CS_ERR_OK)
		return -ENOTSUP;
	cs_option(f.handle, CS_OPT_DETAIL, CS_OPT_ON);
	f.insn = cs_malloc(f.handle);
	if (!f.insn) {
		cs_close(&f.handle);
		return -ENOMEM;
	}
	if (enter_piece(&f, entry))
		push(&f, entry, 0);
	while (!sites->incomplete && f.taken < f.queued)
		walk_from(&f, f.queue[f.taken++]);
	if (!sites->incomplete && sites->count == 0)
		give_up(&f, "no ret instruction", entry);
	release(&f);
	return 0;
}
