/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ret_sites_lib.S - the fixture of tests/unit/test_ret_sites.c: functions whose
 * ways out are known by construction.  Every ret a call of rs_X can return by
 * carries a global label rs_X_retN (dlsym gives its address); the test compares
 * them with what user/ret_sites.c finds.  Each function has its own FDE (.cfi_*).
 */
	.text

#define FUNCTION(name) .globl name; .type name, @function; name: .cfi_startproc
#define LOCAL_FUNCTION(name) .type name, @function; name: .cfi_startproc
#define END(name) .cfi_endproc; .size name, . - name
#define RET(label) .globl label; label: ret

/* Two ways out, and a call whose callee's ret is the callee's business. */
FUNCTION(rs_simple)
	test	%rdi, %rdi
	je	1f
	call	rs_helper
	RET(rs_simple_ret1)
1:	xor	%eax, %eax
	RET(rs_simple_ret2)
END(rs_simple)

/* A tail jump to a function without a symbol the linker exports, one into the
 * middle of another function (a compiler's .cold part jumping back), and a
 * conditional one. */
FUNCTION(rs_tail_local)
	cmp	$1, %rdi
	ja	rs_cold
	jmp	rs_helper
END(rs_tail_local)

LOCAL_FUNCTION(rs_helper)
	mov	%rdi, %rax
	RET(rs_helper_ret1)
END(rs_helper)

LOCAL_FUNCTION(rs_cold)
	push	%rbx
	cmp	$2, %rdi
	jne	rs_shared_exit
	pop	%rbx
	RET(rs_cold_ret1)
END(rs_cold)

LOCAL_FUNCTION(rs_other)
	push	%rbx
	call	rs_helper
rs_shared_exit:
	pop	%rbx
	RET(rs_other_ret1)
END(rs_other)

/* Through the PLT, and through a GOT slot (-fno-plt): the exported functions. */
FUNCTION(rs_tail_plt)
	jmp	rs_exported@PLT
END(rs_tail_plt)

FUNCTION(rs_tail_got)
	jmp	*rs_exported@GOTPCREL(%rip)
END(rs_tail_got)

FUNCTION(rs_exported)
	lea	1(%rdi), %rax
	RET(rs_exported_ret1)
END(rs_exported)

/* A call that does not return may end the function. */
FUNCTION(rs_noreturn)
	test	%rdi, %rdi
	jne	1f
	RET(rs_noreturn_ret1)
1:	call	abort@PLT
END(rs_noreturn)

/* What the finder cannot vouch for. */
FUNCTION(rs_indirect)
	jmp	*%rdi
END(rs_indirect)

FUNCTION(rs_external)
	jmp	malloc@PLT
END(rs_external)

FUNCTION(rs_runs_off)
	nop
END(rs_runs_off)

FUNCTION(rs_deep)
	jmp	rs_deep1
END(rs_deep)
#define HOP(name, next) LOCAL_FUNCTION(name); jmp next; END(name)
HOP(rs_deep1, rs_deep2)
HOP(rs_deep2, rs_deep3)
HOP(rs_deep3, rs_deep4)
HOP(rs_deep4, rs_deep5)
HOP(rs_deep5, rs_deep6)
HOP(rs_deep6, rs_deep7)
LOCAL_FUNCTION(rs_deep7)
	ret
END(rs_deep7)

/* 33 ways out: one more than the bound. */
FUNCTION(rs_many_rets)
	.rept 33
	dec	%rdi
	jnz	1f
	ret
1:
	.endr
	ret
END(rs_many_rets)

	.section .note.GNU-stack, "", @progbits
