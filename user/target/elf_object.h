/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ELF_OBJECT_H
#define HEAPSCOPE_ELF_OBJECT_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target/proc.h"

#define HS_BUILD_ID_MAX 64

struct hs_load_segment {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t file_offset;
	uint64_t filesz;
};

struct hs_symbol {
	uint64_t addr; /* ELF virtual address */
	uint64_t size;
	const char *name; /* owned by the object's name pool */
	size_t name_offset; /* of name in the pool */
	bool dynamic;	  /* from .dynsym: what the dynamic linker can bind to */
	bool from_debug_file; /* from the detached debug file's .symtab, not the object's own */
	bool global;	  /* STB_GLOBAL or STB_WEAK */
};

/* Which symbols a lookup by name sees. */
enum hs_symbol_scope {
	HS_SYMBOLS_ALL,	    /* every function symbol, the debug file's once merged */
	HS_SYMBOLS_DYNAMIC, /* global .dynsym definitions: what the dynamic linker binds */
	HS_SYMBOLS_FILE,    /* the file's own .dynsym and .symtab, not its debug file's */
};

/* What heapscope needs from one ELF file: load segments, identity, function symbols. */
struct hs_elf_object {
	uint16_t type; /* ET_EXEC, ET_DYN */
	struct hs_load_segment *segments;
	size_t segment_count;
	unsigned char build_id[HS_BUILD_ID_MAX];
	size_t build_id_len;
	char *debuglink; /* .gnu_debuglink file name, or NULL */
	bool has_symtab; /* a full .symtab was read (from the object or its debug file) */
	bool has_debug_info; /* the object itself has DWARF (.debug_info): no debug file needed */
	struct hs_symbol *symbols; /* sorted by addr */
	size_t symbol_count;
	char *name_pool;
	size_t name_pool_len, name_pool_cap;
	size_t *import_offsets; /* names in the pool of the functions .dynsym needs from others */
	size_t import_count, import_cap;
};

int hs_elf_read(Elf *elf, struct hs_elf_object *obj);
int hs_elf_read_segments(Elf *elf, struct hs_elf_object *obj);
int hs_elf_read_memory(const void *data, size_t len, struct hs_elf_object *obj);
int hs_elf_open_debug_file(const struct hs_elf_object *obj, int root_fd, const char *object_path,
			   hs_refused_fn *refused, void *ctx);
int hs_elf_debug_path(const struct hs_elf_object *obj, const char *object_path,
		      unsigned int candidate, char *out, size_t len);
int hs_elf_read_debug_symbols(struct hs_elf_object *obj, int debug_fd);
void hs_elf_free(struct hs_elf_object *obj);

const struct hs_symbol *hs_elf_symbol_at(const struct hs_elf_object *obj, uint64_t vaddr);
const struct hs_symbol *hs_elf_symbol_named(const struct hs_elf_object *obj, const char *name,
					    enum hs_symbol_scope scope);
bool hs_elf_imports(const struct hs_elf_object *obj, const char *name);
int hs_elf_vaddr_to_offset(const struct hs_elf_object *obj, uint64_t vaddr, uint64_t *file_offset);
int hs_elf_range_to_offset(const struct hs_elf_object *obj, uint64_t vaddr, uint64_t len,
			   uint64_t *file_offset);
int hs_elf_offset_to_vaddr(const struct hs_elf_object *obj, uint64_t file_offset, uint64_t *vaddr);
void hs_elf_build_id_hex(const struct hs_elf_object *obj, char *out, size_t len);

#endif
