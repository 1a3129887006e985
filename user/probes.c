// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probes.c - decide where to put the probes: which object in the target
 * defines the allocator, and the file offset of each entry point in it.
 *
 * Offsets are computed here from the ELF (symbol vaddr -> PT_LOAD -> file
 * offset) instead of letting libbpf resolve names, so the same code works for
 * any object, including one only reachable through /proc/PID/root.
 * Two names at one address (glibc's aligned_alloc and memalign) are probed once.
 *
 * Each probe goes on the first instruction past the entry that the kernel
 * emulates and where the arguments are still untouched (probe_site.c): what
 * each entry program reads is in entry_args[] below.
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

/* The argument registers each kind's entry program reads (bpf/heapscope.bpf.c).
 * A kind missing here is assumed to read them all. */
static const uint32_t entry_args[HS_FN_COUNT] = {
	[HS_FN_MALLOC] = HS_ARG_RDI,
	[HS_FN_CALLOC] = HS_ARG_RDI | HS_ARG_RSI,
	[HS_FN_REALLOC] = HS_ARG_RDI | HS_ARG_RSI,
	[HS_FN_REALLOCARRAY] = HS_ARG_RDI | HS_ARG_RSI | HS_ARG_RDX,
	[HS_FN_MEMALIGN] = HS_ARG_RDI | HS_ARG_RSI,
	[HS_FN_POSIX_MEMALIGN] = HS_ARG_RDI | HS_ARG_RSI | HS_ARG_RDX,
	[HS_FN_FREE] = HS_ARG_RDI,
};

/* Bytes read when a function's size is unknown or too large for the scan: enough
 * to describe its first instruction, which is then where the probe stays. */
#define PROLOGUE_BYTES 16

/* Read the function at sym, at file_offset in the object as the target maps it. */
static int read_function(pid_t pid, const struct hs_mapping *map, const struct hs_symbol *sym,
			 uint64_t file_offset, uint8_t *buf, struct hs_function_code *code)
{
	size_t want = sym->size && sym->size <= HS_PROBE_SITE_SCAN_BYTES ? sym->size : PROLOGUE_BYTES;
	int fd = hs_proc_open_object(pid, map);
	ssize_t got;

	if (fd < 0)
		return fd;
	got = pread(fd, buf, want, (off_t)file_offset);
	if (got < 0) {
		got = -errno;
		close(fd);
		return (int)got;
	}
	close(fd);
	code->bytes = buf;
	code->len = (size_t)got;
	code->complete = sym->size && (size_t)got == sym->size;
	return 0;
}

/*
 * Move site (fn, has_return and file_offset at the function's entry already set)
 * to the cheapest safe instruction of the function at sym (probe_site.c).
 */
static int choose_site(pid_t pid, const struct hs_mapping *map, const struct hs_symbol *sym,
		       struct hs_probe_site *site)
{
	uint8_t buf[HS_PROBE_SITE_SCAN_BYTES];
	struct hs_function_code code;
	struct hs_site_needs needs = {
		.arg_regs = entry_args[site->fn] ? entry_args[site->fn] : HS_ARG_ALL,
		.return_probe = site->has_return,
	};
	int err = read_function(pid, map, sym, site->file_offset, buf, &code);

	if (!err)
		err = hs_probe_site_choose(&code, &needs, &site->site);
	if (!err)
		site->file_offset += site->site.offset;
	return err;
}

static bool already_planned(const struct hs_probe_plan *plan, uint64_t vaddr)
{
	for (size_t i = 0; i < plan->site_count; i++)
		if (plan->sites[i].vaddr == vaddr)
			return true;
	return false;
}

static int plan_object(pid_t pid, const struct hs_mapping *map, const struct hs_elf_object *obj,
		       bool dynamic_only, struct hs_probe_plan *plan)
{
	plan->site_count = plan->probe_count = 0;
	for (size_t i = 0; i < ARRAY_SIZE(allocator_functions); i++) {
		const struct hs_symbol *sym =
			hs_elf_symbol_named(obj, allocator_functions[i].name, dynamic_only);
		struct hs_probe_site *site = &plan->sites[plan->site_count];
		int err;

		if (!sym || already_planned(plan, sym->addr))
			continue;
		if (hs_elf_vaddr_to_offset(obj, sym->addr, &site->file_offset))
			continue;
		site->function = allocator_functions[i].name;
		site->fn = allocator_functions[i].fn;
		site->vaddr = sym->addr;
		site->has_return = site->fn != HS_FN_FREE;
		err = choose_site(pid, map, sym, site);
		if (err)
			return err;
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
	err = plan_object(pid, map, &obj,
			  !(is_executable && !hs_elf_symbol_named(&obj, "malloc", true)), plan);
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
