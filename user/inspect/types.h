/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_INSPECT_TYPES_H
#define HEAPSCOPE_INSPECT_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/objects.h"
#include "target/proc.h"

/*
 * The C++ class of a heap block, from its first word: a polymorphic object starts with a
 * pointer 16 bytes into its class's vtable (after offset-to-top and the typeinfo pointer),
 * a `_ZTV<class>` symbol of some mapped object.
 */

#define HS_TYPES_CACHE 512 /* first words remembered: blocks of one class share them */
#define HS_TYPES_MAX_VTABLES (1u << 22)

struct hs_vtable {
	uint64_t start, end; /* runtime addresses of the _ZTV symbol */
	uint32_t name;	     /* index into names */
};

struct hs_types {
	struct hs_vtable *vtables; /* sorted by start, disjoint */
	size_t count, cap;
	char **names; /* demangled class names ("Widget", "std::runtime_error") */
	size_t name_count, name_cap;
	uint64_t cache_word[HS_TYPES_CACHE];
	int32_t cache_id[HS_TYPES_CACHE];
	uint64_t lookups, cache_hits;
};

void hs_types_init(struct hs_types *t);
int hs_types_load(struct hs_types *t, struct hs_objects *objects, pid_t pid,
		  const struct hs_maps *maps);
int hs_types_add_elf(struct hs_types *t, int fd, uint64_t load_bias);
int hs_types_add(struct hs_types *t, uint64_t start, uint64_t size, const char *mangled);
int hs_types_finish(struct hs_types *t);
int hs_types_lookup(struct hs_types *t, uint64_t first_word);
const char *hs_types_name(const struct hs_types *t, int id);
void hs_types_free(struct hs_types *t);

#endif
