// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * allocator_functions.c - the allocator entry points heapscope probes: for
 * each, its name, how its arguments are read (enum hs_probe_fn), whether it
 * gets a return probe, and the family the attach line names it by.
 *
 * Owns: the table only.  Does not own: where a name binds in a process, nor
 * the rules that drop or reshape an entry there (probes.c).
 *
 * Invariant: the table and the exception functions together fit one plan
 * (HS_MAX_PROBE_SITES); within a family, entries that may share an address
 * come in the order their probe should be named by (the first one wins).
 */
#include "probe/allocator_functions.h"

#define C(name, fn, ret) { name, HS_FN_##fn, ret, HS_FAMILY_C }
#define CXX(name, fn, ret) { name, HS_FN_##fn, ret, HS_FAMILY_CXX }
#define JE(name, fn, ret) { name, HS_FN_##fn, ret, HS_FAMILY_JEMALLOC }
#define TC(name, fn, ret) { name, HS_FN_##fn, ret, HS_FAMILY_TCMALLOC }
#define MI(name, fn, ret) { name, HS_FN_##fn, ret, HS_FAMILY_MIMALLOC }

/*
 * Allocating functions have a return probe (the result is known there).  An
 * allocator's own free is entry only; functions that release a block and may
 * call free inside (delete, sized frees) get a return probe that closes the
 * call, so that inner free is not counted again.
 */
const struct hs_allocator_function hs_allocator_functions[] = {
	C("malloc", MALLOC, true),
	C("calloc", CALLOC, true),
	C("realloc", REALLOC, true),
	C("reallocarray", REALLOCARRAY, true),
	C("free", FREE, false),
	C("posix_memalign", POSIX_MEMALIGN, true),
	C("aligned_alloc", MEMALIGN, true),
	C("memalign", MEMALIGN, true),
	C("valloc", MALLOC, true),
	C("pvalloc", MALLOC, true),

	/* new and new[]: plain, nothrow, aligned, aligned nothrow: the size comes first. */
	CXX("_Znwm", NEW, true),
	CXX("_Znam", NEW, true),
	CXX("_ZnwmRKSt9nothrow_t", MALLOC, true),
	CXX("_ZnamRKSt9nothrow_t", MALLOC, true),
	CXX("_ZnwmSt11align_val_t", NEW, true),
	CXX("_ZnamSt11align_val_t", NEW, true),
	CXX("_ZnwmSt11align_val_tRKSt9nothrow_t", MALLOC, true),
	CXX("_ZnamSt11align_val_tRKSt9nothrow_t", MALLOC, true),
	/* delete and delete[]: plain, sized, nothrow, aligned, sized aligned, aligned nothrow. */
	CXX("_ZdlPv", DEALLOC, true),
	CXX("_ZdaPv", DEALLOC, true),
	CXX("_ZdlPvm", DEALLOC, true),
	CXX("_ZdaPvm", DEALLOC, true),
	CXX("_ZdlPvRKSt9nothrow_t", DEALLOC, true),
	CXX("_ZdaPvRKSt9nothrow_t", DEALLOC, true),
	CXX("_ZdlPvSt11align_val_t", DEALLOC, true),
	CXX("_ZdaPvSt11align_val_t", DEALLOC, true),
	CXX("_ZdlPvmSt11align_val_t", DEALLOC, true),
	CXX("_ZdaPvmSt11align_val_t", DEALLOC, true),
	CXX("_ZdlPvSt11align_val_tRKSt9nothrow_t", DEALLOC, true),
	CXX("_ZdaPvSt11align_val_tRKSt9nothrow_t", DEALLOC, true),

	/* jemalloc's own API (nallocx allocates nothing), and the je_ prefixed builds. */
	JE("mallocx", MALLOC, true),	   /* (size, flags) */
	JE("rallocx", REALLOC, true),	   /* (ptr, size, flags) */
	JE("xallocx", XALLOCX, true),	   /* (ptr, size, extra, flags) */
	JE("sdallocx", DEALLOC, true),	   /* (ptr, size, flags) */
	JE("dallocx", DEALLOC, true),	   /* (ptr, flags) */
	JE("je_malloc", MALLOC, true),
	JE("je_calloc", CALLOC, true),
	JE("je_realloc", REALLOC, true),
	JE("je_free", FREE, false),
	JE("je_posix_memalign", POSIX_MEMALIGN, true),
	JE("je_aligned_alloc", MEMALIGN, true),
	JE("je_memalign", MEMALIGN, true),
	JE("je_valloc", MALLOC, true),
	JE("je_mallocx", MALLOC, true),
	JE("je_rallocx", REALLOC, true),
	JE("je_xallocx", XALLOCX, true),
	JE("je_sdallocx", DEALLOC, true),
	JE("je_dallocx", DEALLOC, true),

	/* tcmalloc's tc_* names (most share an address with malloc, free, new, delete). */
	TC("tc_malloc", MALLOC, true),
	TC("tc_malloc_skip_new_handler", MALLOC, true),
	TC("tc_calloc", CALLOC, true),
	TC("tc_realloc", REALLOC, true),
	TC("tc_free", FREE, false),
	TC("tc_cfree", FREE, false),
	TC("tc_free_sized", DEALLOC, true),
	TC("tc_memalign", MEMALIGN, true),
	TC("tc_posix_memalign", POSIX_MEMALIGN, true),
	TC("tc_valloc", MALLOC, true),
	TC("tc_pvalloc", MALLOC, true),
	TC("tc_new", NEW, true),
	TC("tc_newarray", NEW, true),
	TC("tc_new_nothrow", MALLOC, true),
	TC("tc_newarray_nothrow", MALLOC, true),
	TC("tc_new_aligned", NEW, true),
	TC("tc_newarray_aligned", NEW, true),
	TC("tc_new_aligned_nothrow", MALLOC, true),
	TC("tc_newarray_aligned_nothrow", MALLOC, true),
	TC("tc_delete", DEALLOC, true),
	TC("tc_deletearray", DEALLOC, true),
	TC("tc_delete_nothrow", DEALLOC, true),
	TC("tc_deletearray_nothrow", DEALLOC, true),
	TC("tc_delete_sized", DEALLOC, true),
	TC("tc_deletearray_sized", DEALLOC, true),
	TC("tc_delete_aligned", DEALLOC, true),
	TC("tc_deletearray_aligned", DEALLOC, true),
	TC("tc_delete_sized_aligned", DEALLOC, true),
	TC("tc_deletearray_sized_aligned", DEALLOC, true),
	TC("tc_delete_aligned_nothrow", DEALLOC, true),
	TC("tc_deletearray_aligned_nothrow", DEALLOC, true),

	/* mimalloc's mi_* with the C shapes (mi_heap_*, mi_strdup & co. are not probed). */
	MI("mi_malloc", MALLOC, true),
	MI("mi_zalloc", MALLOC, true),
	MI("mi_malloc_small", MALLOC, true),
	MI("mi_zalloc_small", MALLOC, true),
	MI("mi_calloc", CALLOC, true),
	MI("mi_mallocn", CALLOC, true),
	MI("mi_realloc", REALLOC, true),
	MI("mi_rezalloc", REALLOC, true),
	MI("mi_reallocn", REALLOCARRAY, true),
	MI("mi_reallocarray", REALLOCARRAY, true),
	MI("mi_recalloc", REALLOCARRAY, true),
	MI("mi_free", FREE, false),
	MI("mi_free_size", DEALLOC, true),
	MI("mi_free_aligned", DEALLOC, true),
	MI("mi_free_size_aligned", DEALLOC, true),
	MI("mi_malloc_aligned", MALLOC, true),	   /* (size, alignment) */
	MI("mi_malloc_aligned_at", MALLOC, true), /* (size, alignment, offset) */
	MI("mi_zalloc_aligned", MALLOC, true),
	MI("mi_calloc_aligned", CALLOC, true),	   /* (count, size, alignment) */
	MI("mi_realloc_aligned", REALLOC, true),  /* (ptr, size, alignment) */
	MI("mi_memalign", MEMALIGN, true),
	MI("mi_aligned_alloc", MEMALIGN, true),
	MI("mi_posix_memalign", POSIX_MEMALIGN, true),
	MI("mi_valloc", MALLOC, true),
	MI("mi_pvalloc", MALLOC, true),
	MI("mi_new", NEW, true),
	MI("mi_new_nothrow", MALLOC, true),
	MI("mi_new_aligned", NEW, true),
	MI("mi_new_aligned_nothrow", MALLOC, true),
	MI("mi_new_n", CALLOC, true),
	MI("mi_new_realloc", REALLOC, true),
	MI("mi_new_reallocn", REALLOCARRAY, true),
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Where exceptions start: a throwing new open above one of these threw (HS_FN_THROW).
 * The allocation comes first: the exception object's malloc is then an outer call. */
const struct hs_allocator_function hs_exception_functions[] = {
	/* libstdc++, libc++abi, or a static executable */
	{ "__cxa_allocate_exception", HS_FN_THROW, false, HS_FAMILY_EXCEPTIONS },
	/* libgcc_s, libunwind: also what rethrows an exception_ptr */
	{ "_Unwind_RaiseException", HS_FN_THROW, false, HS_FAMILY_EXCEPTIONS },
};

const size_t hs_allocator_function_count = ARRAY_SIZE(hs_allocator_functions);
const size_t hs_exception_function_count = ARRAY_SIZE(hs_exception_functions);

_Static_assert(ARRAY_SIZE(hs_allocator_functions) + ARRAY_SIZE(hs_exception_functions) <=
		       HS_MAX_PROBE_SITES,
	       "every table entry must fit in a plan");

static const char *const family_names[HS_FAMILY_COUNT] = {
	[HS_FAMILY_C] = "malloc",
	[HS_FAMILY_CXX] = "new/delete",
	[HS_FAMILY_JEMALLOC] = "jemalloc",
	[HS_FAMILY_TCMALLOC] = "tcmalloc",
	[HS_FAMILY_MIMALLOC] = "mimalloc",
};

const char *hs_probe_family_name(enum hs_probe_family family)
{
	return family < HS_FAMILY_COUNT ? family_names[family] : "exceptions";
}
