// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probes.c - decide where to put the probes: which object in the target
 * defines the allocator, and the file offset of each entry point in it.
 *
 * Offsets are computed here from the ELF (symbol vaddr -> PT_LOAD -> file
 * offset) instead of letting libbpf resolve names, so the same code works for
 * any object, including one only reachable through /proc/PID/root.
 * Two names at one address (glibc's aligned_alloc and memalign) are probed once.
 */
#include "probes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elf_object.h"

static const struct {
	const char *name;
	enum hs_probe_fn fn;
} allocator_functions[] = {
	{ "malloc", HS_FN_MALLOC },
	{ "calloc", HS_FN_CALLOC },
	{ "realloc", HS_FN_REALLOC },
	{ "reallocarray", HS_FN_REALLOCARRAY },
	{ "free", HS_FN_FREE },
	{ "posix_memalign", HS_FN_POSIX_MEMALIGN },
	{ "aligned_alloc", HS_FN_MEMALIGN },
	{ "memalign", HS_FN_MEMALIGN },
	{ "valloc", HS_FN_MALLOC },
	{ "pvalloc", HS_FN_MALLOC },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static bool already_planned(const struct hs_probe_plan *plan, uint64_t vaddr)
{
	for (size_t i = 0; i < plan->site_count; i++)
		if (plan->sites[i].vaddr == vaddr)
			return true;
	return false;
}

static int plan_object(const struct hs_elf_object *obj, bool dynamic_only,
		       struct hs_probe_plan *plan)
{
	plan->site_count = plan->probe_count = 0;
	for (size_t i = 0; i < ARRAY_SIZE(allocator_functions); i++) {
		const struct hs_symbol *sym =
			hs_elf_symbol_named(obj, allocator_functions[i].name, dynamic_only);
		struct hs_probe_site *site = &plan->sites[plan->site_count];

		if (!sym || already_planned(plan, sym->addr))
			continue;
		if (hs_elf_vaddr_to_offset(obj, sym->addr, &site->file_offset))
			continue;
		site->function = allocator_functions[i].name;
		site->fn = allocator_functions[i].fn;
		site->vaddr = sym->addr;
		site->has_return = site->fn != HS_FN_FREE;
		plan->site_count++;
		plan->probe_count += site->has_return ? 2 : 1;
	}
	return plan->site_count ? 0 : -ENOENT;
}

/* Try one mapped object: does it define malloc and free? */
static int try_object(pid_t pid, const struct hs_mapping *map, bool is_executable,
		      struct hs_probe_plan *plan)
{
	struct hs_elf_object obj;
	int fd = hs_proc_open_object(pid, map);
	int err;

	if (fd < 0)
		return fd;
	err = hs_elf_read_fd(fd, &obj);
	close(fd);
	if (err)
		return err;
	/* A dynamic object exports its allocator in .dynsym; a static executable has
	 * only .symtab. */
	err = plan_object(&obj, !(is_executable && !hs_elf_symbol_named(&obj, "malloc", true)),
			  plan);
	if (!err && (!hs_elf_symbol_named(&obj, "malloc", false) ||
		     !hs_elf_symbol_named(&obj, "free", false)))
		err = -ENOENT;
	hs_elf_free(&obj);
	if (err)
		return err;
	snprintf(plan->object_path, sizeof(plan->object_path), "%s", map->path);
	hs_proc_object_path(pid, map, plan->attach_path, sizeof(plan->attach_path));
	return 0;
}

static bool seen_before(const struct hs_maps *maps, size_t index)
{
	for (size_t i = 0; i < index; i++)
		if (maps->items[i].inode == maps->items[index].inode &&
		    maps->items[i].dev_major == maps->items[index].dev_major &&
		    maps->items[i].dev_minor == maps->items[index].dev_minor)
			return true;
	return false;
}

/*
 * Find the object the process resolves malloc from: the executable first (a
 * static binary, or one that defines its own allocator), then the shared
 * objects in the order they are mapped.  -ENOENT when none defines it.
 */
int hs_probes_plan(pid_t pid, const struct hs_maps *maps, struct hs_probe_plan *plan)
{
	uint64_t exe_inode;
	uint32_t exe_major, exe_minor;
	int err = hs_proc_exe_inode(pid, &exe_inode, &exe_major, &exe_minor);

	if (err)
		return err;
	memset(plan, 0, sizeof(*plan));
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < maps->count; i++) {
			const struct hs_mapping *map = &maps->items[i];
			bool is_exe = map->inode == exe_inode && map->dev_major == exe_major &&
				      map->dev_minor == exe_minor;

			if (!hs_mapping_is_file(map) || is_exe != (pass == 0) || seen_before(maps, i))
				continue;
			if (try_object(pid, map, is_exe, plan) == 0)
				return 0;
		}
	}
	return -ENOENT;
}
