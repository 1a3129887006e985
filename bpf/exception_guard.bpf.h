/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * exception_guard.bpf.h - an allocator's own throwing operator new, observed
 * without a return probe (included by heapscope.bpf.c).
 *
 * Why: a return probe swaps the return address on the stack for the kernel's
 * trampoline, which has no unwind information: a std::bad_alloc thrown out of
 * the function could not unwind past it, and the process would terminate.  So
 * an HS_FN_NEW call is opened at its entry and closed by plain uprobes on the
 * ret instructions it can leave by (user/probe/ret_sites.c finds them, following its
 * tail jumps): the stack is never touched.
 *
 * Invariants:
 *  - A ret-site probe closes the call only when the stack pointer is the entry
 *    stack pointer: the ret of the outermost new (or of a function it tail-jumped
 *    to), not of a nested call running the same code, nor of a call of that code
 *    by anyone else (no HS_FN_NEW call open, or one at another depth).
 *  - A probed function the new tail-jumps to is nested at the same stack
 *    pointer and deepened the call; its return probe fires right after the ret
 *    and reports (depth reaches 0).  The ret-site probe then only takes the
 *    new's own share of the depth.
 *  - A new that throws never reaches a ret: the exception's allocation
 *    (__cxa_allocate_exception) or its raise (_Unwind_RaiseException) below the
 *    new's entry ends the call, counting nothing.  Left open, it would make every
 *    later call at or below its stack pointer look nested, and be lost.
 */

static __always_inline int on_new_enter(struct pt_regs *ctx)
{
	__u64 size = PT_REGS_PARM1(ctx);
	struct hs_pending fresh = {
		.size = size,
		.depth = 1, /* its own return: taken by a ret-site probe */
		.fn = HS_FN_NEW,
	};

	if (inactive())
		return 0;
	/* Nested: no return probe of its own fires, so it must not deepen the outer call. */
	if (nested_call(current_call(), entry_sp(ctx))) {
		count(HS_STAT_NESTED_CALLS);
		return 0;
	}
	save_caller(ctx, &fresh);
	enter_call(ctx, &fresh);
	return 0;
}

/* This thread's open HS_FN_NEW call, or NULL (always, once the session is over). */
static __always_inline struct hs_pending *open_new_call(void)
{
	struct hs_pending *call;

	if (inactive())
		return NULL;
	call = current_call();
	return call && call->fn == HS_FN_NEW && call->depth ? call : NULL;
}

static __always_inline int on_new_ret(struct pt_regs *ctx)
{
	struct hs_pending *call = open_new_call();

	/* At a ret the stack pointer points at the return address, as at the entry. */
	if (!call || PT_REGS_SP(ctx) != call->entry_sp)
		return 0;
	if (--call->depth > 0)
		return 0; /* a tail-jumped probed function's return probe reports next */
	finish_call(ctx, call, PT_REGS_RC(ctx));
	return 0;
}

static __always_inline int on_exception_thrown(struct pt_regs *ctx)
{
	struct hs_pending *call = open_new_call();

	/* Below the new's entry: thrown inside it (or in what it calls). */
	if (!call || entry_sp(ctx) >= call->entry_sp)
		return 0;
	count(HS_STAT_NEW_THREW);
	close_call(call);
	return 0;
}
