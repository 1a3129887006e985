// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * no_allocator - a static program with no allocator at all (no libc): it waits in
 * pause() until killed.  What -p must refuse at once, without waiting for a dynamic
 * linker it does not have.
 */
void _start(void)
{
	for (;;) /* pause(2) is system call 34 on x86_64 */
		__asm__ volatile("mov $34, %%eax\n\tsyscall" ::: "rax", "rcx", "r11", "memory");
}
