// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * source_lines.c - from an address in an object to its source file and line,
 * and the file and line where its function is defined, with elfutils' libdw.
 *
 * Owns: the DWARF handles opened at the end of a session (pprof), one per
 * object, from the files the session's object cache keeps open (the object
 * itself when it has DWARF, else the detached debug file the symbolizer had
 * it find by build-id or debuglink), so a target that has exited still gets
 * its lines and nothing is opened through /proc here.  Does not own: finding
 * files (target/objects.c), names (symbolize.c).
 *
 * Lines are those of the function the symbolizer names: when the address is
 * in code inlined into it, the line is the call of the outermost inlined
 * function (DW_AT_call_line), not a line of the inlined body, which is in
 * another function and often another file.  So a pprof function's lines all
 * lie in its own source.
 *
 * Input is untrusted (files inside a container are the attacker's): libdw
 * checks every offset, a malformed file only yields "unknown", and a line
 * number that does not fit 32 bits is unknown too.
 */
#include "symbol/source_lines.h"

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/array.h"

static int open_elf(struct hs_source_file *src, Elf *elf)
{
	size_t arange_count;
	Dwarf_Aranges *aranges;

	memset(src, 0, sizeof(*src));
	if (!elf)
		return -ENOEXEC;
	src->elf = elf;
	src->dwarf = elf_kind(elf) == ELF_K_ELF ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
	if (!src->dwarf) {
		hs_source_file_close(src);
		return -ENOENT; /* no DWARF */
	}
	src->has_aranges = dwarf_getaranges(src->dwarf, &aranges, &arange_count) == 0 &&
			   arange_count > 0;
	return 0;
}

int hs_source_file_open_fd(struct hs_source_file *src, int fd)
{
	memset(src, 0, sizeof(*src));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	return open_elf(src, elf_begin(fd, ELF_C_READ_MMAP, NULL));
}

/* data must stay valid and unchanged until the file is closed. */
int hs_source_file_open_memory(struct hs_source_file *src, const void *data, size_t len)
{
	memset(src, 0, sizeof(*src));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	return open_elf(src, elf_memory((char *)data, len));
}

void hs_source_file_close(struct hs_source_file *src)
{
	if (src->dwarf)
		dwarf_end(src->dwarf);
	if (src->elf)
		elf_end(src->elf);
	memset(src, 0, sizeof(*src));
}

/* The compilation unit holding vaddr: by .debug_aranges, else by each CU's own ranges
 * (objects built without aranges, clang's default). */
static int find_cu(struct hs_source_file *src, uint64_t vaddr, Dwarf_Die *cu)
{
	Dwarf_CU *unit = NULL;

	if (src->has_aranges)
		return dwarf_addrdie(src->dwarf, vaddr, cu) ? 0 : -ENOENT;
	while (dwarf_get_units(src->dwarf, unit, &unit, NULL, NULL, cu, NULL) == 0)
		if (dwarf_haspc(cu, vaddr) > 0)
			return 0;
	return -ENOENT;
}

/* A file name as the DWARF spells it, made absolute with the unit's compilation directory. */
static void set_path(char *out, Dwarf_Die *cu, const char *name)
{
	Dwarf_Attribute attr;
	const char *dir =
		name[0] == '/' ? NULL : dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));

	if (dir && dir[0] == '/')
		snprintf(out, HS_SOURCE_PATH_MAX, "%s%s%s", dir,
			 dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	else
		snprintf(out, HS_SOURCE_PATH_MAX, "%s", name);
}

static uint32_t line_number(int line)
{
	return line > 0 ? (uint32_t)line : 0;
}

/* The line table's row for vaddr: the code written there, maybe inlined. */
static void table_line(Dwarf_Die *cu, uint64_t vaddr, struct hs_source_line *out)
{
	Dwarf_Line *row = dwarf_getsrc_die(cu, vaddr);
	int line;

	const char *file;

	if (!row || dwarf_lineno(row, &line) || !line_number(line) ||
	    !(file = dwarf_linesrc(row, NULL, NULL)))
		return;
	set_path(out->file, cu, file);
	out->line = line_number(line);
}

/*
 * A file and line named by a DIE's attributes (DW_AT_decl_file/line, or
 * DW_AT_call_file/line), through DW_AT_abstract_origin and DW_AT_specification.
 * Not dwarf_decl_file: libdw 0.188 refuses file 0, which DWARF 5 makes the
 * unit's primary file (clang's choice).
 */
static bool file_and_line(Dwarf_Die *cu, Dwarf_Die *die, unsigned int file_attr,
			  unsigned int line_attr, char *file_out, uint32_t *line_out)
{
	Dwarf_Attribute attr;
	Dwarf_Word file_index, line;
	Dwarf_Files *files;
	size_t file_count;
	const char *file;

	if (dwarf_formudata(dwarf_attr_integrate(die, file_attr, &attr), &file_index) ||
	    dwarf_getsrcfiles(cu, &files, &file_count) || file_index >= file_count ||
	    !(file = dwarf_filesrc(files, file_index, NULL, NULL)))
		return false;
	if (dwarf_formudata(dwarf_attr_integrate(die, line_attr, &attr), &line) || line > INT32_MAX)
		line = 0;
	set_path(file_out, cu, file);
	*line_out = (uint32_t)line;
	return true;
}

#define MAX_SCOPE_DEPTH 32 /* nesting followed; deeper (only a hostile file) is not searched */

static bool contains(Dwarf_Die *die, uint64_t vaddr)
{
	return dwarf_haspc(die, vaddr) > 0;
}

/* The function whose code holds vaddr: a DW_TAG_subprogram among the unit's
 * children, or in its namespaces and classes (C++). */
static bool find_function(Dwarf_Die *parent, uint64_t vaddr, int depth, Dwarf_Die *function)
{
	Dwarf_Die child;

	if (depth > MAX_SCOPE_DEPTH || dwarf_child(parent, &child) != 0)
		return false;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			if (contains(&child, vaddr)) {
				*function = child;
				return true;
			}
			break;
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
			if (find_function(&child, vaddr, depth + 1, function))
				return true;
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* The outermost inlined call holding vaddr in a function (through lexical blocks). */
static bool find_inlined_call(Dwarf_Die *parent, uint64_t vaddr, int depth, Dwarf_Die *inlined)
{
	Dwarf_Die child;

	if (depth > MAX_SCOPE_DEPTH || dwarf_child(parent, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_inlined_subroutine && contains(&child, vaddr)) {
			*inlined = child;
			return true;
		}
		if (tag == DW_TAG_lexical_block && find_inlined_call(&child, vaddr, depth + 1, inlined))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/*
 * The function around vaddr: where it is defined, and the outermost call
 * inlined into it that holds vaddr, whose call line replaces the line table's.
 * (Not dwarf_getscopes: past an inlined call it gives the inlined function's
 * abstract scopes, not the function it was inlined into.)
 */
static void function_scope(Dwarf_Die *cu, uint64_t vaddr, struct hs_source_line *out)
{
	Dwarf_Die function, inlined;
	char call_file[HS_SOURCE_PATH_MAX];
	uint32_t call_line;

	if (!find_function(cu, vaddr, 0, &function))
		return;
	file_and_line(cu, &function, DW_AT_decl_file, DW_AT_decl_line, out->function_file,
		      &out->function_line);
	if (find_inlined_call(&function, vaddr, 0, &inlined) &&
	    file_and_line(cu, &inlined, DW_AT_call_file, DW_AT_call_line, call_file, &call_line) &&
	    call_line) {
		memcpy(out->file, call_file, sizeof(call_file));
		out->line = call_line;
	}
}

/* vaddr is an ELF address of the object (for a return address: the call, i.e. minus 1). */
int hs_source_file_find(struct hs_source_file *src, uint64_t vaddr, struct hs_source_line *out)
{
	Dwarf_Die cu;

	memset(out, 0, sizeof(*out));
	if (!src->dwarf || find_cu(src, vaddr, &cu))
		return -ENOENT;
	table_line(&cu, vaddr, out);
	function_scope(&cu, vaddr, out);
	return out->line ? 0 : -ENOENT;
}

/* One object of the symbolizer, with its DWARF opened (or the reason it is not). */
struct hs_source_object {
	const struct hs_object *object;
	struct hs_source_file file;
	int error;
};

void hs_source_lines_init(struct hs_source_lines *lines, struct hs_symbolizer *sym)
{
	memset(lines, 0, sizeof(*lines));
	lines->sym = sym;
}

void hs_source_lines_free(struct hs_source_lines *lines)
{
	for (size_t i = 0; i < lines->object_count; i++)
		hs_source_file_close(&lines->objects[i].file);
	free(lines->objects);
	memset(lines, 0, sizeof(*lines));
}

/* The DWARF of object: from its debug file when it has no DWARF of its own. */
static struct hs_source_object *open_object(struct hs_source_lines *lines,
					    const struct hs_object *object)
{
	struct hs_source_object *opened;
	int fd;

	for (size_t i = 0; i < lines->object_count; i++)
		if (lines->objects[i].object == object)
			return &lines->objects[i];
	if (hs_array_reserve((void **)&lines->objects, &lines->object_capacity, lines->object_count,
			     sizeof(*lines->objects), 16))
		return NULL;
	opened = &lines->objects[lines->object_count++];
	memset(opened, 0, sizeof(*opened));
	opened->object = object;
	fd = hs_object_dwarf_fd(object);
	opened->error = fd < 0 ? fd : hs_source_file_open_fd(&opened->file, fd);
	return opened;
}

/*
 * The source line of a return address in pid (the call before it).  An object
 * without DWARF of its own needs its debug file found while its target lived
 * (the symbolizer's keep_files); -ENOENT when nothing is known.
 */
int hs_source_lines_find(struct hs_source_lines *lines, pid_t pid, uint64_t return_address,
			 struct hs_source_line *out)
{
	struct hs_source_object *opened;
	struct hs_frame_info info;

	memset(out, 0, sizeof(*out));
	if (hs_symbolizer_resolve(lines->sym, pid, return_address, true, &info) || !info.object ||
	    !info.vaddr)
		return -ENOENT;
	opened = open_object(lines, info.object);
	if (!opened)
		return -ENOMEM;
	if (opened->error)
		return opened->error;
	return hs_source_file_find(&opened->file, info.vaddr - 1, out);
}
