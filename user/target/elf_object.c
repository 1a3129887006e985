// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * elf_object.c - read one ELF file (executable, shared object or detached debug
 * file) with libelf: load segments, build-id, .gnu_debuglink, function symbols,
 * whether it has DWARF; and find its detached debug file (checked by build-id).
 *
 * Input is untrusted: files inside a container are the attacker's.  Every
 * offset and count comes from libelf's checked accessors, names are copied
 * into our own pool, and a malformed file is an error, never a crash.
 *
 * Invariant: symbols[] is sorted by addr once reading is done, so lookups by
 * address are binary searches.
 */
#include "target/elf_object.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/array.h"
#include "target/maps.h"
#include "target/proc.h"

#define MAX_SYMBOLS (8u << 20) /* a sane upper bound even for huge binaries */

static int libelf_ready(void)
{
	static int version_ok = -1; /* set once; the same answer for every caller */

	if (version_ok < 0)
		version_ok = elf_version(EV_CURRENT) != EV_NONE;
	return version_ok ? 0 : -ENOTSUP;
}

/* Append a name; returns its offset in the pool, or -1.  Names are pointed to only
 * once reading is done (point_names), since the pool moves while it grows. */
static long pool_add(struct hs_elf_object *obj, const char *name)
{
	size_t len = strlen(name) + 1;

	if (obj->name_pool_len + len > obj->name_pool_cap) {
		size_t cap = obj->name_pool_cap ? obj->name_pool_cap : 4096;
		char *bigger;

		while (cap < obj->name_pool_len + len)
			cap *= 2;
		bigger = realloc(obj->name_pool, cap);
		if (!bigger)
			return -1;
		obj->name_pool = bigger;
		obj->name_pool_cap = cap;
	}
	memcpy(obj->name_pool + obj->name_pool_len, name, len);
	obj->name_pool_len += len;
	return (long)(obj->name_pool_len - len);
}

static void point_names(struct hs_elf_object *obj)
{
	for (size_t i = 0; i < obj->symbol_count; i++)
		obj->symbols[i].name = obj->name_pool + obj->symbols[i].name_offset;
}

/* Only the PT_LOAD segments (hs_elf_read reads them with everything else). */
int hs_elf_read_segments(Elf *elf, struct hs_elf_object *obj)
{
	size_t count;

	if (elf_getphdrnum(elf, &count))
		return -EINVAL;
	obj->segments = calloc(count ? count : 1, sizeof(*obj->segments));
	if (!obj->segments)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		GElf_Phdr phdr;

		if (!gelf_getphdr(elf, i, &phdr) || phdr.p_type != PT_LOAD)
			continue;
		/* Ranges that wrap around, or more file than memory (the kernel refuses to
		 * load that), cannot be what is mapped: address arithmetic on them lies. */
		if (phdr.p_offset + phdr.p_filesz < phdr.p_offset ||
		    phdr.p_vaddr + phdr.p_memsz < phdr.p_vaddr || phdr.p_filesz > phdr.p_memsz)
			continue;
		obj->segments[obj->segment_count++] = (struct hs_load_segment){
			.vaddr = phdr.p_vaddr,
			.memsz = phdr.p_memsz,
			.file_offset = phdr.p_offset,
			.filesz = phdr.p_filesz,
		};
	}
	return 0;
}

static void read_build_id(Elf_Data *data, struct hs_elf_object *obj)
{
	size_t offset = 0, name_at, desc_at;
	GElf_Nhdr note;

	while ((offset = gelf_getnote(data, offset, &note, &name_at, &desc_at)) > 0) {
		if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
		    memcmp((char *)data->d_buf + name_at, "GNU", 4) == 0 &&
		    note.n_descsz <= HS_BUILD_ID_MAX) {
			memcpy(obj->build_id, (char *)data->d_buf + desc_at, note.n_descsz);
			obj->build_id_len = note.n_descsz;
			return;
		}
	}
}

static void read_debuglink(Elf_Data *data, struct hs_elf_object *obj)
{
	const char *name = data->d_buf;

	if (!name || data->d_size < 2 || !memchr(name, '\0', data->d_size) || obj->debuglink)
		return;
	if (strchr(name, '/'))
		return; /* a debuglink is a bare file name; anything else is not to be followed */
	obj->debuglink = strdup(name);
}

static int add_symbol(struct hs_elf_object *obj, size_t *cap, const GElf_Sym *sym, const char *name,
		      bool dynamic, bool from_debug_file)
{
	long name_offset;

	if (obj->symbol_count >= MAX_SYMBOLS)
		return -E2BIG;
	if (obj->symbol_count == *cap) {
		size_t bigger_cap = *cap ? *cap * 2 : 1024;
		struct hs_symbol *bigger = realloc(obj->symbols, bigger_cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		obj->symbols = bigger;
		*cap = bigger_cap;
	}
	name_offset = pool_add(obj, name);
	if (name_offset < 0)
		return -ENOMEM;
	obj->symbols[obj->symbol_count++] = (struct hs_symbol){
		.addr = sym->st_value,
		.size = sym->st_size,
		.name_offset = (size_t)name_offset,
		.dynamic = dynamic,
		.from_debug_file = from_debug_file,
		.global = GELF_ST_BIND(sym->st_info) != STB_LOCAL,
	};
	return 0;
}

static bool is_function(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && sym->st_shndx != SHN_UNDEF &&
	       sym->st_value != 0;
}

/* An undefined function in .dynsym: what this object calls in another one. */
static bool is_import(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return sym->st_shndx == SHN_UNDEF && (type == STT_FUNC || type == STT_NOTYPE) &&
	       GELF_ST_BIND(sym->st_info) != STB_LOCAL;
}

static int add_import(struct hs_elf_object *obj, const char *name)
{
	long name_offset;

	if (obj->import_count == obj->import_cap) {
		size_t bigger_cap = obj->import_cap ? obj->import_cap * 2 : 256;
		size_t *bigger = realloc(obj->import_offsets, bigger_cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		obj->import_offsets = bigger;
		obj->import_cap = bigger_cap;
	}
	name_offset = pool_add(obj, name);
	if (name_offset < 0)
		return -ENOMEM;
	obj->import_offsets[obj->import_count++] = (size_t)name_offset;
	return 0;
}

static int read_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr, struct hs_elf_object *obj,
			size_t *cap, bool from_debug_file)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count;

	if (!data || shdr->sh_entsize == 0)
		return 0;
	count = data->d_size / shdr->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;
		int err;

		bool dynamic = shdr->sh_type == SHT_DYNSYM;

		if (!gelf_getsym(data, i, &sym) || !(is_function(&sym) || (dynamic && is_import(&sym))))
			continue;
		name = elf_strptr(elf, shdr->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (is_function(&sym))
			err = add_symbol(obj, cap, &sym, name, dynamic, from_debug_file);
		else
			err = add_import(obj, name);
		if (err)
			return err;
	}
	return 0;
}

static int compare_symbols(const void *a, const void *b)
{
	const struct hs_symbol *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address prefer a global name with a size (a sized global over a local
	 * alias), then the public spelling: strdup over glibc's __strdup. */
	if (x->global != y->global)
		return x->global ? -1 : 1;
	if ((x->size != 0) != (y->size != 0))
		return (y->size != 0) - (x->size != 0);
	return (int)strspn(x->name, "_") - (int)strspn(y->name, "_");
}

static int compare_pool_names(const void *a, const void *b, void *pool)
{
	return strcmp((const char *)pool + *(const size_t *)a, (const char *)pool + *(const size_t *)b);
}

/* Read sections; symtab_only: only .symtab (from a detached debug file). */
static int read_sections(Elf *elf, struct hs_elf_object *obj, bool symtab_only)
{
	size_t cap = obj->symbol_count;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int err = 0;

	if (elf_getshdrstrndx(elf, &shstrndx))
		shstrndx = 0;
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			return -EINVAL;
		name = shstrndx ? elf_strptr(elf, shstrndx, shdr.sh_name) : NULL;
		if (shdr.sh_type == SHT_SYMTAB) {
			err = read_symbols(elf, scn, &shdr, obj, &cap, symtab_only);
			obj->has_symtab = obj->has_symtab || !err;
		} else if (shdr.sh_type == SHT_DYNSYM && !symtab_only) {
			err = read_symbols(elf, scn, &shdr, obj, &cap, false);
		} else if (shdr.sh_type == SHT_NOTE && !symtab_only && !obj->build_id_len) {
			Elf_Data *data = elf_getdata(scn, NULL);

			if (data)
				read_build_id(data, obj);
		} else if (name && !symtab_only && shdr.sh_type != SHT_NOBITS &&
			   strcmp(name, ".debug_info") == 0) {
			obj->has_debug_info = true;
		} else if (name && !symtab_only && strcmp(name, ".gnu_debuglink") == 0) {
			Elf_Data *data = elf_getdata(scn, NULL);

			if (data)
				read_debuglink(data, obj);
		}
	}
	point_names(obj);
	if (!err && obj->symbol_count)
		qsort(obj->symbols, obj->symbol_count, sizeof(*obj->symbols), compare_symbols);
	if (!err && obj->import_count)
		qsort_r(obj->import_offsets, obj->import_count, sizeof(*obj->import_offsets),
			compare_pool_names, obj->name_pool);
	return err;
}

/* Everything heapscope reads from one ELF file (an executable or shared object). */
int hs_elf_read(Elf *elf, struct hs_elf_object *obj)
{
	GElf_Ehdr ehdr;
	int err;

	memset(obj, 0, sizeof(*obj));
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr))
		return -ENOEXEC;
	obj->type = ehdr.e_type;
	err = hs_elf_read_segments(elf, obj);
	if (!err)
		err = read_sections(elf, obj, false);
	if (err)
		hs_elf_free(obj);
	return err;
}

int hs_elf_read_memory(const void *data, size_t len, struct hs_elf_object *obj)
{
	Elf *elf;
	int err = libelf_ready();

	if (err)
		return err;
	elf = elf_memory((char *)data, len);
	if (!elf)
		return -ENOEXEC;
	err = hs_elf_read(elf, obj);
	elf_end(elf);
	return err;
}

/*
 * The candidate-th place (from 0) where Debian and gdb put obj's detached debug
 * file: /usr/lib/debug/.build-id/xx/rest.debug, then the debuglink name beside
 * the object, in .debug/ and under /usr/lib/debug, as the target sees them (the
 * caller opens them inside its root).  -ENOENT once there are no more.
 */
static int debug_path(const struct hs_elf_object *obj, const char *object_path,
		      unsigned int candidate, char *out, size_t len)
{
	static const char *const beside[] = { "%.*s/%s", "%.*s/.debug/%s",
					      "/usr/lib/debug%.*s/%s" };
	char hex[2 * HS_BUILD_ID_MAX + 1];
	const char *slash;

	if (obj->build_id_len > 1) {
		if (candidate == 0) {
			hs_elf_build_id_hex(obj, hex, sizeof(hex));
			snprintf(out, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
			return 0;
		}
		candidate--;
	}
	if (!obj->debuglink || !object_path || !(slash = strrchr(object_path, '/')) ||
	    candidate >= sizeof(beside) / sizeof(beside[0]))
		return -ENOENT;
	snprintf(out, len, beside[candidate], (int)(slash - object_path), object_path,
		 obj->debuglink);
	return 0;
}

/* debug_path for those who tell the user where a debug file would be looked for (paths as
 * the target sees them, inside its root). */
int hs_elf_debug_path(const struct hs_elf_object *obj, const char *object_path,
		      unsigned int candidate, char *out, size_t len)
{
	return debug_path(obj, object_path, candidate, out, len);
}

/* Is the ELF file at fd obj's debug file: the same build-id, when obj has one? */
static bool is_debug_file_of(int fd, const struct hs_elf_object *obj)
{
	struct hs_elf_object debug = { 0 };
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool same = false;
	Elf_Scn *scn = NULL;

	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		return false;
	}
	while (obj->build_id_len && !debug.build_id_len && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_NOTE &&
		    (data = elf_getdata(scn, NULL)))
			read_build_id(data, &debug);
	}
	same = debug.build_id_len == obj->build_id_len &&
	       memcmp(debug.build_id, obj->build_id, obj->build_id_len) == 0;
	elf_end(elf);
	return same;
}

/*
 * Open obj's detached debug file (debug_path) inside the target's root, root_fd: a
 * planted symlink or "..", a FIFO, a device or a huge file there cannot make heapscope
 * read anything outside it (hs_open_in_root).  Each candidate refused, rather than
 * absent, is told to refused (may be NULL).  The fd, or -ENOENT (-ENOSYS without
 * openat2).
 */
int hs_elf_open_debug_file(const struct hs_elf_object *obj, int root_fd, const char *object_path,
			   hs_refused_fn *refused, void *ctx)
{
	char path[HS_PATH_MAX + 64];

	if (libelf_ready())
		return -ENOTSUP;
	for (unsigned int i = 0; debug_path(obj, object_path, i, path, sizeof(path)) == 0; i++) {
		int fd = hs_open_in_root(root_fd, path, HS_TARGET_FILE_MAX_BYTES);

		if (fd < 0 && refused && hs_open_refusal(fd))
			refused(ctx, path, fd);
		if (fd == -ENOSYS)
			return fd; /* every other candidate would say the same */
		if (fd < 0)
			continue;
		if (is_debug_file_of(fd, obj))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* Add .symtab from obj's detached debug file, open at debug_fd. */
int hs_elf_read_debug_symbols(struct hs_elf_object *obj, int debug_fd)
{
	Elf *elf;
	int err;

	if (obj->has_symtab)
		return 0;
	elf = elf_begin(debug_fd, ELF_C_READ_MMAP, NULL);
	err = elf && elf_kind(elf) == ELF_K_ELF ? read_sections(elf, obj, true) : -ENOEXEC;
	if (elf)
		elf_end(elf);
	return obj->has_symtab ? 0 : (err ? err : -ENOENT);
}

void hs_elf_free(struct hs_elf_object *obj)
{
	free(obj->segments);
	free(obj->debuglink);
	free(obj->symbols);
	free(obj->name_pool);
	free(obj->import_offsets);
	memset(obj, 0, sizeof(*obj));
}

static int compare_vaddr_symbol(const void *key, const void *item)
{
	uint64_t vaddr = *(const uint64_t *)key;
	const struct hs_symbol *sym = item;

	return vaddr < sym->addr ? -1 : vaddr > sym->addr;
}

/* The function containing vaddr: the last symbol at or below it, if its size covers
 * vaddr (a size-less symbol covers up to the next one). */
const struct hs_symbol *hs_elf_symbol_at(const struct hs_elf_object *obj, uint64_t vaddr)
{
	size_t at = hs_array_upper_bound(obj->symbols, obj->symbol_count, sizeof(*obj->symbols),
					 &vaddr, compare_vaddr_symbol);
	const struct hs_symbol *sym;

	if (at == 0)
		return NULL;
	sym = &obj->symbols[at - 1];
	/* Several symbols may start at sym->addr: use the first, the preferred name. */
	while (sym > obj->symbols && (sym - 1)->addr == sym->addr)
		sym--;
	for (const struct hs_symbol *alias = sym;
	     alias < obj->symbols + obj->symbol_count && alias->addr == sym->addr; alias++)
		if (alias->size == 0 || vaddr < alias->addr + alias->size)
			return alias;
	return NULL;
}

/* The first symbol named NAME among those scope admits. */
const struct hs_symbol *hs_elf_symbol_named(const struct hs_elf_object *obj, const char *name,
					    enum hs_symbol_scope scope)
{
	for (size_t i = 0; i < obj->symbol_count; i++) {
		const struct hs_symbol *sym = &obj->symbols[i];

		if (scope == HS_SYMBOLS_DYNAMIC && !(sym->dynamic && sym->global))
			continue;
		if (scope == HS_SYMBOLS_FILE && sym->from_debug_file)
			continue;
		if (strcmp(sym->name, name) == 0)
			return sym;
	}
	return NULL;
}

/* Does the object call NAME in another object (an undefined dynamic symbol)? */
bool hs_elf_imports(const struct hs_elf_object *obj, const char *name)
{
	size_t lo = 0, hi = obj->import_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int order = strcmp(name, obj->name_pool + obj->import_offsets[mid]);

		if (order == 0)
			return true;
		if (order < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}


/* The file offset of [vaddr, vaddr + len), when one load segment's file bytes hold all of it. */
int hs_elf_range_to_offset(const struct hs_elf_object *obj, uint64_t vaddr, uint64_t len,
			   uint64_t *file_offset)
{
	for (size_t i = 0; i < obj->segment_count; i++) {
		const struct hs_load_segment *seg = &obj->segments[i];

		if (vaddr >= seg->vaddr && len <= seg->filesz &&
		    vaddr - seg->vaddr <= seg->filesz - len) {
			*file_offset = vaddr - seg->vaddr + seg->file_offset;
			return 0;
		}
	}
	return -ENOENT;
}

int hs_elf_vaddr_to_offset(const struct hs_elf_object *obj, uint64_t vaddr, uint64_t *file_offset)
{
	return hs_elf_range_to_offset(obj, vaddr, 1, file_offset);
}

int hs_elf_offset_to_vaddr(const struct hs_elf_object *obj, uint64_t file_offset, uint64_t *vaddr)
{
	for (size_t i = 0; i < obj->segment_count; i++) {
		const struct hs_load_segment *seg = &obj->segments[i];

		if (file_offset >= seg->file_offset && file_offset < seg->file_offset + seg->filesz) {
			*vaddr = file_offset - seg->file_offset + seg->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

void hs_elf_build_id_hex(const struct hs_elf_object *obj, char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < obj->build_id_len && at + 3 <= len; i++)
		at += snprintf(out + at, len - at, "%02x", obj->build_id[i]);
}
