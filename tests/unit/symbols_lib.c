// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * symbols_lib.c - a small shared object with known symbols, for the ELF,
 * symbolizer and source-line unit tests.  tests/tests.mk builds it three ways:
 * with its .symtab and DWARF (libsymbols.so), as a detached debug file
 * (libsymbols.debug), and stripped with a .gnu_debuglink to that file
 * (libsymbols_stripped.so).
 *
 * The tests learn the truth from the dynamic linker (dlopen, dlsym, the load
 * bias, the build-id note in memory), and lines from the "marker:" comments
 * they find in this file, never from its layout.
 */
#define NOINLINE __attribute__((noinline, used))

/* Global and exported: in .dynsym and .symtab. */
NOINLINE int hs_fixture_global(int x)
{
	return x * 3 + 1;
}

/* A local alias at the same address: the global name must win. */
static int hs_fixture_local_alias(int x) __attribute__((alias("hs_fixture_global"), used));

/* Local: only in .symtab, so only a debug file can name it once stripped. */
static NOINLINE int hs_fixture_local(int x)
{
	return (x ^ 0x5a) * 7;
}

/* Hidden: global binding, but not exported. */
__attribute__((visibility("hidden"))) NOINLINE int hs_fixture_hidden(int x)
{
	return hs_fixture_local(x) + 2;
}

/* Uninitialised data: in memory, not in the file. */
static char hs_fixture_bss[1 << 16];

int (*hs_fixture_local_address(void))(int)
{
	return hs_fixture_local;
}

int (*hs_fixture_hidden_address(void))(int)
{
	return hs_fixture_hidden;
}

char *hs_fixture_bss_address(void)
{
	return hs_fixture_bss;
}

/* For source lines: a call on a known line (the test finds the line by its marker). */
NOINLINE void *hs_fixture_return_address(void)
{
	return __builtin_return_address(0);
}

NOINLINE void *hs_fixture_call_site(void)
{
	void *ra = hs_fixture_return_address(); /* marker: direct call */

	return ra;
}

/* The call sits in inlined code: its line is the inlined call's, in the caller. */
static inline __attribute__((always_inline)) void *hs_fixture_inlined(void)
{
	void *ra = hs_fixture_return_address(); /* marker: inside the inlined body */

	return ra;
}

NOINLINE void *hs_fixture_inlined_call_site(void)
{
	void *ra = hs_fixture_inlined(); /* marker: inlined call */

	return ra;
}
