// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * link_order.c - the order in which the dynamic linker searches a process's
 * objects for a symbol: the main executable, then LD_PRELOAD (and
 * /etc/ld.so.preload) objects, then the DT_NEEDED libraries breadth first,
 * then what dlopen added.
 *
 * Owns: reading that order from the target.  Does not own: which symbols are
 * looked up in it (probes.c).
 *
 * Why the linker's own list: glibc keeps it in the r_debug structure that
 * debuggers read (DT_DEBUG in the executable's dynamic section points to it),
 * and its link_map chain is in load order, which for the objects loaded at
 * startup is exactly the global search order.  Reading it through
 * /proc/PID/mem is a few small reads, and nothing is reconstructed: no preload
 * parsing from the environment, no library search paths, $ORIGIN or RPATH.
 * Each entry's l_ld (its dynamic section, in memory) falls inside one of the
 * object's own mappings, which names the file even when l_name is a symlinked
 * path or empty (the executable).
 *
 * Fallback when there is no list (a static executable, or a process caught
 * before the dynamic linker filled it in): the executable first, then every
 * other mapped file in address order.
 *
 * Invariant: each object appears once (by device and inode), the executable
 * first whenever it is mapped.
 */
#include "target/link_order.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "target/proc.h"

/* The first fields of glibc's struct link_map and struct r_debug (x86_64). */
struct target_link_map {
	uint64_t l_addr, l_name, l_ld, l_next, l_prev;
};

struct target_r_debug {
	int32_t r_version;
	uint32_t pad;
	uint64_t r_map;
};

static bool same_file(const struct hs_mapping *a, const struct hs_mapping *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

/* Append the object behind maps->items[index] unless it is already listed. */
static void add_object(struct hs_link_order *order, const struct hs_maps *maps, size_t index)
{
	for (size_t i = 0; i < order->count; i++)
		if (same_file(&maps->items[order->map_index[i]], &maps->items[index]))
			return;
	order->map_index[order->count++] = index;
}

/* The address of the executable's r_debug, from its program headers in memory. */
static int find_r_debug(pid_t pid, uint64_t *r_debug)
{
	uint64_t phdr_addr, phnum, bias = 0, dynamic = 0, dynamic_bytes = 0;
	Elf64_Phdr phdrs[64];
	bool have_phdr = false;
	int err;

	err = hs_proc_auxv_value(pid, AT_PHDR, &phdr_addr);
	if (!err)
		err = hs_proc_auxv_value(pid, AT_PHNUM, &phnum);
	if (err)
		return err;
	if (phnum == 0 || phnum > sizeof(phdrs) / sizeof(phdrs[0]))
		return -ENOEXEC;
	err = hs_proc_read_memory(pid, phdr_addr, phdrs, phnum * sizeof(phdrs[0]));
	if (err)
		return err;
	for (uint64_t i = 0; i < phnum; i++) {
		if (phdrs[i].p_type == PT_PHDR) {
			bias = phdr_addr - phdrs[i].p_vaddr;
			have_phdr = true;
		} else if (phdrs[i].p_type == PT_DYNAMIC) {
			dynamic = phdrs[i].p_vaddr;
			dynamic_bytes = phdrs[i].p_memsz;
		}
	}
	if (!have_phdr || !dynamic)
		return -ENOENT; /* static: no dynamic linker, no list */
	for (uint64_t at = 0; at + sizeof(Elf64_Dyn) <= dynamic_bytes; at += sizeof(Elf64_Dyn)) {
		Elf64_Dyn entry;

		err = hs_proc_read_memory(pid, bias + dynamic + at, &entry, sizeof(entry));
		if (err)
			return err;
		if (entry.d_tag == DT_NULL)
			break;
		if (entry.d_tag == DT_DEBUG) {
			*r_debug = entry.d_un.d_ptr;
			return *r_debug ? 0 : -ENOENT; /* 0: the linker has not run yet */
		}
	}
	return -ENOENT;
}

static int read_link_map(pid_t pid, const struct hs_maps *maps, struct hs_link_order *order)
{
	struct target_r_debug debug;
	uint64_t r_debug, node;
	int err = find_r_debug(pid, &r_debug);

	if (!err)
		err = hs_proc_read_memory(pid, r_debug, &debug, sizeof(debug));
	if (err)
		return err;
	node = debug.r_map;
	for (size_t steps = 0; node; steps++) {
		struct target_link_map entry;
		const struct hs_mapping *map;

		if (steps == HS_MAX_LINKED_OBJECTS)
			return -ELOOP;
		err = hs_proc_read_memory(pid, node, &entry, sizeof(entry));
		if (err)
			return err;
		map = hs_maps_find(maps, entry.l_ld);
		if (map && hs_mapping_is_file(map)) /* not the vDSO */
			add_object(order, maps, (size_t)(map - maps->items));
		node = entry.l_next;
	}
	return order->count ? 0 : -ENOENT;
}

/* The executable, then the other mapped files in address order. */
static int read_address_order(pid_t pid, const struct hs_maps *maps, struct hs_link_order *order)
{
	struct hs_mapping exe = { 0 };
	int err = hs_proc_exe_inode(pid, &exe.inode, &exe.dev_major, &exe.dev_minor);

	if (err)
		return err;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < maps->count; i++)
			if (hs_mapping_is_file(&maps->items[i]) &&
			    same_file(&maps->items[i], &exe) == (pass == 0))
				add_object(order, maps, i);
	return 0;
}

int hs_link_order_read(pid_t pid, const struct hs_maps *maps, struct hs_link_order *order)
{
	int err;

	memset(order, 0, sizeof(*order));
	order->map_index = calloc(maps->count ? maps->count : 1, sizeof(*order->map_index));
	if (!order->map_index)
		return -ENOMEM;
	order->from_link_map = read_link_map(pid, maps, order) == 0;
	if (order->from_link_map)
		return 0;
	order->count = 0;
	err = read_address_order(pid, maps, order);
	if (err)
		hs_link_order_free(order);
	return err;
}

void hs_link_order_free(struct hs_link_order *order)
{
	free(order->map_index);
	memset(order, 0, sizeof(*order));
}
