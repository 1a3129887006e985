/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RET_SITES_H
#define HEAPSCOPE_RET_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "probe/code_object.h"

/* Bounds of one analysis; past any of them the function keeps its return probe. */
#define HS_RET_SITES_MAX 32		/* ret instructions one function may return through */
#define HS_RET_SITES_MAX_DEPTH 6	/* tail jumps followed one after another */
#define HS_RET_SITES_MAX_PIECES 24	/* functions (FDEs) its code spans */
#define HS_RET_SITES_MAX_BYTES (64 << 10) /* of those functions' code, decoded */

/*
 * Where the dynamic linker binds NAME for this object: 0 and its ELF address
 * when the definition it binds to is in this same object, -EXDEV when it is in
 * another one, -ENOENT when nowhere.
 */
typedef int (*hs_bind_fn)(void *ctx, const char *name, uint64_t *vaddr);

/* The ret instructions a call of one function can return to its caller through. */
struct hs_ret_sites {
	uint64_t vaddrs[HS_RET_SITES_MAX];
	size_t count;
	size_t pieces;		/* functions (FDEs) visited */
	size_t bytes;		/* of code decoded */
	const char *incomplete; /* why some way out may have been missed, or NULL */
	uint64_t incomplete_at; /* the ELF address of what stopped the analysis */
};

int hs_ret_sites_find(const struct hs_code_object *code, hs_bind_fn bind, void *bind_ctx,
		      uint64_t entry, struct hs_ret_sites *sites);

#endif
