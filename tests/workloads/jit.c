// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * jit.c - JIT code as node or the JVM make it: machine code copied at run time
 * into executable anonymous memory, calling malloc.  Three regions (mappings of
 * their own), the same code at the same offset in each.  Region 0's function is named
 * in the perf map the workload writes, /tmp/perf-PID.map (as node
 * --perf-basic-prof does), among hostile lines heapscope must refuse: one far too
 * long, one naming code that has a file (libc's malloc), a malformed one.
 * Regions 1 and 2 are named nowhere, and their frames must not merge.  The
 * truth: jit_alloc_a 3 x 1000 bytes, region 1 2 x 2000, region 2 1 x 3000 (the
 * test reads them from DIR/regions), all under main;run_jit.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

#define REGIONS	    3
#define CODE_OFFSET 0x40

/* void *fn(void *(*alloc)(size_t), size_t n) { return alloc(n); }, with a frame pointer:
 * push %rbp; mov %rsp,%rbp; mov %rdi,%rax; mov %rsi,%rdi; call *%rax; pop %rbp; ret */
static const unsigned char code[] = {
	0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0xff, 0xd0, 0x5d, 0xc3,
};

typedef void *(*jit_fn)(void *(*alloc)(size_t), size_t n);

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile kept[8];

NOINLINE static void *run_jit(jit_fn fn, size_t n)
{
	return fn(malloc, n);
}

int main(int argc, char **argv)
{
	static const size_t sizes[REGIONS] = { 1000, 2000, 3000 };
	static const int calls[REGIONS] = { 3, 2, 1 };
	unsigned char *region[REGIONS];
	char path[64], regions[256];
	size_t regions_len = 0;
	int kept_count = 0;
	FILE *map;

	/* Each region between inaccessible pages: the kernel would merge neighbours with
	 * the same protection into one mapping, and the offsets would differ. */
	unsigned char *area = mmap(NULL, REGIONS * 12288, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (area == MAP_FAILED)
		return 1;
	for (int r = 0; r < REGIONS; r++) {
		region[r] = area + r * 12288 + 4096;
		mprotect(region[r], 8192, PROT_READ | PROT_WRITE);
		memcpy(region[r] + CODE_OFFSET, code, sizeof(code));
		mprotect(region[r], 8192, PROT_READ | PROT_EXEC);
		regions_len += snprintf(regions + regions_len, sizeof(regions) - regions_len,
					"%lx %lx\n", (unsigned long)(uintptr_t)region[r],
					(unsigned long)(uintptr_t)region[r] + 8192);
	}
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	map = fopen(path, "w");
	if (!map)
		return 1;
	fprintf(map, "%lx %zx jit_alloc_a\n", (unsigned long)(uintptr_t)(region[0] + CODE_OFFSET),
		sizeof(code));
	fprintf(map, "%lx 100 not_libc_malloc\n", (unsigned long)(uintptr_t)malloc);
	fprintf(map, "%lx %zx ", (unsigned long)(uintptr_t)(region[1] + CODE_OFFSET), sizeof(code));
	for (int i = 0; i < 5000; i++) /* too long: skipped whole */
		fputc('x', map);
	fprintf(map, "\nnot a line\n");
	fclose(map);

	workload_start(argc, argv);
	workload_write("regions", regions, regions_len);
	for (int r = 0; r < REGIONS; r++)
		for (int i = 0; i < calls[r]; i++)
			kept[kept_count++] = run_jit((jit_fn)(region[r] + CODE_OFFSET), sizes[r]);
	workload_expect("jit_alloc_a", 3 * 1000, 3, "main;run_jit;jit_alloc_a");
	workload_finish();
	workload_wait("exit");
	unlink(path);
	return 0;
}
