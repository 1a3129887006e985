// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ret_sites.c - user/probe/ret_sites.c on the fixture libretsites.so
 * (tests/unit/fixtures/ret_sites_lib.S), whose functions' ways out are labelled: the
 * finder finds exactly the labelled ret instructions, through direct, PLT and
 * GOT tail jumps and jumps into the middle of another function, and gives up
 * (saying why) on what it cannot follow.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "probe/ret_sites.h"

static void *fixture;
static uintptr_t fixture_base;

/* The ELF address of a symbol of the fixture (its first PT_LOAD is at 0). */
static uint64_t fixture_vaddr(const char *name)
{
	void *address = dlsym(fixture, name);

	CHECK(address != NULL);
	return address ? (uintptr_t)address - fixture_base : 0;
}

/* hs_bind_fn: the fixture's own functions bind here, anything else elsewhere. */
static int bind_fixture(void *ctx, const char *name, uint64_t *vaddr)
{
	Dl_info info;
	void *address = dlsym(fixture, name);

	(void)ctx;
	if (!address)
		return dlsym(RTLD_DEFAULT, name) ? -EXDEV : -ENOENT;
	if (!dladdr(address, &info) || (uintptr_t)info.dli_fbase != fixture_base)
		return -EXDEV;
	*vaddr = (uintptr_t)address - fixture_base;
	return 0;
}

static struct hs_code_object code;

static bool found(const struct hs_ret_sites *sites, uint64_t vaddr)
{
	for (size_t i = 0; i < sites->count; i++)
		if (sites->vaddrs[i] == vaddr)
			return true;
	return false;
}

/* The rets found for function are exactly the labels given. */
static void expect_rets(const char *function, const char *const *labels, size_t count)
{
	struct hs_ret_sites sites;

	CHECK_EQ(hs_ret_sites_find(&code, bind_fixture, NULL, fixture_vaddr(function), &sites), 0);
	if (sites.incomplete)
		fprintf(stderr, "  %s: %s at 0x%llx\n", function, sites.incomplete,
			(unsigned long long)sites.incomplete_at);
	CHECK(sites.incomplete == NULL);
	CHECK_EQ(sites.count, count);
	for (size_t i = 0; i < count; i++)
		CHECK(found(&sites, fixture_vaddr(labels[i])));
}

static void expect_incomplete(const char *function, const char *why)
{
	struct hs_ret_sites sites;

	CHECK_EQ(hs_ret_sites_find(&code, bind_fixture, NULL, fixture_vaddr(function), &sites), 0);
	CHECK(sites.incomplete && strcmp(sites.incomplete, why) == 0);
	if (sites.incomplete && strcmp(sites.incomplete, why) != 0)
		fprintf(stderr, "  %s: %s\n", function, sites.incomplete);
}

static void test_ways_out(void)
{
	static const char *const simple[] = { "rs_simple_ret1", "rs_simple_ret2" };
	static const char *const tail_local[] = { "rs_helper_ret1", "rs_cold_ret1",
						  "rs_other_ret1" };
	static const char *const exported[] = { "rs_exported_ret1" };
	static const char *const noreturn[] = { "rs_noreturn_ret1" };

	expect_rets("rs_simple", simple, 2); /* not rs_helper's ret: it is called */
	expect_rets("rs_tail_local", tail_local, 3);
	expect_rets("rs_tail_plt", exported, 1);
	expect_rets("rs_tail_got", exported, 1);
	expect_rets("rs_noreturn", noreturn, 1);
}

static void test_gives_up(void)
{
	expect_incomplete("rs_indirect", "an indirect jump");
	expect_incomplete("rs_external", "a tail call into another object");
	expect_incomplete("rs_runs_off", "code that runs past the end of its function");
	expect_incomplete("rs_deep", "tail jumps deeper than the bound");
	expect_incomplete("rs_many_rets", "more ret instructions than the bound");
}

int main(void)
{
	char path[4200];
	Dl_info info;
	Elf *elf;
	int fd;

	if (check_fixture_path(path, sizeof(path), "libretsites.so") ||
	    !(fixture = dlopen(path, RTLD_NOW | RTLD_LOCAL)) ||
	    !dladdr(dlsym(fixture, "rs_simple"), &info)) {
		fprintf(stderr, "  cannot load the fixture %s\n", path);
		return 1;
	}
	fixture_base = (uintptr_t)info.dli_fbase;
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(elf_version(EV_CURRENT) != EV_NONE);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	CHECK_EQ(hs_code_object_read(elf, &code), 0);
	TEST(test_ways_out);
	TEST(test_gives_up);
	hs_code_object_free(&code);
	elf_end(elf);
	close(fd);
	dlclose(fixture);
	return check_summary();
}
