// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * glibc_locate.c - where glibc malloc keeps its state in a running process: the addresses
 * of main_arena and mp_, and the layout of the structures behind them.
 *
 * Owns: the layout tables (one per checked glibc family), finding libc in the target's
 * mappings, reading its version, and the two ways to find the state: the debug file's
 * .symtab (main_arena and mp_ are local OBJECT symbols, absent from .dynsym), or decoding
 * libc's exported malloc functions, which take &main_arena RIP-relative (malloc_trim,
 * mallinfo2, malloc_stats, mallopt) and store into mp_'s fields (mallopt).
 * Does not own: walking the state (glibc_heap.c), reading memory (target_memory.c).
 * Invariants: an address found by decoding is only returned after the invariants of the
 * structure hold in the target (the arena ring returns to main_arena, top lies in readable
 * memory with a sane size, empty bins point to themselves, mp_'s fields are in range);
 * an unknown glibc version is refused, never read with a guessed layout.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target/elf_object.h"
#include "inspect/glibc_heap.h"

/*
 * glibc 2.36 on x86_64, checked field by field against Debian 2.36-9+deb12u14's debug file
 * (gdb ptype /o) and malloc.c/arena.c of 2.36: malloc_state is 2200 bytes, malloc_par
 * 136 (2.35 added thp_pagesize, hp_pagesize, hp_flags before n_mmaps), heap_info 48
 * (2.35 added pagesize), tcache_perthread_struct 640 (a 0x290 chunk), safe-linking on.
 */
static const struct hs_glibc_layout layout_2_36 = {
	.versions = "2.36",
	.ms_size = 2200, .ms_fastbins = 16, .ms_top = 96, .ms_bins = 112, .ms_next = 2160,
	.ms_system_mem = 2184, .nfastbins = 10, .nbins = 128,
	.mp_size = 136, .mp_trim_threshold = 0, .mp_top_pad = 8, .mp_mmap_threshold = 16,
	.mp_arena_test = 24, .mp_arena_max = 32, .mp_thp_pagesize = 40, .mp_n_mmaps = 60,
	.mp_n_mmaps_max = 64, .mp_no_dyn_threshold = 72, .mp_mmapped_mem = 80,
	.mp_sbrk_base = 96, .mp_tcache_count = 120,
	.hi_size_of = 48, .hi_ar_ptr = 0, .hi_prev = 8, .hi_size = 16, .hi_mprotect_size = 24,
	.heap_max_bytes = 64ull << 20,
	.tcache_bins = 64, .tcache_chunk_bytes = 0x290,
	.safe_linking = true,
};

const struct hs_glibc_layout *hs_glibc_layout_for(const char *version)
{
	if (strcmp(version, "2.36") == 0)
		return &layout_2_36;
	return NULL;
}

static uint64_t get_u64(const unsigned char *buf, uint32_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static int32_t get_i32(const unsigned char *buf, uint32_t off)
{
	int32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* The mapping of libc's first page: its file is what the target runs as libc. */
static const struct hs_mapping *find_libc(const struct hs_maps *maps)
{
	const struct hs_mapping *best = NULL;

	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *map = &maps->items[i];
		const char *base = strrchr(map->path, '/');
		unsigned int minor;
		char tail;

		if (!base || !hs_mapping_is_file(map))
			continue;
		base++;
		if (strcmp(base, "libc.so.6") != 0 &&
		    sscanf(base, "libc-2.%u.so%c", &minor, &tail) != 1)
			continue;
		if (!best || map->file_offset < best->file_offset)
			best = map;
	}
	return best;
}

/* Runtime = vaddr + bias, from the segment the mapping's file offset falls in (page-rounded). */
static int load_bias(const struct hs_elf_object *obj, const struct hs_mapping *map,
		     uint64_t *bias)
{
	for (size_t i = 0; i < obj->segment_count; i++) {
		const struct hs_load_segment *seg = &obj->segments[i];
		uint64_t off_page = seg->file_offset & ~0xfffull;

		if (map->file_offset >= off_page && map->file_offset < seg->file_offset + seg->filesz) {
			*bias = map->start - (map->file_offset - off_page) - (seg->vaddr & ~0xfffull);
			return 0;
		}
	}
	return -ENOENT;
}

/* The RIP-relative target of instruction insn's memory operand (or LEA source), or 0. */
static uint64_t rip_target(const cs_insn *insn, bool *is_write)
{
	const cs_x86 *x86 = &insn->detail->x86;

	for (int i = 0; i < x86->op_count; i++) {
		const cs_x86_op *op = &x86->operands[i];

		if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
		    op->mem.index == X86_REG_INVALID) {
			*is_write = i == 0 && insn->id != X86_INS_LEA && insn->id != X86_INS_CMP &&
				    x86->op_count == 2;
			return insn->address + insn->size + (uint64_t)op->mem.disp;
		}
	}
	return 0;
}

struct decoded_refs {
	uint64_t lea[64], write[64];
	size_t lea_count, write_count;
};

/* Decode up to len bytes of code at runtime address addr, recording RIP-relative refs. */
static int decode_function(struct hs_target_memory *tm, csh handle, uint64_t addr, size_t len,
			   struct decoded_refs *refs)
{
	unsigned char code[4096];
	const uint8_t *at = code;
	uint64_t address = addr;
	cs_insn *insn;
	int err;

	if (len > sizeof(code))
		len = sizeof(code);
	err = hs_tm_read(tm, addr, code, len);
	if (err)
		return err;
	insn = cs_malloc(handle);
	if (!insn)
		return -ENOMEM;
	while (len && cs_disasm_iter(handle, &at, &len, &address, insn)) {
		bool is_write = false;
		uint64_t target = rip_target(insn, &is_write);

		if (!target)
			continue;
		if (insn->id == X86_INS_LEA && refs->lea_count < 64)
			refs->lea[refs->lea_count++] = target;
		else if (is_write && refs->write_count < 64)
			refs->write[refs->write_count++] = target;
	}
	cs_free(insn, 1);
	return 0;
}

static bool has(const uint64_t *set, size_t count, uint64_t value)
{
	for (size_t i = 0; i < count; i++)
		if (set[i] == value)
			return true;
	return false;
}

int hs_glibc_check_mp(struct hs_target_memory *tm, const struct hs_glibc_layout *l, uint64_t mp,
		      char *why, size_t why_len)
{
	unsigned char buf[256];
	uint64_t sbrk_base, mmapped, tcache_count, top_pad;
	int32_t n_mmaps, n_mmaps_max;

	if (l->mp_size > sizeof(buf) || hs_tm_read(tm, mp, buf, l->mp_size)) {
		snprintf(why, why_len, "mp_ at 0x%llx is not readable", (unsigned long long)mp);
		return -EFAULT;
	}
	sbrk_base = get_u64(buf, l->mp_sbrk_base);
	mmapped = get_u64(buf, l->mp_mmapped_mem);
	tcache_count = get_u64(buf, l->mp_tcache_count);
	top_pad = get_u64(buf, l->mp_top_pad);
	n_mmaps = get_i32(buf, l->mp_n_mmaps);
	n_mmaps_max = get_i32(buf, l->mp_n_mmaps_max);
	if (n_mmaps < 0 || n_mmaps_max < 0 || (mmapped & 0xfff) || tcache_count > 65535 ||
	    top_pad > (1ull << 40) || (sbrk_base && !hs_tm_readable(tm, sbrk_base, 16)) ||
	    (n_mmaps == 0) != (mmapped == 0)) {
		snprintf(why, why_len, "mp_ at 0x%llx fails its invariants", (unsigned long long)mp);
		return -EINVAL;
	}
	return 0;
}

/* main_arena's invariants, and the ring of arenas through next back to it. */
int hs_glibc_check_arena(struct hs_target_memory *tm, const struct hs_glibc_layout *l,
			 uint64_t main_arena, char *why, size_t why_len)
{
	unsigned char *buf = malloc(l->ms_size);
	uint64_t top, top_size, system_mem, next = 0;
	unsigned int self = 0, arenas = 1;
	int err = -EINVAL;

	if (!buf)
		return -ENOMEM;
	if (hs_tm_read(tm, main_arena, buf, l->ms_size)) {
		snprintf(why, why_len, "arena at 0x%llx is not readable",
			 (unsigned long long)main_arena);
		free(buf);
		return -EFAULT;
	}
	top = get_u64(buf, l->ms_top);
	system_mem = get_u64(buf, l->ms_system_mem);
	for (unsigned int i = 1; i < l->nbins; i++) {
		uint64_t bin = main_arena + l->ms_bins + (i - 1) * 16 - 16;
		uint64_t fd = get_u64(buf, l->ms_bins + (i - 1) * 16);

		if (fd == bin)
			self++;
		else if (!hs_tm_readable(tm, fd, 32))
			goto out;
	}
	if (!top || (top & 15) || hs_tm_read_u64(tm, top + 8, &top_size) || (top_size & ~7ull) < 32 ||
	    ((top_size & ~7ull) & 15) || !hs_tm_readable(tm, top, top_size & ~7ull) ||
	    system_mem == 0 || system_mem > (1ull << 47) || self < l->nbins / 4)
		goto out;
	next = get_u64(buf, l->ms_next);
	while (next != main_arena) {
		uint64_t heap = next & ~(l->heap_max_bytes - 1), ar_ptr;

		if (++arenas > HS_GLIBC_MAX_ARENAS || next != heap + l->hi_size_of ||
		    hs_tm_read_u64(tm, heap + l->hi_ar_ptr, &ar_ptr) || ar_ptr != next ||
		    hs_tm_read_u64(tm, next + l->ms_next, &next))
			goto out;
	}
	err = 0;
out:
	if (err)
		snprintf(why, why_len, "no glibc arena at 0x%llx (its invariants do not hold)",
			 (unsigned long long)main_arena);
	free(buf);
	return err;
}

/* main_arena and mp_ from the code of libc's exported malloc functions. */
static int locate_by_code(struct hs_target_memory *tm, const struct hs_elf_object *obj,
			  struct hs_glibc_location *loc, char *why, size_t why_len)
{
	static const char *const arena_users[] = { "malloc_trim", "mallinfo2", "malloc_stats",
						   "mallopt" };
	const struct hs_load_segment *data = &obj->segments[obj->segment_count - 1];
	uint64_t data_start = data->vaddr + loc->load_bias, data_end = data_start + data->memsz;
	struct decoded_refs mallopt_refs = { 0 };
	uint64_t cand[64];
	unsigned int votes[64];
	size_t cand_count = 0;
	const struct hs_glibc_layout *l = loc->layout;
	char used[128] = "";
	csh handle;
	int err = -ENOENT;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -ENOTSUP;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	for (size_t f = 0; f < sizeof(arena_users) / sizeof(arena_users[0]); f++) {
		const struct hs_symbol *sym = hs_elf_symbol_named(obj, arena_users[f], true);
		struct decoded_refs refs = { 0 };

		if (!sym || decode_function(tm, handle, sym->addr + loc->load_bias,
					    sym->size ? sym->size : 512, &refs))
			continue;
		snprintf(used + strlen(used), sizeof(used) - strlen(used), "%s%s", *used ? "," : "",
			 arena_users[f]);
		if (strcmp(arena_users[f], "mallopt") == 0)
			mallopt_refs = refs;
		/* One vote per function for each distinct LEA target in libc's data. */
		for (size_t i = 0; i < refs.lea_count; i++) {
			size_t c;

			if (refs.lea[i] < data_start || refs.lea[i] >= data_end ||
			    has(refs.lea, i, refs.lea[i]))
				continue;
			for (c = 0; c < cand_count && cand[c] != refs.lea[i]; c++)
				;
			if (c == cand_count && cand_count < 64) {
				cand[cand_count] = refs.lea[i];
				votes[cand_count++] = 0;
			}
			if (c < cand_count)
				votes[c]++;
		}
	}
	cs_close(&handle);
	/* Most-voted first: main_arena is what all of them take. */
	for (unsigned int want = 4; want > 0 && !loc->main_arena; want--)
		for (size_t c = 0; c < cand_count && !loc->main_arena; c++)
			if (votes[c] == want && hs_glibc_check_arena(tm, l, cand[c], why, why_len) == 0)
				loc->main_arena = cand[c];
	if (!loc->main_arena) {
		snprintf(why, why_len, "main_arena not found in the code of %s", used);
		return err;
	}
	/* mallopt stores each M_* value into its mp_ field: find a base where they line up. */
	for (size_t i = 0; i < mallopt_refs.write_count && !loc->mp; i++) {
		uint64_t base = mallopt_refs.write[i] - l->mp_no_dyn_threshold;
		const uint64_t *w = mallopt_refs.write;
		size_t n = mallopt_refs.write_count;

		if (has(w, n, base + l->mp_trim_threshold) && has(w, n, base + l->mp_top_pad) &&
		    has(w, n, base + l->mp_mmap_threshold) && has(w, n, base + l->mp_arena_max) &&
		    hs_glibc_check_mp(tm, l, base, why, why_len) == 0)
			loc->mp = base;
	}
	if (!loc->mp) {
		snprintf(why, why_len, "mp_ not found in the code of mallopt");
		return err;
	}
	loc->method = HS_GLIBC_BY_CODE;
	snprintf(loc->detail, sizeof(loc->detail), "decoded %s; invariants hold", used);
	return 0;
}

/* The value of OBJECT symbol name in an ELF's .symtab, or 0. */
static uint64_t symtab_object(Elf *elf, const char *name, uint64_t *size)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || !shdr.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Sym sym;
			const char *sym_name;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
				continue;
			sym_name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (sym_name && strcmp(sym_name, name) == 0) {
				*size = sym.st_size;
				return sym.st_value;
			}
		}
	}
	return 0;
}

/*
 * From the debug file: hs_elf_read_debug_symbols keeps functions only, and main_arena and
 * mp_ are data, so the .symtab is read here.  Their sizes must match the layout's: a debug
 * file of another build, or a layout table wrong for this build, is caught here.
 */
static int locate_by_symbols(struct hs_objects *objects, struct hs_object *libc,
			     struct hs_glibc_location *loc, char *why, size_t why_len)
{
	uint64_t arena_size = 0, mp_size = 0, arena, mp;
	int fd = hs_object_debug_file(objects, libc); /* the cache's: kept open */
	Elf *elf;

	if (fd < 0)
		return fd;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	arena = elf ? symtab_object(elf, "main_arena", &arena_size) : 0;
	mp = elf ? symtab_object(elf, "mp_", &mp_size) : 0;
	if (elf)
		elf_end(elf);
	if (!arena || !mp)
		return -ENOENT;
	if (arena_size != loc->layout->ms_size || mp_size != loc->layout->mp_size) {
		snprintf(why, why_len, "debug file's main_arena/mp_ sizes %llu/%llu differ from the "
			 "%s layout", (unsigned long long)arena_size, (unsigned long long)mp_size,
			 loc->layout->versions);
		return -EINVAL;
	}
	loc->main_arena = arena + loc->load_bias;
	loc->mp = mp + loc->load_bias;
	loc->method = HS_GLIBC_BY_SYMBOLS;
	snprintf(loc->detail, sizeof(loc->detail), "symbols of the debug file (build-id)");
	return 0;
}

/* gnu_get_libc_version is `lea version(%rip), %rax; ret`: follow the lea to the string. */
static int read_version(struct hs_target_memory *tm, const struct hs_elf_object *obj,
			uint64_t bias, char *out, size_t len)
{
	const struct hs_symbol *sym = hs_elf_symbol_named(obj, "gnu_get_libc_version", true);
	unsigned char code[16];
	const uint8_t *at = code;
	size_t left = sizeof(code);
	uint64_t address;
	cs_insn *insn;
	csh handle;
	int err = -ENOENT;

	if (!sym)
		return -ENOENT;
	address = sym->addr + bias;
	if (hs_tm_read(tm, address, code, sizeof(code)))
		return -EFAULT;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -ENOTSUP;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(handle);
	if (insn && cs_disasm_iter(handle, &at, &left, &address, insn) && insn->id == X86_INS_LEA) {
		bool w;
		uint64_t str = rip_target(insn, &w);

		memset(out, 0, len);
		if (str && hs_tm_read_cached(tm, str, out, len - 1) == 0 && memchr(out, 0, len))
			err = 0;
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&handle);
	return err;
}

int hs_glibc_locate(struct hs_target_memory *tm, const struct hs_glibc_locate_options *opt,
		    struct hs_glibc_location *loc, char *why, size_t why_len)
{
	const struct hs_mapping *map = find_libc(&tm->maps);
	const struct hs_elf_object *elf;
	struct hs_object *libc;
	int err;

	memset(loc, 0, sizeof(*loc));
	snprintf(why, why_len, "?");
	if (!map) {
		snprintf(why, why_len, "no libc.so.6 mapped (static or another allocator's binary)");
		return -ENOENT;
	}
	snprintf(loc->libc_path, sizeof(loc->libc_path), "%s", map->path);
	for (size_t i = 0; i < tm->maps.count; i++)
		if (strcmp(tm->maps.items[i].path, "[heap]") == 0)
			loc->heap_end = tm->maps.items[i].end;
	err = hs_objects_get(opt->objects, tm->pid, map, &libc);
	if (err) {
		snprintf(why, why_len, "cannot open %s", map->path);
		return err;
	}
	err = hs_object_read(opt->objects, libc, &elf);
	if (err) {
		snprintf(why, why_len, "cannot read %s as ELF", map->path);
		return err;
	}
	err = load_bias(elf, map, &loc->load_bias);
	if (!err && (err = read_version(tm, elf, loc->load_bias, loc->version,
					sizeof(loc->version))))
		snprintf(why, why_len, "cannot read the version of %s", map->path);
	else if (!err && !(loc->layout = hs_glibc_layout_for(loc->version))) {
		snprintf(why, why_len, "glibc %s: its malloc layout is not known to heapscope "
			 "(known: %s)", loc->version, layout_2_36.versions);
		err = -ENOTSUP;
	}
	if (!err && !opt->no_debug_file && locate_by_symbols(opt->objects, libc, loc, why,
							     why_len) == 0)
		err = hs_glibc_check_arena(tm, loc->layout, loc->main_arena, why, why_len);
	else if (!err)
		err = locate_by_code(tm, elf, loc, why, why_len);
	return err;
}
