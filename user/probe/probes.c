// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probes.c - decide where to put the probes: for every allocator entry point,
 * the definition the process really binds to, and its file offset.
 *
 * Owns: resolving each name of the table of allocator functions
 * (allocator_functions.c) the way the dynamic linker does:
 * the first object in the linker's search order (link_order.c) that defines
 * it in .dynsym; the executable also through .symtab, where a static binary
 * (or an allocator linked into the executable) keeps its functions.  Each
 * name is resolved on its own, so a family may span objects: with jemalloc
 * preloaded, malloc comes from jemalloc while reallocarray, which jemalloc
 * does not define, still comes from libc.
 *
 * Does not own: attaching (attach.c) nor what a probe does (the BPF side).
 *
 * Rules beyond the table:
 *  - The C API is always probed.  Other families only where some object
 *    imports the name (an undefined dynamic symbol: the process calls it) or
 *    the executable defines it (static linking: calls are direct), so a
 *    preloaded mimalloc does not cost 60 probes nobody calls.
 *  - operator new/delete defined in a shared object without its own malloc
 *    (the C++ runtime: libstdc++, libc++) wrap the C API: new is probed at
 *    entry only (see wrapper_enter in the BPF program) and delete not at all,
 *    since the free it calls is probed.  Elsewhere (an allocator, or an
 *    executable's own operator new, which need not call malloc) they are
 *    entry points of their own: new gets a return probe, delete one that
 *    closes the call.
 *  - A throwing new there (HS_FN_NEW) gets no return probe, which a
 *    std::bad_alloc could not unwind through, but probes on the ret
 *    instructions it returns by (ret_sites.c), and the process's
 *    exception_functions are probed to close one that threw.  When the ret
 *    instructions cannot all be found, it keeps the return probe.
 *  - Two names at one address (glibc's aligned_alloc and memalign, tcmalloc's
 *    free and operator delete) are probed once, as the first in the table.
 *
 * Offsets are computed here from the ELF (symbol vaddr -> PT_LOAD -> file
 * offset) instead of letting libbpf resolve names, so the same code works for
 * any object, including one only reachable through /proc/PID/root.
 *
 * Each probe goes on the first instruction past the entry that the kernel
 * emulates and where the arguments are still untouched (probe_site.c, called
 * from plan_site): what each entry program reads is in entry_args[] below.
 */
#include "probe/probes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/allocator_functions.h"
#include "probe/ret_sites.h"
#include "target/link_order.h"
#include "target/proc.h"

/* One object of the search order, as the session's object cache holds it. */
struct candidate {
	const struct hs_mapping *map;
	struct hs_object *object;
	const struct hs_elf_object *elf; /* the object's: valid when readable */
	bool readable;
	bool is_executable;
	bool has_malloc; /* defines malloc itself: an allocator, not a wrapper over one */
	long plan_object; /* index in plan->objects once a site is planned in it, else -1 */
	const struct search *search;
};

struct search {
	struct hs_objects *cache; /* the session's files */
	pid_t pid;
	struct candidate *objects;
	size_t count;
};

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
	[HS_FN_DEALLOC] = HS_ARG_RDI,
	[HS_FN_NEW] = HS_ARG_RDI,
};

/* Bytes read when a function's size is unknown or too large for the scan: enough
 * to describe its first instruction, which is then where the probe stays. */
#define PROLOGUE_BYTES 16

/* Read the function at sym, at file_offset in the object the cache holds open. */
static int read_function(const struct candidate *c, const struct hs_symbol *sym,
			 uint64_t file_offset, uint8_t *buf, struct hs_function_code *code)
{
	size_t want = sym->size && sym->size <= HS_PROBE_SITE_SCAN_BYTES ? sym->size : PROLOGUE_BYTES;
	ssize_t got = pread(c->object->fd, buf, want, (off_t)file_offset);

	if (got < 0)
		return -errno;
	code->bytes = buf;
	code->len = (size_t)got;
	code->complete = sym->size && (size_t)got == sym->size;
	return 0;
}

/*
 * Move site (fn, has_return and file_offset at the function's entry already set)
 * to the cheapest safe instruction of the function at sym (probe_site.c).
 */
static int choose_site(const struct candidate *c, const struct hs_symbol *sym,
		       struct hs_probe_site *site)
{
	uint8_t buf[HS_PROBE_SITE_SCAN_BYTES];
	struct hs_function_code code;
	struct hs_site_needs needs = {
		.arg_regs = entry_args[site->fn] ? entry_args[site->fn] : HS_ARG_ALL,
		.return_probe = site->has_return,
	};
	int err = read_function(c, sym, site->file_offset, buf, &code);

	if (!err)
		err = hs_probe_site_choose(&code, &needs, &site->site);
	if (!err)
		site->file_offset += site->site.offset;
	return err;
}

/* What the dynamic linker can bind NAME to in this object: a global definition in
 * .dynsym; in the executable also in .symtab (static linking binds directly). */
static const struct hs_symbol *definition(const struct candidate *c, const char *name)
{
	const struct hs_symbol *sym;

	if (!c->readable)
		return NULL;
	sym = hs_elf_symbol_named(c->elf, name, HS_SYMBOLS_DYNAMIC);
	if (!sym && c->is_executable) {
		/* Not the debug file's: the symbolizer may have merged it in. */
		sym = hs_elf_symbol_named(c->elf, name, HS_SYMBOLS_FILE);
		if (sym && !sym->global)
			sym = NULL;
	}
	return sym;
}

static bool imported_anywhere(const struct search *search, const char *name)
{
	for (size_t i = 0; i < search->count; i++)
		if (search->objects[i].readable && hs_elf_imports(search->objects[i].elf, name))
			return true;
	return false;
}

static bool already_planned(const struct hs_probe_plan *plan, long object, uint64_t vaddr)
{
	for (size_t i = 0; i < plan->site_count; i++)
		if ((long)plan->sites[i].object == object && plan->sites[i].vaddr == vaddr)
			return true;
	return false;
}

/* hs_bind_fn: where the dynamic linker binds name, seen from candidate ctx. */
static int bind_in_search(void *ctx, const char *name, uint64_t *vaddr)
{
	const struct candidate *self = ctx;
	const struct search *search = self->search;

	for (size_t i = 0; i < search->count; i++) {
		const struct hs_symbol *sym = definition(&search->objects[i], name);

		if (!sym)
			continue;
		if (&search->objects[i] != self)
			return -EXDEV;
		*vaddr = sym->addr;
		return 0;
	}
	return -ENOENT;
}

/* The object's code, as the ret-site finder reads it, is a part the cache keeps. */
static int build_code_part(Elf *elf, void *code)
{
	return hs_code_object_read(elf, code);
}

static void free_code_part(void *code)
{
	hs_code_object_free(code);
}

static const struct hs_object_part_ops code_part = {
	.size = sizeof(struct hs_code_object),
	.build = build_code_part,
	.free = free_code_part,
};

static const struct hs_code_object *candidate_code(struct candidate *c)
{
	void *code;

	if (hs_object_part(c->search->cache, c->object, HS_PART_CODE, &code_part, &code))
		return NULL;
	return code;
}

static bool ret_probe_planned(const struct hs_probe_plan *plan, long object, uint64_t file_offset)
{
	for (size_t i = 0; i < plan->ret_probe_count; i++)
		if ((long)plan->ret_probes[i].object == object &&
		    plan->ret_probes[i].file_offset == file_offset)
			return true;
	return false;
}

/* The site keeps its return probe: a std::bad_alloc thrown through it ends the process. */
static void keep_return_probe(struct hs_probe_site *site, const char *why, uint64_t at)
{
	site->fn = HS_FN_MALLOC;
	site->has_return = true;
	site->ret_probes_missing = why;
	site->ret_probes_missing_at = at;
}

static void describe_ret_site(const struct candidate *c, uint64_t vaddr, char *out, size_t len)
{
	const struct hs_symbol *sym = hs_elf_symbol_at(c->elf, vaddr);

	if (sym)
		snprintf(out, len, "%s+%llu", sym->name, (unsigned long long)(vaddr - sym->addr));
	else
		snprintf(out, len, "0x%llx", (unsigned long long)vaddr);
}

/*
 * A throwing new (HS_FN_NEW) is closed by probes on its ret instructions, all of
 * them or none: when ret_sites.c cannot vouch for the list, or the plan has no
 * room for it, the site keeps a return probe (as an HS_FN_MALLOC).
 */
static int plan_ret_probes(struct candidate *c, const struct hs_symbol *sym,
			   struct hs_probe_site *site, struct hs_probe_plan *plan)
{
	const struct hs_code_object *code = candidate_code(c);
	struct hs_ret_sites found;
	uint64_t offsets[HS_RET_SITES_MAX];
	size_t fresh = 0;
	int err;

	if (!code) {
		keep_return_probe(site, "its object's code or .eh_frame cannot be read", sym->addr);
		return 0;
	}
	err = hs_ret_sites_find(code, bind_in_search, c, sym->addr, &found);
	if (err)
		return err;
	if (found.incomplete) {
		keep_return_probe(site, found.incomplete, found.incomplete_at);
		return 0;
	}
	for (size_t i = 0; i < found.count; i++) {
		if (hs_elf_vaddr_to_offset(c->elf, found.vaddrs[i], &offsets[i])) {
			keep_return_probe(site, "a ret instruction outside the file", found.vaddrs[i]);
			return 0;
		}
		fresh += !ret_probe_planned(plan, c->plan_object, offsets[i]);
	}
	if (plan->ret_probe_count + fresh > HS_MAX_RET_PROBES) {
		keep_return_probe(site, "more ret instructions in the process than the bound",
				  sym->addr);
		return 0;
	}
	for (size_t i = 0; i < found.count; i++) {
		struct hs_ret_probe *probe = &plan->ret_probes[plan->ret_probe_count];

		if (ret_probe_planned(plan, c->plan_object, offsets[i]))
			continue;
		*probe = (struct hs_ret_probe){
			.function = site->function,
			.object = (size_t)c->plan_object,
			.file_offset = offsets[i],
		};
		describe_ret_site(c, found.vaddrs[i], probe->where, sizeof(probe->where));
		plan->ret_probe_count++;
		plan->probe_count++;
	}
	site->ret_probes = found.count;
	return 0;
}

static int plan_object(const struct search *search, struct candidate *c,
		       struct hs_probe_plan *plan)
{
	struct hs_probe_object *bigger, *object;

	if (c->plan_object >= 0)
		return 0;
	bigger = realloc(plan->objects, (plan->object_count + 1) * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	plan->objects = bigger;
	object = &plan->objects[plan->object_count];
	snprintf(object->path, sizeof(object->path), "%s", c->map->path);
	hs_proc_object_path(search->pid, c->map, object->attach_path, sizeof(object->attach_path));
	c->plan_object = (long)plan->object_count++;
	return 0;
}

/* Plan the probe for one table entry, if the process binds it somewhere. */
static int plan_site(const struct search *search, const struct hs_allocator_function *f,
		     struct hs_probe_plan *plan)
{
	struct hs_probe_site site = {
		.function = f->name,
		.fn = f->fn,
		.family = f->family,
		.has_return = f->has_return,
	};
	const struct hs_symbol *sym = NULL;
	struct candidate *c = NULL;
	int err;

	for (size_t i = 0; !sym && i < search->count; i++) {
		c = &search->objects[i];
		sym = definition(c, f->name);
	}
	if (!sym)
		return 0;
	if (f->family != HS_FAMILY_C && f->family != HS_FAMILY_EXCEPTIONS && !c->is_executable &&
	    !imported_anywhere(search, f->name))
		return 0; /* nobody calls it */
	if (f->family == HS_FAMILY_CXX && !c->has_malloc && !c->is_executable) {
		if (f->fn == HS_FN_DEALLOC)
			return 0; /* the C++ runtime's delete calls free, which is probed */
		site.fn = HS_FN_WRAPPER;
		site.has_return = false;
	}
	if (site.fn == HS_FN_NEW)
		site.has_return = false; /* unless its ret instructions cannot all be found */
	if (c->plan_object >= 0 && already_planned(plan, c->plan_object, sym->addr))
		return 0;
	site.vaddr = sym->addr;
	if (hs_elf_vaddr_to_offset(c->elf, sym->addr, &site.file_offset))
		return 0;
	err = plan_object(search, c, plan);
	if (!err && site.fn == HS_FN_NEW)
		err = plan_ret_probes(c, sym, &site, plan);
	if (!err)
		err = choose_site(c, sym, &site);
	if (err)
		return err;
	site.object = (size_t)c->plan_object;
	plan->sites[plan->site_count++] = site;
	plan->probe_count += site.has_return ? 2 : 1;
	return 0;
}

static int read_candidates(const struct hs_maps *maps, struct search *search, bool *from_link_map)
{
	pid_t pid = search->pid;
	struct hs_link_order order;
	uint64_t exe_inode;
	uint32_t exe_major, exe_minor;
	int err = hs_proc_exe_inode(pid, &exe_inode, &exe_major, &exe_minor);

	if (!err)
		err = hs_link_order_read(pid, maps, &order);
	if (err)
		return err;
	*from_link_map = order.from_link_map;
	search->objects = calloc(order.count ? order.count : 1, sizeof(*search->objects));
	if (!search->objects) {
		hs_link_order_free(&order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < order.count; i++) {
		struct candidate *c = &search->objects[search->count++];

		c->map = &maps->items[order.map_index[i]];
		c->plan_object = -1;
		c->search = search;
		c->is_executable = c->map->inode == exe_inode && c->map->dev_major == exe_major &&
				   c->map->dev_minor == exe_minor;
		err = hs_objects_get(search->cache, pid, c->map, &c->object);
		if (err)
			break;
		/* An object we cannot read cannot be probed either. */
		c->readable = hs_object_read(search->cache, c->object, &c->elf) == 0;
		c->has_malloc = definition(c, "malloc") != NULL;
	}
	hs_link_order_free(&order);
	return err;
}

static bool planned(const struct hs_probe_plan *plan, const char *function)
{
	for (size_t i = 0; i < plan->site_count; i++)
		if (strcmp(plan->sites[i].function, function) == 0)
			return true;
	return false;
}

/*
 * Find, for each allocator function, the definition the process binds to.
 * -ENOENT when malloc or free is nowhere to be found.
 */
int hs_probes_plan(struct hs_objects *objects, pid_t pid, const struct hs_maps *maps,
		   struct hs_probe_plan *plan)
{
	struct search search = { .cache = objects, .pid = pid };
	int err;

	memset(plan, 0, sizeof(*plan));
	err = read_candidates(maps, &search, &plan->from_link_map);
	for (size_t i = 0; !err && i < hs_allocator_function_count; i++)
		err = plan_site(&search, &hs_allocator_functions[i], plan);
	for (size_t i = 0; !err && plan->ret_probe_count && i < hs_exception_function_count; i++)
		err = plan_site(&search, &hs_exception_functions[i], plan);
	free(search.objects);
	if (!err && (!planned(plan, "malloc") || !planned(plan, "free")))
		err = -ENOENT;
	if (err)
		hs_probes_free(plan);
	return err;
}

void hs_probes_free(struct hs_probe_plan *plan)
{
	free(plan->objects);
	plan->objects = NULL;
	plan->object_count = plan->site_count = plan->probe_count = plan->ret_probe_count = 0;
}

static bool object_named(const struct hs_probe_plan *plan, size_t object, const char *prefix)
{
	const char *path = plan->objects[object].path;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	return strncmp(base, prefix, strlen(prefix)) == 0;
}

/*
 * Does the site release glibc malloc chunks, whose size word precedes the block
 * (heapscope.bpf.c reads it, HS_COOKIE_GLIBC_CHUNK)?  When malloc binds to glibc's
 * libc: its own free, and libstdc++'s operator delete, which calls it.  Not a delete
 * the program defines itself: its blocks may come from anywhere.
 */
bool hs_probes_releases_glibc_chunks(const struct hs_probe_plan *plan,
				     const struct hs_probe_site *site)
{
	size_t malloc_object = SIZE_MAX;

	for (size_t i = 0; i < plan->site_count && malloc_object == SIZE_MAX; i++)
		if (strcmp(plan->sites[i].function, "malloc") == 0)
			malloc_object = plan->sites[i].object;
	if (malloc_object == SIZE_MAX || !object_named(plan, malloc_object, "libc.so"))
		return false;
	if (site->fn == HS_FN_FREE)
		return site->object == malloc_object;
	return site->fn == HS_FN_DEALLOC && object_named(plan, site->object, "libstdc++.so");
}

static void append(char *out, size_t len, size_t *at, const char *text)
{
	int wrote = snprintf(out + *at, len - *at, "%s", text);

	if (wrote > 0)
		*at += (size_t)wrote < len - *at ? (size_t)wrote : len - *at - 1;
}

/* The object that holds a family's first planned function names the family. */
static size_t family_home(const struct hs_probe_plan *plan, enum hs_probe_family family)
{
	for (size_t i = 0; i < plan->site_count; i++)
		if (plan->sites[i].family == family)
			return plan->sites[i].object;
	return SIZE_MAX;
}

/* Families (or single functions) one object provides: "malloc, new/delete" or
 * "reallocarray pvalloc" when the rest of that family lives elsewhere. */
static void describe_object(const struct hs_probe_plan *plan, size_t object, char *out, size_t len,
			    size_t *at)
{
	const char *family_separator = "";

	for (enum hs_probe_family family = 0; family < HS_FAMILY_COUNT; family++) {
		bool home = family_home(plan, family) == object;
		const char *separator = family_separator;

		for (size_t i = 0; i < plan->site_count; i++) {
			const struct hs_probe_site *site = &plan->sites[i];

			if (site->family != family || site->object != object)
				continue;
			append(out, len, at, separator);
			append(out, len, at, home ? hs_probe_family_name(family) : site->function);
			family_separator = ", ";
			if (home)
				break;
			separator = " ";
		}
	}
}

static size_t families_planned(const struct hs_probe_plan *plan)
{
	size_t count = 0;

	for (enum hs_probe_family family = 0; family < HS_FAMILY_COUNT; family++)
		count += family_home(plan, family) != SIZE_MAX;
	return count;
}

/*
 * Which object each family was found in, for the attach line:
 *   "/usr/lib/x86_64-linux-gnu/libc.so.6"                     (one object, one family)
 *   "/usr/lib/.../libjemalloc.so.2: malloc; /usr/lib/.../libc.so.6: reallocarray pvalloc"
 */
void hs_probes_describe(const struct hs_probe_plan *plan, char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	if (plan->object_count == 1 && families_planned(plan) == 1) {
		append(out, len, &at, plan->objects[0].path);
		return;
	}
	for (size_t object = 0; object < plan->object_count; object++) {
		append(out, len, &at, object ? "; " : "");
		append(out, len, &at, plan->objects[object].path);
		append(out, len, &at, ": ");
		describe_object(plan, object, out, len, &at);
	}
}
