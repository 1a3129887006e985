// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dlopen.c - allocations in a library loaded after the profiler attached, in a
 * build without frame pointers: their stacks are complete once the profiler
 * has built the new library's unwind table.
 *
 * Handshake (beyond workload.h's): after "go" the workload loads
 * libtruth_nofp.so (next to this executable), allocates once through it and
 * frees that block, writes "loaded" and waits for "go2": the test lets the
 * profiler notice the new object in between.  Then it allocates through the
 * library and keeps the blocks.
 */
#include <dlfcn.h>
#include <libgen.h>

#include "workload.h"

typedef size_t (*lib_keep_fn)(void **keep, size_t count, size_t size);

static void *kept[100];

NOINLINE static void call_dlopened(lib_keep_fn lib_keep, size_t count)
{
	size_t bytes = lib_keep(kept, count, 100);

	workload_expect("lib_keep", bytes, count, "main;call_dlopened;lib_keep");
}

static lib_keep_fn load_library(void)
{
	char exe[1024] = "", path[1100];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *lib;

	if (len > 0)
		exe[len] = '\0';
	snprintf(path, sizeof(path), "%s/libtruth_nofp.so", dirname(exe));
	lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(1);
	}
	return (lib_keep_fn)dlsym(lib, "lib_keep");
}

int main(int argc, char **argv)
{
	lib_keep_fn lib_keep;

	workload_start(argc, argv);
	lib_keep = load_library();
	lib_keep(kept, 1, 100); /* a pc the profiler has no mapping for yet */
	free(kept[0]);
	workload_touch("loaded");
	workload_wait("go2");
	call_dlopened(lib_keep, 60);
	workload_finish();
	return 0;
}
