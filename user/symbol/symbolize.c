// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * symbolize.c - from a return address in a target to "function" or
 * "module+0xoffset".
 *
 * Owns: the maps snapshot of each target and one ELF symbol table per mapped
 * object (keyed by (dev, inode), shared between processes).  The collector
 * calls hs_symbolizer_prepare() for each new stack while the target is alive,
 * so everything needed to name its frames is read before the target can exit;
 * rendering afterwards needs no /proc access.  With keep_files (pprof) each
 * object's DWARF, in the object or its debug file, is kept open for
 * source_lines.c, which reads it only at the end.
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
#include <unistd.h>

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

void hs_symbolizer_init(struct hs_symbolizer *sym)
{
	memset(sym, 0, sizeof(*sym));
}

void hs_symbolizer_free(struct hs_symbolizer *sym)
{
	for (size_t i = 0; i < sym->object_count; i++) {
		hs_elf_free(&sym->objects[i]->elf);
		if (sym->objects[i]->fd >= 0)
			close(sym->objects[i]->fd);
		if (sym->objects[i]->debug_fd >= 0)
			close(sym->objects[i]->debug_fd);
		free(sym->objects[i]);
	}
	for (size_t i = 0; i < sym->process_count; i++) {
		hs_maps_free(&sym->processes[i].maps);
		hs_perf_map_free(&sym->processes[i].perf_map);
	}
	free(sym->objects);
	free(sym->processes);
	memset(sym, 0, sizeof(*sym));
}

static struct hs_sym_object *load_object(struct hs_symbolizer *sym, pid_t pid,
					 const struct hs_mapping *map);

static struct hs_sym_process *find_process(struct hs_symbolizer *sym, pid_t pid)
{
	for (size_t i = 0; i < sym->process_count; i++)
		if (sym->processes[i].pid == pid)
			return &sym->processes[i];
	return NULL;
}

int hs_symbolizer_add_process(struct hs_symbolizer *sym, pid_t pid)
{
	struct hs_sym_process *proc = find_process(sym, pid);

	if (proc)
		return 0;
	if (hs_array_reserve((void **)&sym->processes, &sym->process_capacity, sym->process_count,
			     sizeof(*sym->processes), 4))
		return -ENOMEM;
	proc = &sym->processes[sym->process_count];
	memset(proc, 0, sizeof(*proc));
	proc->pid = pid;
	int err = hs_maps_read(pid, &proc->maps);
	if (err)
		return err;
	sym->process_count++;
	/* Read every object with code now: the target may exit before its first
	 * stack is named, and then neither its maps nor its files can be opened. */
	for (size_t i = 0; i < proc->maps.count; i++) {
		const struct hs_mapping *map = &proc->maps.items[i];

		if (map->executable && hs_mapping_is_file(map) && !load_object(sym, pid, map))
			return -ENOMEM;
	}
	return 0;
}

static struct hs_sym_object *find_object(struct hs_symbolizer *sym, const struct hs_mapping *map)
{
	for (size_t i = 0; i < sym->object_count; i++) {
		struct hs_sym_object *obj = sym->objects[i];

		if (obj->inode == map->inode && obj->dev_major == map->dev_major &&
		    obj->dev_minor == map->dev_minor)
			return obj;
	}
	return NULL;
}

/*
 * The object's detached debug file: read for names when the object has no
 * .symtab, and kept open for source lines (keep_files) when the object has no
 * DWARF of its own.  Found now, through the target's root, which is gone once
 * the target exits.
 */
static void read_debug_file(struct hs_symbolizer *sym, struct hs_sym_object *obj, pid_t pid)
{
	bool for_lines = sym->keep_files && !obj->elf.has_debug_info;
	char root[64];
	int fd;

	if (obj->elf.has_symtab && !for_lines)
		return;
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	fd = hs_elf_open_debug_file(&obj->elf, root, obj->path);
	if (fd < 0)
		return;
	hs_elf_read_debug_symbols(&obj->elf, fd);
	if (for_lines)
		obj->debug_fd = fd;
	else
		close(fd);
}

/* Read the object behind map (once); later calls return the cached result. */
static struct hs_sym_object *load_object(struct hs_symbolizer *sym, pid_t pid,
					 const struct hs_mapping *map)
{
	struct hs_sym_object *obj = find_object(sym, map);
	int fd;

	if (obj)
		return obj;
	if (hs_array_reserve((void **)&sym->objects, &sym->object_capacity, sym->object_count,
			     sizeof(*sym->objects), 16))
		return NULL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	obj->inode = map->inode;
	obj->dev_major = map->dev_major;
	obj->dev_minor = map->dev_minor;
	snprintf(obj->path, sizeof(obj->path), "%s", map->path);
	obj->basename = strrchr(obj->path, '/') ? strrchr(obj->path, '/') + 1 : obj->path;
	obj->fd = obj->debug_fd = -1;
	fd = hs_proc_open_object(pid, map);
	obj->load_error = fd < 0 ? fd : hs_elf_read_fd(fd, &obj->elf);
	if (!obj->load_error)
		read_debug_file(sym, obj, pid);
	if (fd >= 0 && sym->keep_files && !obj->load_error && obj->elf.has_debug_info)
		obj->fd = fd;
	else if (fd >= 0)
		close(fd);
	sym->objects[sym->object_count++] = obj;
	return obj;
}

/*
 * Make sure every address of a new stack can be named later: its mapping is in
 * the snapshot (re-read once if not: the target may have loaded a library since)
 * and its object is read.  Call while the target is alive.
 */
int hs_symbolizer_prepare(struct hs_symbolizer *sym, pid_t pid, const uint64_t *addrs, size_t count)
{
	struct hs_sym_process *proc = find_process(sym, pid);
	bool refreshed = false, jit_named = false;

	if (!proc)
		return -ESRCH;
	for (size_t i = 0; i < count; i++) {
		const struct hs_mapping *map = hs_maps_find(&proc->maps, addrs[i]);

		if (!map && !refreshed) {
			struct hs_maps fresh;

			refreshed = true;
			if (hs_maps_read(pid, &fresh) == 0) {
				hs_maps_free(&proc->maps);
				proc->maps = fresh;
				map = hs_maps_find(&proc->maps, addrs[i]);
			}
		}
		if (map && hs_mapping_is_file(map) && !load_object(sym, pid, map))
			return -ENOMEM;
		if (map && hs_mapping_is_jit(map) && !jit_named) {
			jit_named = true; /* what the JIT wrote since: its files are the target's */
			hs_perf_map_refresh(&proc->perf_map, pid); /* failing: frames unnamed */
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
	struct hs_sym_process *proc = find_process(sym, pid);
	uint64_t lookup = return_address && addr ? addr - 1 : addr;
	const struct hs_symbol *symbol;

	memset(info, 0, sizeof(*info));
	if (!proc || !(info->mapping = hs_maps_find(&proc->maps, lookup)))
		return -ENOENT;
	if (!hs_mapping_is_file(info->mapping)) {
		info->module = special_module(info->mapping);
		if (hs_mapping_is_jit(info->mapping))
			info->function = hs_perf_map_lookup(&proc->perf_map, lookup);
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
