// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_probes.c - user/probe/probes.c, user/target/link_order.c and the import list of
 * user/target/elf_object.c, on this very process (no BPF needed): the dynamic
 * linker's order, what is imported, where malloc resolves, and the attach
 * line's description of a plan.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "target/elf_object.h"
#include "target/link_order.h"
#include "probe/probes.h"
#include "target/proc.h"

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void test_imports(void)
{
	struct hs_elf_object obj;
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf *elf;

	CHECK(fd >= 0);
	elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	CHECK(elf != NULL);
	CHECK_EQ(hs_elf_read(elf, &obj), 0);
	elf_end(elf);
	close(fd);
	CHECK(hs_elf_imports(&obj, "malloc"));	 /* called here, defined in libc */
	CHECK(hs_elf_imports(&obj, "free"));
	CHECK(!hs_elf_imports(&obj, "main")); /* defined here */
	CHECK(!hs_elf_imports(&obj, "mallocx"));
	CHECK(!hs_elf_imports(&obj, ""));
	hs_elf_free(&obj);
}

/* The dynamic linker's list: this executable first, libc later, each object once. */
static void test_link_order(void)
{
	struct hs_maps maps;
	struct hs_link_order order;
	bool libc_seen = false;

	CHECK_EQ(hs_maps_read(getpid(), &maps), 0);
	CHECK_EQ(hs_link_order_read(getpid(), &maps, &order), 0);
	CHECK(order.from_link_map);
	CHECK(order.count >= 2);
	CHECK(strcmp(basename_of(maps.items[order.map_index[0]].path), "test_probes") == 0);
	for (size_t i = 0; i < order.count; i++) {
		const struct hs_mapping *map = &maps.items[order.map_index[i]];

		libc_seen = libc_seen || strcmp(basename_of(map->path), "libc.so.6") == 0;
		for (size_t j = 0; j < i; j++)
			CHECK(maps.items[order.map_index[j]].inode != map->inode);
	}
	CHECK(libc_seen);
	hs_link_order_free(&order);
	hs_maps_free(&maps);
}

/* Where the dynamic linker itself binds NAME in this process (dlsym's global lookup). */
static bool bound_in(const char *name, const char *object_path)
{
	void *address = dlsym(RTLD_DEFAULT, name);
	char bound[PATH_MAX], probed[PATH_MAX];
	Dl_info info;

	if (!address || !dladdr(address, &info) || !info.dli_fname)
		return false;
	if (!realpath(info.dli_fname, bound) || !realpath(object_path, probed))
		return false;
	return strcmp(bound, probed) == 0;
}

/* Every probe sits where this process binds the name (libc, or an interposer such as
 * ASan's malloc in the executable); nothing here imports jemalloc's API. */
static void test_plan_self(void)
{
	struct hs_objects cache;
	const struct hs_maps *maps;
	struct hs_probe_plan plan;
	char described[8192];
	bool malloc_seen = false;

	hs_objects_init(&cache);
	CHECK_EQ(hs_objects_refresh_maps(&cache, getpid(), &maps), 0);
	CHECK_EQ(hs_probes_plan(&cache, getpid(), maps, &plan), 0);
	for (size_t i = 0; i < plan.site_count; i++) {
		const struct hs_probe_site *site = &plan.sites[i];

		CHECK(site->family != HS_FAMILY_JEMALLOC);
		CHECK(bound_in(site->function, plan.objects[site->object].path));
		if (strcmp(site->function, "malloc") == 0) {
			malloc_seen = true;
			CHECK(site->has_return);
			hs_probes_describe(&plan, described, sizeof(described));
			CHECK(strncmp(described, plan.objects[site->object].path,
				      strlen(plan.objects[site->object].path)) == 0);
		}
		if (strcmp(site->function, "free") == 0)
			CHECK(!site->has_return);
	}
	CHECK(malloc_seen);
	hs_probes_free(&plan);

	/* Planned again (as a just-exec()ed target is): no file opened or parsed twice. */
	struct hs_objects_stats first = cache.stats;

	CHECK(first.opened > 0 && first.opened == first.parsed);
	CHECK_EQ(hs_objects_refresh_maps(&cache, getpid(), &maps), 0);
	CHECK_EQ(hs_probes_plan(&cache, getpid(), maps, &plan), 0);
	CHECK_EQ(cache.stats.opened, first.opened);
	CHECK_EQ(cache.stats.parsed, first.parsed);
	CHECK_EQ(cache.stats.parts[HS_PART_CODE], first.parts[HS_PART_CODE]);
	CHECK_EQ(cache.stats.maps_reads, 2);
	hs_probes_free(&plan);
	hs_objects_free(&cache);
}

static void add_site(struct hs_probe_plan *plan, const char *function, enum hs_probe_family family,
		     size_t object)
{
	plan->sites[plan->site_count++] = (struct hs_probe_site){
		.function = function,
		.family = family,
		.object = object,
	};
}

/* The attach line: the family name where its first function lives, single names elsewhere. */
static void test_describe(void)
{
	struct hs_probe_object objects[2] = { { .path = "/lib/libjemalloc.so.2" },
					      { .path = "/lib/libc.so.6" } };
	struct hs_probe_plan plan = { .objects = objects, .object_count = 2 };
	char out[256];

	add_site(&plan, "malloc", HS_FAMILY_C, 0);
	add_site(&plan, "reallocarray", HS_FAMILY_C, 1);
	add_site(&plan, "free", HS_FAMILY_C, 0);
	add_site(&plan, "pvalloc", HS_FAMILY_C, 1);
	add_site(&plan, "_Znwm", HS_FAMILY_CXX, 0);
	add_site(&plan, "mallocx", HS_FAMILY_JEMALLOC, 0);
	hs_probes_describe(&plan, out, sizeof(out));
	CHECK(strcmp(out, "/lib/libjemalloc.so.2: malloc, new/delete, jemalloc; "
			  "/lib/libc.so.6: reallocarray pvalloc") == 0);

	plan.object_count = 1;
	plan.site_count = 0;
	add_site(&plan, "malloc", HS_FAMILY_C, 0);
	add_site(&plan, "free", HS_FAMILY_C, 0);
	hs_probes_describe(&plan, out, sizeof(out));
	CHECK(strcmp(out, "/lib/libjemalloc.so.2") == 0);

	add_site(&plan, "_Znwm", HS_FAMILY_CXX, 0);
	hs_probes_describe(&plan, out, sizeof(out));
	CHECK(strcmp(out, "/lib/libjemalloc.so.2: malloc, new/delete") == 0);

	hs_probes_describe(&plan, out, 10); /* truncated, still a string */
	CHECK(strlen(out) == 9);
}

int main(void)
{
	TEST(test_imports);
	TEST(test_link_order);
	TEST(test_plan_self);
	TEST(test_describe);
	return check_summary();
}
