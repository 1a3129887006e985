// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * symbolize.c - from a return address in a target to "function" or
 * "module+0xoffset".
 *
 * Owns: nothing but the choice of what to read: the session's object cache
 * (target/objects.c) holds the maps snapshot of each target and each mapped
 * object's symbols, shared with the other stages.  The collector calls
 * hs_symbolizer_prepare() for each new stack while the target is alive, so
 * everything needed to name its frames is read before the target can exit;
 * rendering afterwards needs no /proc access.  With keep_files (pprof) each
 * object's debug file is found too when the object has no DWARF of its own,
 * for source_lines.c, which reads the DWARF only at the end.
 *
 * Invariant: an object a frame_info points to has had its symbols read (or
 * its load_error says why not), its debug file's merged in when it has no
 * .symtab.
 *
 * Load bias: a runtime address x in a mapping [start, end) at file offset off
 * is at file offset off + (x - start), and the PT_LOAD holding that offset
 * gives its ELF virtual address.  This is right for ET_EXEC, PIE and shared
 * objects alike.
 */
#include "symbol/symbolize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"


/* libstdc++'s demangler: C linkage, result malloc'ed. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *hs_demangle(const char *name)
{
	int status = 0;
	char *plain;

	if (strncmp(name, "_Z", 2) != 0)
		return NULL;
	plain = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(plain);
		return NULL;
	}
	return plain;
}

void hs_symbolizer_init(struct hs_symbolizer *sym, struct hs_objects *objects)
{
	memset(sym, 0, sizeof(*sym));
	sym->objects = objects;
}

/* The objects are the session's (objects.c): nothing of the symbolizer's own to free. */
void hs_symbolizer_free(struct hs_symbolizer *sym)
{
	for (size_t i = 0; i < sym->jit_count; i++)
		hs_perf_map_free(&sym->jits[i].perf_map);
	free(sym->jits);
	memset(sym, 0, sizeof(*sym));
}

/* PID's perf map, created empty on first ask (NULL: out of memory). */
static struct hs_perf_map *perf_map_of(struct hs_symbolizer *sym, pid_t pid)
{
	for (size_t i = 0; i < sym->jit_count; i++)
		if (sym->jits[i].pid == pid)
			return &sym->jits[i].perf_map;
	if (hs_array_reserve((void **)&sym->jits, &sym->jit_capacity, sym->jit_count,
			     sizeof(*sym->jits), 4))
		return NULL;
	sym->jits[sym->jit_count] = (struct hs_sym_jit){ .pid = pid };
	return &sym->jits[sym->jit_count++].perf_map;
}

/*
 * Read the object behind map for naming: its symbols, those of its debug file
 * when it has no .symtab, and that debug file too when source lines will be
 * wanted and the object has no DWARF.  Both are found now, through the target's
 * root, which is gone once the target exits.  NULL only when out of memory;
 * an object that cannot be read has its load_error set.
 */
static struct hs_object *load_object(struct hs_symbolizer *sym, pid_t pid,
				     const struct hs_mapping *map)
{
	const struct hs_elf_object *elf;
	struct hs_object *obj;

	if (hs_objects_get(sym->objects, pid, map, &obj))
		return NULL;
	if (hs_object_read(sym->objects, obj, &elf))
		return obj;
	hs_object_read_debug_symbols(sym->objects, obj);
	if (sym->keep_files && !elf->has_debug_info)
		hs_object_debug_file(sym->objects, obj);
	return obj;
}

/*
 * Read every object with code PID maps now, from its latest maps snapshot (read
 * if there is none yet): the target may exit before its first stack is named,
 * and then neither its maps nor its files can be opened.
 */
int hs_symbolizer_add_process(struct hs_symbolizer *sym, pid_t pid)
{
	const struct hs_maps *maps = hs_objects_maps(sym->objects, pid);
	int err = maps ? 0 : hs_objects_refresh_maps(sym->objects, pid, &maps);

	if (err)
		return err;
	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *map = &maps->items[i];

		if (map->executable && hs_mapping_is_file(map) && !load_object(sym, pid, map))
			return -ENOMEM;
	}
	return 0;
}

/*
 * Make sure every address of a new stack can be named later: its mapping is in
 * the snapshot (refreshed once if not: the target may have loaded a library since)
 * and its object is read.  Call while the target is alive.
 */
int hs_symbolizer_prepare(struct hs_symbolizer *sym, pid_t pid, const uint64_t *addrs, size_t count)
{
	const struct hs_maps *maps = hs_objects_maps(sym->objects, pid);
	bool refreshed = false, jit_named = false;

	if (!maps)
		return -ESRCH;
	for (size_t i = 0; i < count; i++) {
		const struct hs_mapping *map = hs_maps_find(maps, addrs[i]);

		if (!map && !refreshed) {
			refreshed = true;
			if (hs_objects_refresh_maps(sym->objects, pid, &maps) == 0)
				map = hs_maps_find(maps, addrs[i]);
			else
				maps = hs_objects_maps(sym->objects, pid);
		}
		if (map && hs_mapping_is_file(map) && !load_object(sym, pid, map))
			return -ENOMEM;
		if (map && hs_mapping_is_jit(map) && !jit_named) {
			struct hs_perf_map *pm = perf_map_of(sym, pid);

			jit_named = true; /* what the JIT wrote since: its files are the target's */
			if (pm)
				hs_perf_map_refresh(pm, pid); /* failing: frames unnamed */
		}
	}
	return 0;
}

static const char *special_module(const struct hs_mapping *map)
{
	if (map->path[0] == '[')
		return map->path; /* [vdso], [stack], [heap] */
	return "[anon]";
}

/*
 * Resolve addr in pid.  A return address points after its call instruction,
 * which may already be the next function: look up addr - 1 for those.
 */
int hs_symbolizer_resolve(struct hs_symbolizer *sym, pid_t pid, uint64_t addr, bool return_address,
			  struct hs_frame_info *info)
{
	const struct hs_maps *maps = hs_objects_maps(sym->objects, pid);
	uint64_t lookup = return_address && addr ? addr - 1 : addr;
	const struct hs_symbol *symbol;

	memset(info, 0, sizeof(*info));
	if (!maps || !(info->mapping = hs_maps_find(maps, lookup)))
		return -ENOENT;
	if (!hs_mapping_is_file(info->mapping)) {
		info->module = special_module(info->mapping);
		if (hs_mapping_is_jit(info->mapping)) {
			struct hs_perf_map *pm = perf_map_of(sym, pid);

			info->function = pm ? hs_perf_map_lookup(pm, lookup) : NULL;
		}
		return 0;
	}
	info->object = load_object(sym, pid, info->mapping);
	if (!info->object)
		return -ENOMEM;
	info->module = info->object->basename;
	if (info->object->load_error)
		return 0;
	uint64_t file_offset = lookup - info->mapping->start + info->mapping->file_offset;
	if (hs_elf_offset_to_vaddr(&info->object->elf, file_offset, &info->vaddr))
		return 0;
	symbol = hs_elf_symbol_at(&info->object->elf, info->vaddr);
	if (symbol)
		info->function = symbol->name;
	if (return_address)
		info->vaddr++; /* report the return address itself, as it was captured */
	return 0;
}

/* "function", demangled; "module+0xvaddr" when no symbol covers it. */
void hs_frame_format(const struct hs_frame_info *info, uint64_t addr, char *out, size_t len)
{
	char *plain;

	if (info->function) {
		plain = hs_demangle(info->function);
		snprintf(out, len, "%s", plain ? plain : info->function);
		free(plain);
	} else if (info->module && info->object && !info->object->load_error && info->vaddr) {
		snprintf(out, len, "%s+0x%llx", info->module, (unsigned long long)info->vaddr);
	} else if (info->mapping && hs_mapping_is_jit(info->mapping)) {
		/* Unnamed JIT code: offsets are only unique with the region's address. */
		const char *name = info->mapping->path; /* "" or "[anon:NAME]" */
		int name_len = name[0] ? (int)strlen(name) - 1 : (int)strlen("[anon");

		snprintf(out, len, "%.*s:%llx-%llx]+0x%llx", name_len, name[0] ? name : "[anon",
			 (unsigned long long)info->mapping->start,
			 (unsigned long long)info->mapping->end,
			 (unsigned long long)(addr - info->mapping->start));
	} else if (info->module && info->mapping) {
		snprintf(out, len, "%s+0x%llx", info->module,
			 (unsigned long long)(addr - info->mapping->start + info->mapping->file_offset));
	} else {
		snprintf(out, len, "[unknown 0x%llx]", (unsigned long long)addr);
	}
}
