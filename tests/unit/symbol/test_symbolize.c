// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_symbolize.c - the symbolizer (user/symbol/symbolize.c) on this very process
 * through /proc/self: the load bias of a PIE (this test) and of shared objects
 * (libc, the fixture libsymbols_stripped.so whose local names only its
 * .gnu_debuglink file has), return addresses, a library loaded after the
 * first snapshot, and addresses no file covers.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "symbol/symbolize.h"

static struct hs_objects cache;
static struct hs_symbolizer sym;
static pid_t self;

/* A function of this PIE. */
__attribute__((noinline, used)) int symbolize_test_function(int x)
{
	return x * 5 + 3;
}

static void *open_fixture(const char *name)
{
	char path[4200];

	if (check_fixture_path(path, sizeof(path), name))
		return NULL;
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* "function" or "module+0x..." for an address, as every output names it. */
static const char *name_of(uint64_t addr, bool return_address, int *err)
{
	static char name[512];
	struct hs_frame_info info;

	*err = hs_symbolizer_resolve(&sym, self, addr, return_address, &info);
	hs_frame_format(&info, addr, name, sizeof(name));
	return name;
}

static void check_name(uint64_t addr, bool return_address, const char *expected, int line)
{
	int err;
	const char *got = name_of(addr, return_address, &err);

	checks_run++;
	if (err || strcmp(got, expected) != 0) {
		check_failures++;
		fprintf(stderr, "  test_symbolize.c:%d: 0x%llx named '%s' (%d), expected '%s'\n", line,
			(unsigned long long)addr, got, err, expected);
	}
}

#define CHECK_NAME(addr, return_address, expected) \
	check_name(addr, return_address, expected, __LINE__)

/* The dynamic linker reports the main program first: its load bias. */
static int main_program_bias(struct dl_phdr_info *info, size_t size, void *bias)
{
	(void)size;
	*(uint64_t *)bias = info->dlpi_addr;
	return 1;
}

static void test_pie_executable(void)
{
	struct hs_frame_info info;
	uint64_t fn = addr_of(symbolize_test_function), bias = 0;

	dl_iterate_phdr(main_program_bias, &bias);
	CHECK(bias != 0); /* this test is a PIE, loaded away from its ELF addresses */
	CHECK_NAME(fn, false, "symbolize_test_function");
	/* A return address is looked up one byte before: right after a call that
	 * ends the function it still names the function. */
	CHECK_NAME(fn + 1, true, "symbolize_test_function");
	CHECK_EQ(hs_symbolizer_resolve(&sym, self, fn, false, &info), 0);
	CHECK(info.object && info.object->elf.type == ET_DYN);
	CHECK(info.module && strcmp(info.module, "test_symbolize") == 0);
	CHECK_EQ(info.vaddr, fn - bias);
}

/* Below the first function (the program headers): no symbol, the module and
 * the ELF address instead. */
static void test_address_without_symbol(void)
{
	struct hs_frame_info info;
	uint64_t bias = 0;
	char expected[128];

	dl_iterate_phdr(main_program_bias, &bias);
	CHECK_EQ(hs_symbolizer_resolve(&sym, self, bias + 0x40, false, &info), 0);
	CHECK(info.function == NULL);
	CHECK_EQ(info.vaddr, 0x40);
	snprintf(expected, sizeof(expected), "test_symbolize+0x%x", 0x40);
	CHECK_NAME(bias + 0x40, false, expected);
}

static void test_libc(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	struct hs_frame_info info;

	CHECK(libc != NULL);
	if (!libc)
		return;
	/* Names with no alias at their address in libc's .dynsym; looked up in libc
	 * itself, past any interposer. */
	CHECK_NAME(addr_of(dlsym(libc, "hsearch_r")), false, "hsearch_r");
	CHECK_NAME(addr_of(dlsym(libc, "qsort")) + 7, false, "qsort");
	CHECK_NAME(addr_of(dlsym(libc, "fnmatch")) + 1, true, "fnmatch");
	CHECK_EQ(hs_symbolizer_resolve(&sym, self, addr_of(dlsym(libc, "qsort")), false, &info), 0);
	CHECK(info.module && strcmp(info.module, "libc.so.6") == 0);
	dlclose(libc);
}

/* The stripped fixture's local function is named from its .gnu_debuglink file. */
static void test_library_with_debuglink(void)
{
	void *lib = open_fixture("libsymbols_stripped.so");
	int (*(*local_address)(void))(int);
	struct link_map *map;
	struct hs_frame_info info;

	CHECK(lib != NULL);
	if (!lib)
		return;
	*(void **)&local_address = dlsym(lib, "hs_fixture_local_address");
	CHECK(local_address != NULL && dlinfo(lib, RTLD_DI_LINKMAP, &map) == 0);
	if (!local_address)
		return;
	uint64_t local = addr_of(local_address());
	uint64_t global = addr_of(dlsym(lib, "hs_fixture_global"));

	/* Loaded after the first snapshot: prepare() reads the maps again. */
	CHECK_EQ(hs_symbolizer_prepare(&sym, self, (uint64_t[]){ local, global }, 2), 0);
	CHECK_NAME(local, false, "hs_fixture_local");
	CHECK_NAME(global + 1, true, "hs_fixture_global");
	CHECK_EQ(hs_symbolizer_resolve(&sym, self, local, false, &info), 0);
	CHECK_EQ(info.vaddr, local - map->l_addr); /* load bias of a shared object */
	CHECK(strcmp(info.module, "libsymbols_stripped.so") == 0);
	CHECK(info.object->elf.has_symtab);
	dlclose(lib);
}

/*
 * A readable page between two inaccessible ones, mapped before the first maps
 * snapshot: the kernel cannot merge it with a neighbouring anonymous mapping,
 * and no older mapping at its address can be in a snapshot.
 */
static char *guarded;

static void test_no_file(void)
{
	char *anon = guarded + 4096;
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct hs_frame_info info;
	int err;

	CHECK_EQ(hs_symbolizer_prepare(&sym, self, (uint64_t[]){ addr_of(anon) }, 1), 0);
	CHECK_EQ(hs_symbolizer_resolve(&sym, self, addr_of(anon) + 16, false, &info), 0);
	CHECK(info.function == NULL && info.object == NULL);
	CHECK(strcmp(info.module, "[anon]") == 0);
	CHECK(strcmp(name_of(addr_of(anon) + 16, false, &err), "[anon]+0x10") == 0);
	if (vdso) {
		CHECK_EQ(hs_symbolizer_resolve(&sym, self, vdso + 8, false, &info), 0);
		CHECK(strcmp(info.module, "[vdso]") == 0);
	}
	/* Nothing mapped there: an error, and still a name. */
	CHECK(strcmp(name_of(0x10, false, &err), "[unknown 0x10]") == 0);
	CHECK_EQ(err, -ENOENT);
	/* A process the symbolizer was never told about. */
	CHECK_EQ(hs_symbolizer_resolve(&sym, self + 1, addr_of(anon), false, &info), -ENOENT);
	CHECK_EQ(hs_symbolizer_prepare(&sym, self + 1, (uint64_t[]){ 1 }, 1), -ESRCH);
}

static void test_demangle(void)
{
	char *plain = hs_demangle("_ZN7storage5cache3putERKSsm");

	CHECK(plain && strcmp(plain, "storage::cache::put(std::string const&, unsigned long)") == 0);
	free(plain);
	CHECK(hs_demangle("malloc") == NULL);
	CHECK(hs_demangle("_Znot a mangled name") == NULL);
}

/* Objects are opened and read once per (device, inode), whatever the number of lookups;
 * the maps are read again only when an address is in none of the snapshot's mappings. */
static void test_objects_cached(void)
{
	struct hs_objects_stats before = cache.stats;
	size_t objects = cache.object_count;
	int err;

	for (int i = 0; i < 100; i++)
		name_of(addr_of(symbolize_test_function), false, &err);
	CHECK_EQ(cache.object_count, objects);
	CHECK_EQ(hs_symbolizer_add_process(&sym, self), 0); /* already known: nothing re-read */
	CHECK_EQ(cache.stats.processes, 1);
	CHECK_EQ(cache.object_count, objects);
	CHECK_EQ(cache.stats.opened, before.opened);
	CHECK_EQ(cache.stats.parsed, before.parsed);
	CHECK_EQ(cache.stats.debug_files, before.debug_files);
	CHECK_EQ(cache.stats.maps_reads, before.maps_reads);
	CHECK_EQ(cache.stats.opened, cache.object_count); /* every object here can be opened */
}

int main(void)
{
	self = getpid();
	guarded = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guarded == MAP_FAILED || mprotect(guarded + 4096, 4096, PROT_READ))
		return 1;
	hs_objects_init(&cache);
	hs_symbolizer_init(&sym, &cache);
	if (hs_symbolizer_add_process(&sym, self)) {
		fprintf(stderr, "cannot read this process's maps\n");
		return 1;
	}
	TEST(test_pie_executable);
	TEST(test_address_without_symbol);
	TEST(test_libc);
	TEST(test_library_with_debuglink);
	TEST(test_no_file);
	TEST(test_demangle);
	TEST(test_objects_cached);
	hs_symbolizer_free(&sym);
	hs_objects_free(&cache);
	return check_summary();
}
