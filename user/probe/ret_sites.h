/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_RET_SITES_H
#define HEAPSCOPE_RET_SITES_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "target/elf_object.h"
#include "unwind/unwind_table.h"

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

/* A GOT slot and what the dynamic linker puts there. */
struct hs_got_slot {
	uint64_t vaddr;
	const char *name; /* the symbol bound into it, or NULL */
	uint64_t target;  /* name NULL: a relative relocation's address in this object */
	bool known;	  /* name or target says what is there (not an ifunc, not a TLS slot) */
};

/* One ELF object's code, as the finder reads it. */
struct hs_code_object {
	Elf *elf;
	const uint8_t *image; /* the whole file */
	size_t image_len;
	struct hs_elf_object layout; /* load segments only: ELF address -> file offset */
	struct hs_pc_range *fdes;    /* sorted */
	size_t fde_count;
	struct hs_pc_range plt[4];   /* .plt, .plt.sec, .plt.got, .iplt */
	size_t plt_count;
	struct hs_got_slot *slots;   /* sorted by vaddr */
	size_t slot_count;
	hs_bind_fn bind;
	void *bind_ctx;
};

/* The ret instructions a call of one function can return to its caller through. */
struct hs_ret_sites {
	uint64_t vaddrs[HS_RET_SITES_MAX];
	size_t count;
	size_t pieces;		/* functions (FDEs) visited */
	size_t bytes;		/* of code decoded */
	const char *incomplete; /* why some way out may have been missed, or NULL */
	uint64_t incomplete_at; /* the ELF address of what stopped the analysis */
};

int hs_code_object_open(int fd, hs_bind_fn bind, void *bind_ctx, struct hs_code_object *code);
void hs_code_object_close(struct hs_code_object *code);
int hs_ret_sites_find(const struct hs_code_object *code, uint64_t entry,
		      struct hs_ret_sites *sites);

#endif
