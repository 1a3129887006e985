// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_ret_sites.c - the ret-site finder (user/probe/ret_sites.c) on arbitrary bytes:
 * an allocator's operator new inside a container is the attacker's file, and
 * a ret site found there becomes a uprobe in the target.  Reads the input as an
 * ELF object (through a memfd, as the finder reads files), looks for the ret
 * sites of every function its .eh_frame describes (the first few), and checks
 * what the finder promises: within its bounds, each site inside a described
 * function and on a ret instruction.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "probe/ret_sites.h"

#define ENTRIES_TRIED 16

/* hs_bind_fn: some names bind here (to the first function), the rest elsewhere. */
static int bind_some(void *ctx, const char *name, uint64_t *vaddr)
{
	const struct hs_code_object *code = ctx;

	if (strlen(name) % 2 || code->fde_count == 0)
		return -EXDEV;
	*vaddr = code->fdes[0].lo;
	return 0;
}

static bool is_ret(const struct hs_code_object *code, uint64_t vaddr)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x36,
					    0x3e, 0x26, 0x64, 0x65, 0xf0 };
	uint64_t offset;
	const uint8_t *at;

	if (hs_elf_vaddr_to_offset(&code->layout, vaddr, &offset) || offset >= code->image_len)
		return false;
	/* ret or ret imm16, behind any legacy or REX prefixes (capstone takes "47 c3" for ret) */
	for (at = code->image + offset; at + 1 < code->image + code->image_len; at++)
		if (!memchr(prefixes, *at, sizeof(prefixes)) && (*at & 0xf0) != 0x40)
			break;
	return *at == 0xc3 || *at == 0xc2;
}

/* Some FDE holds vaddr (FDEs of a hostile file may overlap: look at all of them). */
static bool described(const struct hs_code_object *code, uint64_t vaddr)
{
	for (size_t i = 0; i < code->fde_count; i++)
		if (vaddr >= code->fdes[i].lo && vaddr < code->fdes[i].hi)
			return true;
	return false;
}

static void check_sites(const struct hs_code_object *code, const struct hs_ret_sites *sites)
{
	FUZZ_ASSERT(sites->count <= HS_RET_SITES_MAX);
	FUZZ_ASSERT(sites->pieces <= HS_RET_SITES_MAX_PIECES);
	FUZZ_ASSERT(sites->bytes <= HS_RET_SITES_MAX_BYTES);
	if (sites->incomplete)
		return;
	FUZZ_ASSERT(sites->count > 0);
	for (size_t i = 0; i < sites->count; i++) {
		FUZZ_ASSERT(described(code, sites->vaddrs[i]));
		FUZZ_ASSERT(is_ret(code, sites->vaddrs[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_ret_sites", MFD_CLOEXEC);
	struct hs_code_object code;
	Elf *elf = NULL;

	if (fd < 0)
		return 0;
	/* As the object cache reads a file: one libelf handle on it, mmap'ed. */
	if (write(fd, data, size) == (ssize_t)size && elf_version(EV_CURRENT) != EV_NONE)
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && hs_code_object_read(elf, &code) == 0) {
		for (size_t i = 0; i < code.fde_count && i < ENTRIES_TRIED; i++) {
			struct hs_ret_sites sites;

			uint64_t entry = code.fdes[i].lo;

			if (hs_ret_sites_find(&code, bind_some, &code, entry, &sites) == 0)
				check_sites(&code, &sites);
		}
		hs_code_object_free(&code);
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return 0;
}
