// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * missing_symbols.c - which objects left frames unnamed for want of symbols: a
 * stripped object (no .symtab) whose detached debug file was not found, so
 * its own functions come out as "module+0xADDRESS".  The session tells the user
 * once per object which file it is, its build-id and where a debug file would
 * have been looked for (cli/summary.c words it).
 *
 * Owns: the list of such objects and their unnamed frame counts.  Does not own:
 * naming frames (symbolize.c), nor where debug files are looked for
 * (target/elf_object.c's hs_elf_debug_path, the one list of places).
 *
 * Invariant: an object is listed only when it has no full symbol table of its
 * own nor from a debug file, and at least one frame in it had no name; a frame
 * that .dynsym names, JIT code and objects that could not be read are not.
 */
#include "symbol/missing_symbols.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

static struct hs_missing_symbols *entry_of(struct hs_missing_symbols_list *list,
					   const struct hs_object *object)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].object == object)
			return &list->items[i];
	if (hs_array_reserve((void **)&list->items, &list->capacity, list->count,
			     sizeof(*list->items), 8))
		return NULL;
	list->items[list->count] = (struct hs_missing_symbols){ .object = object };
	return &list->items[list->count++];
}

/* Note the frames of one stack of pid (return addresses) that no symbol names. */
int hs_missing_symbols_note(struct hs_missing_symbols_list *list, struct hs_symbolizer *sym,
			    pid_t pid, const uint64_t *return_addrs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct hs_frame_info info;
		struct hs_missing_symbols *entry;

		if (hs_symbolizer_resolve(sym, pid, return_addrs[i], true, &info) ||
		    info.function || !info.object || info.object->load_error ||
		    info.object->elf.has_symtab)
			continue;
		entry = entry_of(list, info.object);
		if (!entry)
			return -ENOMEM;
		entry->frames++;
	}
	return 0;
}

void hs_missing_symbols_free(struct hs_missing_symbols_list *list)
{
	free(list->items);
	memset(list, 0, sizeof(*list));
}
