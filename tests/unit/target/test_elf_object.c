// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_elf_object.c - the ELF reader (user/target/elf_object.c) on the fixture
 * libsymbols.so (tests/unit/fixtures/symbols_lib.c) and its stripped and debug-file
 * variants: symbols by name and address, local versus exported names,
 * vaddr <-> file offset, build-id, .gnu_debuglink and the build-id directory,
 * and hostile input (garbage, truncated files).
 *
 * The truth comes from the dynamic linker, which loads the same file: dlsym
 * addresses minus the load bias are the ELF addresses, the bytes at a symbol's
 * file offset are the bytes the loader mapped there, and the build-id note is
 * read from the loaded image's program headers.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "target/elf_object.h"

static void fixture_path(char *out, size_t len, const char *name)
{
	if (check_fixture_path(out, len, name))
		out[0] = '\0';
}

static int read_file(const char *name, struct hs_elf_object *obj)
{
	char path[4200];
	int fd, err;
	Elf *elf;

	fixture_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	err = elf ? hs_elf_read(elf, obj) : -ENOEXEC;
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* What the object cache does for an object without .symtab (hs_object_read_debug_symbols):
 * find its debug file under root, merge that file's .symtab. */
static int add_debug_symbols(struct hs_elf_object *obj, const char *root, const char *path)
{
	int root_fd, fd, err;

	if (obj->has_symtab)
		return 0;
	root_fd = open(*root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return -errno;
	fd = hs_elf_open_debug_file(obj, root_fd, path, NULL, NULL);
	close(root_fd);
	if (fd < 0)
		return fd;
	err = hs_elf_read_debug_symbols(obj, fd);
	close(fd);
	return err;
}

static void *slurp(const char *name, size_t *len)
{
	char path[4200];
	struct stat st;
	void *data;
	int fd;

	fixture_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return NULL;
	data = malloc(st.st_size);
	*len = read(fd, data, st.st_size);
	close(fd);
	return data;
}

/* What the dynamic linker knows about the loaded fixture. */
struct loaded {
	void *handle;
	uint64_t bias;
	uint64_t global, local, hidden, bss; /* ELF addresses */
	void *global_code;		     /* where hs_fixture_global runs */
	unsigned char build_id[64];
	size_t build_id_len;
};

static int note_of(struct dl_phdr_info *info, size_t size, void *data)
{
	struct loaded *l = data;

	(void)size;
	if (info->dlpi_addr != l->bias || !strstr(info->dlpi_name, "libsymbols"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *at = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = at + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (at + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)at;
			const char *name = at + sizeof(*note);
			const char *desc = name + ((note->n_namesz + 3) & ~3u);

			if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 && note->n_descsz <= sizeof(l->build_id)) {
				memcpy(l->build_id, desc, note->n_descsz);
				l->build_id_len = note->n_descsz;
				return 1;
			}
			at = desc + ((note->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

static int load(const char *name, struct loaded *l)
{
	char path[4200];
	struct link_map *map;
	int (*(*local_address)(void))(int);
	int (*(*hidden_address)(void))(int);
	char *(*bss_address)(void);

	memset(l, 0, sizeof(*l));
	fixture_path(path, sizeof(path), name);
	l->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!l->handle || dlinfo(l->handle, RTLD_DI_LINKMAP, &map))
		return -1;
	l->bias = map->l_addr;
	l->global_code = dlsym(l->handle, "hs_fixture_global");
	*(void **)&local_address = dlsym(l->handle, "hs_fixture_local_address");
	*(void **)&hidden_address = dlsym(l->handle, "hs_fixture_hidden_address");
	*(void **)&bss_address = dlsym(l->handle, "hs_fixture_bss_address");
	if (!l->global_code || !local_address || !hidden_address || !bss_address)
		return -1;
	l->global = (uint64_t)(uintptr_t)l->global_code - l->bias;
	l->local = (uint64_t)(uintptr_t)local_address() - l->bias;
	l->hidden = (uint64_t)(uintptr_t)hidden_address() - l->bias;
	l->bss = (uint64_t)(uintptr_t)bss_address() - l->bias;
	dl_iterate_phdr(note_of, l);
	return 0;
}

static struct loaded fixture;

static void test_symbols_by_name_and_address(void)
{
	struct hs_elf_object obj;
	const struct hs_symbol *sym;

	CHECK_EQ(read_file("libsymbols.so", &obj), 0);
	CHECK_EQ(obj.type, ET_DYN);
	CHECK(obj.has_symtab);
	CHECK(obj.segment_count >= 2);

	sym = hs_elf_symbol_named(&obj, "hs_fixture_global", HS_SYMBOLS_DYNAMIC);
	CHECK(sym != NULL);
	if (sym) {
		CHECK_EQ(sym->addr, fixture.global);
		CHECK(sym->global && sym->size > 0);
		/* Every byte of the function is it, even with a local alias there. */
		CHECK(hs_elf_symbol_at(&obj, sym->addr) == hs_elf_symbol_at(&obj, sym->addr + sym->size - 1));
		CHECK(strcmp(hs_elf_symbol_at(&obj, sym->addr)->name, "hs_fixture_global") == 0);
		CHECK(hs_elf_symbol_at(&obj, sym->addr + sym->size) == NULL ||
		      hs_elf_symbol_at(&obj, sym->addr + sym->size)->addr == sym->addr + sym->size);
	}
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_local_alias", HS_SYMBOLS_ALL) != NULL);

	/* Local and hidden functions: in .symtab, never what the linker binds to. */
	sym = hs_elf_symbol_named(&obj, "hs_fixture_local", HS_SYMBOLS_ALL);
	CHECK(sym && sym->addr == fixture.local && !sym->global && !sym->dynamic);
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_local", HS_SYMBOLS_DYNAMIC) == NULL);
	sym = hs_elf_symbol_at(&obj, fixture.local + 1);
	CHECK(sym && strcmp(sym->name, "hs_fixture_local") == 0);
	sym = hs_elf_symbol_named(&obj, "hs_fixture_hidden", HS_SYMBOLS_ALL);
	CHECK(sym && sym->addr == fixture.hidden);
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_hidden", HS_SYMBOLS_DYNAMIC) == NULL);

	/* Data is not a function; nothing below the first function. */
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_bss", HS_SYMBOLS_ALL) == NULL);
	CHECK(hs_elf_symbol_at(&obj, 0) == NULL);
	CHECK(hs_elf_symbol_named(&obj, "no_such_function", HS_SYMBOLS_ALL) == NULL);

	/* Symbols are sorted by address. */
	size_t unsorted = 0;
	for (size_t i = 1; i < obj.symbol_count; i++)
		unsorted += obj.symbols[i - 1].addr > obj.symbols[i].addr;
	CHECK_EQ(unsorted, 0);
	hs_elf_free(&obj);
}

static void test_vaddr_and_offset(void)
{
	struct hs_elf_object obj;
	uint64_t offset = 0, vaddr = 0;
	unsigned char in_file[16];
	char path[4200];
	int fd;

	CHECK_EQ(read_file("libsymbols.so", &obj), 0);
	CHECK_EQ(hs_elf_vaddr_to_offset(&obj, fixture.global, &offset), 0);
	fixture_path(path, sizeof(path), "libsymbols.so");
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && pread(fd, in_file, sizeof(in_file), offset) == sizeof(in_file));
	close(fd);
	/* The bytes at that offset are the code the loader put at the symbol. */
	CHECK(memcmp(in_file, fixture.global_code, sizeof(in_file)) == 0);
	CHECK_EQ(hs_elf_offset_to_vaddr(&obj, offset, &vaddr), 0);
	CHECK_EQ(vaddr, fixture.global);

	/* .bss has an address but no bytes in the file; nothing maps ~0. */
	CHECK_EQ(hs_elf_vaddr_to_offset(&obj, fixture.bss + 0x8000, &offset), -ENOENT);
	CHECK_EQ(hs_elf_vaddr_to_offset(&obj, ~0ULL, &offset), -ENOENT);
	CHECK_EQ(hs_elf_offset_to_vaddr(&obj, 1ULL << 40, &vaddr), -ENOENT);
	hs_elf_free(&obj);
}

static void test_build_id(void)
{
	struct hs_elf_object obj;
	char hex[2 * HS_BUILD_ID_MAX + 1], expected[2 * HS_BUILD_ID_MAX + 1] = "", small[7];

	CHECK_EQ(read_file("libsymbols.so", &obj), 0);
	CHECK_EQ(fixture.build_id_len, 20); /* --build-id=sha1 */
	CHECK_EQ(obj.build_id_len, fixture.build_id_len);
	CHECK(memcmp(obj.build_id, fixture.build_id, fixture.build_id_len) == 0);
	for (size_t i = 0; i < fixture.build_id_len; i++)
		sprintf(expected + 2 * i, "%02x", fixture.build_id[i]);
	hs_elf_build_id_hex(&obj, hex, sizeof(hex));
	CHECK(strcmp(hex, expected) == 0);
	hs_elf_build_id_hex(&obj, small, sizeof(small)); /* whole bytes that fit */
	CHECK(strncmp(small, expected, 6) == 0 && strlen(small) == 6);
	CHECK(obj.debuglink == NULL);
	hs_elf_free(&obj);
}

/* Stripped: only exported names, until the debug file is found. */
static void test_debuglink(void)
{
	struct hs_elf_object obj;
	char path[4200];

	CHECK_EQ(read_file("libsymbols_stripped.so", &obj), 0);
	CHECK(!obj.has_symtab);
	CHECK(obj.debuglink && strcmp(obj.debuglink, "libsymbols.debug") == 0);
	CHECK_EQ(obj.build_id_len, fixture.build_id_len);
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_global", HS_SYMBOLS_DYNAMIC) != NULL);
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_local", HS_SYMBOLS_ALL) == NULL);

	fixture_path(path, sizeof(path), "libsymbols_stripped.so");
	CHECK_EQ(add_debug_symbols(&obj, "", path), 0); /* the debug file beside it */
	CHECK(obj.has_symtab);
	const struct hs_symbol *sym = hs_elf_symbol_named(&obj, "hs_fixture_local", HS_SYMBOLS_ALL);
	CHECK(sym && sym->addr == fixture.local);
	CHECK(sym && sym->from_debug_file);
	/* The probe planner's view: the file's own symbols only. */
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_local", HS_SYMBOLS_FILE) == NULL);
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_global", HS_SYMBOLS_FILE) != NULL);
	sym = hs_elf_symbol_at(&obj, fixture.global);
	CHECK(sym && strcmp(sym->name, "hs_fixture_global") == 0);
	CHECK_EQ(add_debug_symbols(&obj, "", path), 0); /* nothing more to do */
	hs_elf_free(&obj);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t got;
	int in = open(from, O_RDONLY | O_CLOEXEC), out, err = 0;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((got = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, got) != got)
			err = -EIO;
	close(in);
	close(out);
	return got < 0 ? -EIO : err;
}

/* The build-id directory under the target's root is tried first, inside that root only. */
static void test_build_id_directory(void)
{
	static const char *const subdirs[] = { "usr", "usr/lib", "usr/lib/debug",
					       "usr/lib/debug/.build-id" };
	char root[] = "/tmp/heapscope-test-root.XXXXXX", path[512], link[700], debug[4200];
	char hex[2 * HS_BUILD_ID_MAX + 1];
	struct hs_elf_object obj;

	CHECK(mkdtemp(root) != NULL);
	CHECK_EQ(read_file("libsymbols_stripped.so", &obj), 0);
	/* Without the directory and without a debuglink that resolves: not found. */
	CHECK_EQ(add_debug_symbols(&obj, root, "/nowhere/libsymbols_stripped.so"), -ENOENT);
	CHECK(!obj.has_symtab);

	/* root/usr/lib/debug/.build-id/xx/rest-of-the-id.debug -> libsymbols.debug */
	hs_elf_build_id_hex(&obj, hex, sizeof(hex));
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, subdirs[i]);
		CHECK_EQ(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/usr/lib/debug/.build-id/%.2s", root, hex);
	CHECK_EQ(mkdir(path, 0755), 0);
	snprintf(link, sizeof(link), "%s/%s.debug", path, hex + 2);
	fixture_path(debug, sizeof(debug), "libsymbols.debug");

	/* A symlink to the real file outside root, absolute or by "..": the target's
	 * root holds no such file, so it is not found there, and not read here. */
	CHECK_EQ(symlink(debug, link), 0);
	CHECK_EQ(add_debug_symbols(&obj, root, "/nowhere/libsymbols_stripped.so"), -ENOENT);
	CHECK_EQ(unlink(link), 0);
	char escape[4400] = "../../../../../../../../../..";
	strcat(escape, debug);
	CHECK_EQ(symlink(escape, link), 0);
	CHECK_EQ(add_debug_symbols(&obj, root, "/nowhere/libsymbols_stripped.so"), -ENOENT);
	CHECK(!obj.has_symtab);
	CHECK_EQ(unlink(link), 0);

	/* The debug file itself inside root is found. */
	CHECK_EQ(copy_file(debug, link), 0);
	CHECK_EQ(add_debug_symbols(&obj, root, "/nowhere/libsymbols_stripped.so"), 0);
	CHECK(obj.has_symtab);
	CHECK(hs_elf_symbol_named(&obj, "hs_fixture_local", HS_SYMBOLS_ALL) != NULL);
	hs_elf_free(&obj);

	unlink(link);
	rmdir(path);
	for (size_t i = sizeof(subdirs) / sizeof(subdirs[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", root, subdirs[i]);
		rmdir(path);
	}
	CHECK_EQ(rmdir(root), 0);
}

/* The same file from memory reads the same. */
static void test_read_memory(void)
{
	struct hs_elf_object from_fd, from_memory;
	size_t len = 0;
	void *data = slurp("libsymbols.so", &len);

	CHECK(data != NULL);
	CHECK_EQ(read_file("libsymbols.so", &from_fd), 0);
	CHECK_EQ(hs_elf_read_memory(data, len, &from_memory), 0);
	CHECK_EQ(from_memory.symbol_count, from_fd.symbol_count);
	CHECK_EQ(from_memory.segment_count, from_fd.segment_count);
	CHECK(memcmp(from_memory.build_id, from_fd.build_id, HS_BUILD_ID_MAX) == 0);
	for (size_t i = 0; i < from_fd.symbol_count && i < from_memory.symbol_count; i++) {
		CHECK_EQ(from_memory.symbols[i].addr, from_fd.symbols[i].addr);
		CHECK(strcmp(from_memory.symbols[i].name, from_fd.symbols[i].name) == 0);
	}
	hs_elf_free(&from_fd);
	hs_elf_free(&from_memory);
	free(data);
}

/* Not an ELF file, or one cut short anywhere: an error or fewer symbols, never a crash. */
static void test_hostile_input(void)
{
	struct hs_elf_object obj;
	static const char text[] = "#!/bin/sh\necho not an ELF file\n";
	size_t len = 0, bad_results = 0;
	unsigned char *data = slurp("libsymbols.so", &len);

	CHECK_EQ(hs_elf_read_memory(text, sizeof(text), &obj), -ENOEXEC);
	CHECK_EQ(hs_elf_read_memory(text, 0, &obj), -ENOEXEC);
	for (size_t cut = 0; data && cut < len; cut += 61) {
		int err = hs_elf_read_memory(data, cut, &obj);

		bad_results += err != 0 && err != -ENOEXEC && err != -EINVAL;
		if (!err) {
			for (size_t i = 0; i < obj.symbol_count; i++)
				hs_elf_symbol_at(&obj, obj.symbols[i].addr);
			hs_elf_free(&obj);
		}
	}
	/* Corrupted section headers: every byte of the ELF header flipped in turn. */
	for (size_t at = 0; data && at < 64; at++) {
		int err;

		data[at] ^= 0xff;
		err = hs_elf_read_memory(data, len, &obj);
		bad_results += err != 0 && err != -ENOEXEC && err != -EINVAL;
		if (!err)
			hs_elf_free(&obj);
		data[at] ^= 0xff;
	}
	CHECK_EQ(bad_results, 0);
	free(data);
}

int main(void)
{
	if (load("libsymbols.so", &fixture)) {
		fprintf(stderr, "cannot load the fixture libsymbols.so: %s\n", dlerror());
		return 1;
	}
	TEST(test_symbols_by_name_and_address);
	TEST(test_vaddr_and_offset);
	TEST(test_build_id);
	TEST(test_debuglink);
	TEST(test_build_id_directory);
	TEST(test_read_memory);
	TEST(test_hostile_input);
	dlclose(fixture.handle);
	return check_summary();
}
