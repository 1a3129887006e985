// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * types.c - the C++ class of a heap block, named by the vtable its first word points into.
 *
 * Owns: the table of `_ZTV` symbols (.symtab and .dynsym) of every ELF file a process maps,
 * at their runtime addresses; their demangled names; a small cache of first words.
 * Does not own: reading the blocks (the caller hands in their first word), finding the
 * mapped files (target/maps.c), demangling (symbolize.c's hs_demangle).
 * Invariants: a word names a class only when it points at or past 16 bytes into a vtable
 * symbol's range and before its end (the address point of a primary vtable; secondary
 * vtables of multiple inheritance lie further in the same symbol); vtables are sorted and
 * disjoint after hs_types_finish (duplicates from .symtab and .dynsym dropped).  Each file
 * is read once however many times it is mapped.  Everything read is a file the target
 * maps: sizes and counts are bounded (HS_TYPES_MAX_VTABLES).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/types.h"
#include "lib/array.h"
#include "symbol/symbolize.h"
#include "target/elf_object.h"

#define ADDRESS_POINT_BYTES 16 /* offset-to-top, typeinfo */

void hs_types_init(struct hs_types *t)
{
	memset(t, 0, sizeof(*t));
}

/* One vtable symbol at runtime address start; mangled is its symbol name. */
int hs_types_add(struct hs_types *t, uint64_t start, uint64_t size, const char *mangled)
{
	char *plain, *name;
	const char *shown;

	if (size <= ADDRESS_POINT_BYTES || start + size < start)
		return 0; /* no room for an address point: not a vtable an object points into */
	if (t->count >= HS_TYPES_MAX_VTABLES)
		return -E2BIG;
	if (t->count == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct hs_vtable *bigger = realloc(t->vtables, cap * sizeof(*bigger));
		char **names = bigger ? realloc(t->names, cap * sizeof(*names)) : NULL;

		if (bigger)
			t->vtables = bigger;
		if (!names)
			return -ENOMEM;
		t->names = names;
		t->cap = t->name_cap = cap;
	}
	plain = hs_demangle(mangled);
	shown = plain ? plain : mangled;
	if (strncmp(shown, "vtable for ", 11) == 0)
		shown += 11;
	name = strdup(shown);
	free(plain);
	if (!name)
		return -ENOMEM;
	t->names[t->name_count] = name;
	t->vtables[t->count++] = (struct hs_vtable){ start, start + size, t->name_count++ };
	return 0;
}

static int add_symbols(struct hs_types *t, Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr,
		       uint64_t load_bias)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count = shdr->sh_entsize ? shdr->sh_size / shdr->sh_entsize : 0;

	for (size_t i = 0; data && i < count; i++) {
		GElf_Sym sym;
		const char *name;
		int err;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
			continue;
		name = elf_strptr(elf, shdr->sh_link, sym.st_name);
		if (!name || strncmp(name, "_ZTV", 4) != 0)
			continue;
		err = hs_types_add(t, sym.st_value + load_bias, sym.st_size, name);
		if (err)
			return err;
	}
	return 0;
}

/* The vtables of one ELF file, mapped at load_bias (runtime = ELF vaddr + load_bias). */
int hs_types_add_elf(struct hs_types *t, int fd, uint64_t load_bias)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	int err = 0;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return -EINVAL;
	}
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;

		if (gelf_getshdr(scn, &shdr) &&
		    (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM))
			err = add_symbols(t, elf, scn, &shdr, load_bias);
	}
	elf_end(elf);
	return err;
}

/* Where the file of map is loaded: runtime address minus ELF vaddr; -ENOENT if unknown. */
static int load_bias_of(int fd, const struct hs_mapping *map, uint64_t *bias)
{
	struct hs_elf_object obj = { 0 };
	uint64_t vaddr;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int err;

	if (!elf)
		return -EINVAL;
	err = hs_elf_read_segments(elf, &obj);
	if (!err)
		err = hs_elf_offset_to_vaddr(&obj, map->file_offset, &vaddr);
	if (!err)
		*bias = map->start - vaddr;
	free(obj.segments);
	elf_end(elf);
	return err;
}

static bool seen_before(const struct hs_maps *maps, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (maps->items[k].inode == maps->items[i].inode &&
		    maps->items[k].dev_major == maps->items[i].dev_major &&
		    maps->items[k].dev_minor == maps->items[i].dev_minor)
			return true;
	return false;
}

/* Every vtable of every file PID maps (files that are not ELF, or do not read, are skipped). */
int hs_types_load(struct hs_types *t, struct hs_objects *objects, pid_t pid,
		  const struct hs_maps *maps)
{
	elf_version(EV_CURRENT);
	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *map = &maps->items[i];
		struct hs_object *obj;
		uint64_t bias;
		int err = 0;

		if (!hs_mapping_is_file(map) || map->path[0] == '[' || seen_before(maps, i))
			continue;
		/* The cache's fd: the file is opened once, whichever stage asks. */
		if (hs_objects_get(objects, pid, map, &obj) || obj->fd < 0)
			continue;
		if (!load_bias_of(obj->fd, map, &bias))
			err = hs_types_add_elf(t, obj->fd, bias);
		if (err == -ENOMEM || err == -E2BIG)
			return err;
	}
	return hs_types_finish(t);
}

static int by_start(const void *a, const void *b)
{
	const struct hs_vtable *x = a, *y = b;

	return x->start != y->start ? (x->start < y->start ? -1 : 1) : 0;
}

/* Sort, drop duplicates and overlaps, forget the cache. */
int hs_types_finish(struct hs_types *t)
{
	size_t kept = 0;

	if (t->count)
		qsort(t->vtables, t->count, sizeof(*t->vtables), by_start);
	for (size_t i = 0; i < t->count; i++) {
		if (kept && t->vtables[i].start < t->vtables[kept - 1].end)
			continue;
		t->vtables[kept++] = t->vtables[i];
	}
	t->count = kept;
	memset(t->cache_word, 0, sizeof(t->cache_word));
	return 0;
}

static int search(const struct hs_types *t, uint64_t word)
{
	const struct hs_vtable key = { .start = word };
	/* vtables are disjoint: the last one starting at or below word is the only candidate */
	size_t at_or_below = hs_array_upper_bound(t->vtables, t->count, sizeof(*t->vtables), &key,
						  by_start);

	if (!at_or_below)
		return -1;
	const struct hs_vtable *v = &t->vtables[at_or_below - 1];

	return word >= v->start + ADDRESS_POINT_BYTES && word < v->end ? (int)v->name : -1;
}

/* The class whose object starts with first_word: a name id, or -1. */
int hs_types_lookup(struct hs_types *t, uint64_t first_word)
{
	size_t slot = (first_word >> 3) * 0x9E3779B97F4A7C15ull >> 55 & (HS_TYPES_CACHE - 1);
	int id;

	t->lookups++;
	if (!first_word || !t->count)
		return -1;
	if (t->cache_word[slot] == first_word) {
		t->cache_hits++;
		return t->cache_id[slot];
	}
	id = search(t, first_word);
	t->cache_word[slot] = first_word;
	t->cache_id[slot] = id;
	return id;
}

const char *hs_types_name(const struct hs_types *t, int id)
{
	return id >= 0 && (size_t)id < t->name_count ? t->names[id] : NULL;
}

void hs_types_free(struct hs_types *t)
{
	for (size_t i = 0; i < t->name_count; i++)
		free(t->names[i]);
	free(t->names);
	free(t->vtables);
	memset(t, 0, sizeof(*t));
}
